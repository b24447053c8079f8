using System.Globalization;
using System.Text.Json;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Cdc.V1;
using Google.Protobuf;
using Npgsql;

namespace Cdc.IntegrationTests;

/// <summary>
/// Consumers in any language: cdc runs with each <c>Cdc:Format</c>, the official NATS JavaScript client reads the
/// stream, and replaying what it read (typed values as the proto3 JSON mapping gives them) reproduces the table.
/// </summary>
public sealed class FormatInteropTests : IAsyncLifetime
{
    private const string Database = "fmt";
    private const string Stream = "FMT";

    private const string Projection =
        "id::text, qty::text, price::text, note, (extract(epoch from at) * 1000000)::bigint::text, doc::text";

    private static readonly string[] Workload =
    [
        """
        INSERT INTO typed VALUES
          (1, 42, 12.5, 'plain', '2024-02-29 23:59:59.123456+00', '{"a": 1, "b": [true, null]}'),
          (2, NULL, NULL, NULL, NULL, NULL),
          (3, -2147483648, -49999999.9999, 'ünïcødé "quoted" \ back', '1970-01-01 00:00:00+00', '"text"'),
          (4, 0, 0, '', '2000-01-01 12:00:00+05', '[]'),
          (5, 7, 1e-4, 'five', now(), '{"nested": {"deep": [1, 2.5, "x"]}}')
        """,
        "UPDATE typed SET price = price * 2, note = note || ' ✓' WHERE id IN (1, 3); UPDATE typed SET qty = 9, doc = '{\"x\": [1, 2]}' WHERE id = 2",
        "DELETE FROM typed WHERE id = 4",
        "UPDATE typed SET id = 50 WHERE id = 5",
    ];

    // 5 inserts, 3 updates, 1 delete, 1 key-changing update, and the table's schema event first.
    private const int ExpectedMessages = 11;

    private PostgresServer _pg = null!;
    private NatsServer _nats = null!;
    private string _connection = null!;

    public async Task InitializeAsync()
    {
        _pg = await PostgresServer.StartAsync();
        _nats = await NatsServer.StartAsync();
        await _pg.CreateDatabaseAsync(Database);
        _connection = _pg.ConnectionString(Database);
        await _pg.ExecuteAsync("CREATE TABLE typed (id int PRIMARY KEY, qty int, price numeric(12,4), note text, at timestamptz, doc jsonb)", Database);
    }

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        await _pg.DisposeAsync();
    }

    [NodeTheory]
    [InlineData("protobuf", "structured", "json")]
    [InlineData("json", "structured", "json")]
    [InlineData("cloudevents", "structured", "json")]
    [InlineData("cloudevents", "binary", "json")]
    [InlineData("cloudevents", "binary", "protobuf")]
    public async Task A_javascript_consumer_reads_each_format_and_its_values_match_select(string format, string mode, string dataFormat)
    {
        var slot = $"fmt_{format}_{mode}_{dataFormat}";
        await using var cdc = CdcProcess.Start(
        [
            "run", "--connection", _connection, "--nats", _nats.Url, "--slot", slot, "--publication", "fmt_pub",
            "--stream", Stream, "--subject-prefix", "cdc", "--shutdown-timeout", "00:00:05",
            "--set", $"Cdc:Format={format}", "--set", $"Cdc:CloudEvents:Mode={mode}", "--set", $"Cdc:CloudEvents:DataFormat={dataFormat}",
        ]);
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        foreach (var sql in Workload)
        {
            await _pg.ExecuteAsync(sql, Database);
        }

        var messages = await JavaScriptClient.ReadEventsAsync(_nats.Url, Stream, ExpectedMessages);
        Assert.Equal(ExpectedMessages, messages.Count);

        var replayed = new Dictionary<string, string?[]>();
        foreach (var message in messages)
        {
            var headers = message.GetProperty("headers");
            var isSchema = message.GetProperty("subject").GetString()!.EndsWith("._schema", StringComparison.Ordinal);
            var evt = EventOf(message, headers, format, mode, dataFormat, isSchema);
            if (format == "cloudevents")
            {
                AssertCloudEventAttributes(message, headers, mode, evt, isSchema, slot);
            }

            if (isSchema)
            {
                Assert.Equal("typed", evt.GetProperty("table").GetString());
                Assert.Equal(6, evt.GetProperty("columns").GetArrayLength());
                continue;
            }

            Apply(replayed, evt);
        }

        var expected = await SelectAsync();
        Assert.Equal(expected.Keys.Order(), replayed.Keys.Order());
        foreach (var (id, row) in expected)
        {
            Assert.Equal(row, replayed[id]);
        }

        // cdc tail reads the same stream whatever the format (by Content-Type).
        var (tailExit, tail) = await CdcProcess.RunAsync(
            ["tail", "--nats", _nats.Url, "--stream", Stream, "--from-start", "--json", "--exit-when-idle", "2s"], TimeSpan.FromSeconds(60));
        Assert.Equal(0, tailExit);
        var tailed = tail.Split('\n').Where(l => l.StartsWith("{\"seq\"", StringComparison.Ordinal)).ToList();
        Assert.True(tailed.Count == ExpectedMessages - 1, tail);
        Assert.DoesNotContain("is not a cdc.v1.ChangeEvent", tail, StringComparison.Ordinal);
    }

    /// <summary>The event as the proto3 JSON mapping, whatever the format; checks the Content-Type on the way.</summary>
    private static JsonElement EventOf(JsonElement message, JsonElement headers, string format, string mode, string dataFormat, bool isSchema)
    {
        var contentType = headers.GetProperty("Content-Type").GetString();
        var protobufType = isSchema ? "application/protobuf; proto=cdc.v1.RelationEvent" : "application/protobuf; proto=cdc.v1.ChangeEvent";
        switch (format, mode, dataFormat)
        {
            case ("cloudevents", "structured", _):
                Assert.Equal("application/cloudevents+json", contentType);
                Assert.Equal("application/json", message.GetProperty("event").GetProperty("datacontenttype").GetString());
                return message.GetProperty("event").GetProperty("data");
            case ("protobuf", _, _) or ("cloudevents", "binary", "protobuf"):
                Assert.Equal(protobufType, contentType);
                var bytes = Convert.FromBase64String(message.GetProperty("data").GetString()!);
                IMessage parsed = isSchema ? RelationEvent.Parser.ParseFrom(bytes) : ChangeEvent.Parser.ParseFrom(bytes);
                return JsonDocument.Parse(JsonFormatter.Default.Format(parsed)).RootElement.Clone();
            default:
                Assert.Equal("application/json", contentType);
                return message.GetProperty("event");
        }
    }

    private static void AssertCloudEventAttributes(JsonElement message, JsonElement headers, string mode, JsonElement evt, bool isSchema, string slot)
    {
        string Attribute(string name) => mode == "structured"
            ? message.GetProperty("event").GetProperty(name).GetString()!
            : headers.GetProperty("ce-" + name).GetString()!;

        Assert.Equal("1.0", Attribute("specversion"));
        Assert.Equal(headers.GetProperty("Nats-Msg-Id").GetString(), Attribute("id"));
        Assert.Equal($"/cdc/{Database}/{slot}", Attribute("source"));
        Assert.Equal("public.typed", Attribute("subject"));
        var time = DateTimeOffset.Parse(Attribute("time"), CultureInfo.InvariantCulture);
        if (isSchema)
        {
            Assert.Equal("io.cdc.schema", Attribute("type"));
            return;
        }

        var operation = evt.GetProperty("operation").GetString()!;
        Assert.Equal("io.cdc.change." + operation["OPERATION_".Length..].ToLowerInvariant(), Attribute("type"));
        var commitMicros = long.Parse(evt.GetProperty("commitTimeUs").GetString()!, CultureInfo.InvariantCulture);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(commitMicros * 10), time);
    }

    /// <summary>Applies one change event (proto3 JSON) to rows keyed by id.</summary>
    private static void Apply(Dictionary<string, string?[]> rows, JsonElement evt)
    {
        switch (evt.GetProperty("operation").GetString())
        {
            case "OPERATION_INSERT":
                rows.Add(Render(evt.GetProperty("newRow")[0])!, Row(evt.GetProperty("newRow")));
                break;
            case "OPERATION_UPDATE":
                if (evt.TryGetProperty("oldRow", out var oldKey))
                {
                    Assert.True(rows.Remove(Render(oldKey[0])!));
                }

                rows[Render(evt.GetProperty("newRow")[0])!] = Row(evt.GetProperty("newRow"));
                break;
            case "OPERATION_DELETE":
                Assert.True(rows.Remove(Render(evt.GetProperty("oldRow")[0])!));
                break;
            default:
                Assert.Fail("unexpected event " + evt.GetRawText());
                break;
        }
    }

    private static string?[] Row(JsonElement columns) => columns.EnumerateArray().Select(Render).ToArray();

    /// <summary>A column's value as text, the way the projection renders it: int64 and timestamps come as decimal strings.</summary>
    private static string? Render(JsonElement column)
    {
        var value = column.GetProperty("value").EnumerateObject().Single();
        return value.Name switch
        {
            "null" => null,
            "int" or "numeric" or "text" or "json" or "timestamptzUs" => value.Value.GetString(),
            _ => throw new InvalidOperationException($"column {column.GetProperty("name").GetString()}: unexpected value kind {value.Name}"),
        };
    }

    private async Task<Dictionary<string, string?[]>> SelectAsync()
    {
        var rows = new Dictionary<string, string?[]>();
        await using var conn = new NpgsqlConnection(_connection);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT {Projection} FROM typed", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new string?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetString(i);
            }

            rows.Add(row[0]!, row);
        }

        return rows;
    }
}
