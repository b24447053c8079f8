extern alias consumer;

using System.Text;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Cdc.V1;
using consumer::Cdc.Consumer;
using consumer::Cdc.Consumer.Events;
using NATS.Client.Core;

namespace Cdc.IntegrationTests.Source;

public sealed class PublicationFilterTestsOn15() : PublicationFilterTests(PostgresVersion.V15);

public sealed class PublicationFilterTestsOn17() : PublicationFilterTests(PostgresVersion.V17);

/// <summary>
/// Cdc:ExcludeColumns, Cdc:RowFilters and Cdc:Nats:SubjectTemplate through the real cdc binary: the publication Cdc
/// creates leaves the columns and rows out (in the initial snapshot too), and the template routes each change.
/// </summary>
public abstract class PublicationFilterTests(PostgresVersion version) : IAsyncLifetime
{
    private const string Schema = """
        CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text, ssn text);
        CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL, total numeric NOT NULL);
        -- A row filter on a column outside the key needs the whole old row, or PostgreSQL refuses the application's UPDATE.
        ALTER TABLE orders REPLICA IDENTITY FULL;
        INSERT INTO customers VALUES (1, 'Ada', 'ada@secret.example', 'SSN-111'), (2000, 'Big', 'big@secret.example', 'SSN-222');
        INSERT INTO orders VALUES (1, 'draft', 10), (2, 'paid', 20);
        """;

    private PostgresServer _pg = null!;
    private NatsServer _nats = null!;

    protected string[] Filters { get; } =
    [
        "--set", "Cdc:ExcludeColumns:public.customers:0=email",
        "--set", "Cdc:ExcludeColumns:public.customers:1=ssn",
        "--set", "Cdc:RowFilters:public.customers=id < 1000",
        "--set", "Cdc:RowFilters:public.orders=status <> 'draft'",
        "--set", "Cdc:Nats:SubjectTemplate=rows.{schema}.{table}.{operation}",
    ];

    public async Task InitializeAsync()
    {
        _pg = await PostgresServer.StartAsync(version: version);
        _nats = await NatsServer.StartAsync();
        await _pg.CreateDatabaseAsync("shop");
        await _pg.ExecuteAsync(Schema, "shop");
    }

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        await _pg.DisposeAsync();
    }

    private string[] Run(params string[] more) =>
    [
        "run", "--connection", _pg.ConnectionString("shop"), "--nats", _nats.Url, "--slot", "filtered", "--publication", "filtered",
        "--stream", "FILTERED", "--subject-prefix", "cdc", "--shutdown-timeout", "00:00:05", "--http", "off", "--snapshot", "initial", .. more,
    ];

    [Fact]
    public async Task Left_out_columns_and_filtered_rows_never_reach_the_stream_and_the_template_routes_each_change()
    {
        await using (var cdc = CdcProcess.Start(Run(Filters)))
        {
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
            await _pg.ExecuteAsync("""
                INSERT INTO customers VALUES (3, 'Grace', 'grace@secret.example', 'SSN-333'), (3000, 'Huge', 'huge@secret.example', 'SSN-444');
                UPDATE customers SET name = 'Ada L', email = 'ada2@secret.example' WHERE id = 1;
                INSERT INTO orders VALUES (3, 'draft', 30), (4, 'paid', 40);
                UPDATE orders SET status = 'paid' WHERE id = 3;
                DELETE FROM orders WHERE id = 4;
                DELETE FROM orders WHERE id = 1;
                UPDATE customers SET name = 'Huge H' WHERE id = 3000;
                INSERT INTO customers VALUES (4, 'Last', NULL, NULL);
                """, "shop");

            // The last insert passes every filter: once it is in, everything committed before it has been decided.
            await StreamContents.WaitForAsync(_nats.Url, "FILTERED", 8, TimeSpan.FromSeconds(60));
        }

        var changes = await StreamContents.ReadAllAsync(_nats.Url, "FILTERED");
        string Key(StoredChange c) => $"{c.Event.Table} {c.Event.Operation} {Id(c.Event)}";
        Assert.Equal(
            new[]
            {
                // The snapshot: only the rows the filters keep.
                "customers Read 1", "orders Read 2",
                "customers Insert 3", "customers Update 1",
                "orders Insert 4",
                // Leaving the filtered-out side ('draft' -> 'paid') is published as the row's insert.
                "orders Insert 3", "orders Delete 4",
                "customers Insert 4",
            }.Order(),
            changes.Select(Key).Order());
        Assert.All(changes, c => Assert.Equal($"cdc.rows.public.{c.Event.Table}.{c.Event.Operation.ToString().ToLowerInvariant()}", c.Subject));
        Assert.All(changes.Where(c => c.Event.Table == "customers"), c =>
            Assert.Equal(["id", "name"], c.Event.NewRow.Concat(c.Event.OldRow).Select(column => column.Name).Distinct()));

        // Not in any message at all: row events, schema events, snapshot markers.
        var raw = await StreamContentsReader.ReadAllAsync(_nats.Url, "FILTERED", 1000);
        Assert.Contains(raw, m => m.Subject.EndsWith("._schema", StringComparison.Ordinal));
        Assert.All(raw, m =>
        {
            var text = Encoding.UTF8.GetString(m.Data);
            Assert.DoesNotContain("secret.example", text, StringComparison.Ordinal);
            Assert.DoesNotContain("SSN-", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Huge", text, StringComparison.Ordinal);
            Assert.DoesNotContain("draft", text, StringComparison.Ordinal);
        });

        // The consumer library reads the routed stream: every change decoded, schema events and snapshot markers recognised.
        await using (var reader = new CdcConsumer(new CdcConsumerOptions { Nats = NatsOpts.Default with { Url = _nats.Url }, Stream = "FILTERED", ConsumerName = "filtered-reader" }))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var read = new List<CdcEvent>();
            await foreach (var evt in reader.ReadAsync(cancellationToken: timeout.Token))
            {
                read.Add(evt);
                if (evt.StreamSequence == raw[^1].Sequence)
                {
                    break;
                }
            }

            Assert.DoesNotContain(read, e => e is CdcUndecodableEvent);
            Assert.Equal(changes.Select(Key).Order(), read.OfType<CdcChangeEvent>()
                .Select(e => $"{e.Change.Table} {e.Operation} {ValueText.Render(ToListener(e.Change).NewRow.Concat(ToListener(e.Change).OldRow).First(c => c.Name == "id").Value)}").Order());
            Assert.Equal(2, read.OfType<CdcSnapshotMarker>().Count());
            Assert.Contains(read, e => e is CdcRelationEvent);
        }

        // PostgreSQL itself filters: the publication holds the column list and the row filters.
        Assert.Equal("{id,name}|(id < 1000)", await _pg.ScalarAsync<string>(
            "SELECT attnames::text || '|' || rowfilter FROM pg_publication_tables WHERE pubname = 'filtered' AND tablename = 'customers'", "shop"));
    }

    /// <summary>The consumer library's copy of the event as the listener's type (same schema), to render its values the same way.</summary>
    private static ChangeEvent ToListener(consumer::Cdc.V1.ChangeEvent e) => ChangeEvent.Parser.ParseFrom(Google.Protobuf.MessageExtensions.ToByteArray(e));

    private static string Id(ChangeEvent e)
        => ValueText.Render(e.NewRow.Concat(e.OldRow).First(c => c.Name == "id").Value) ?? "null";
}
