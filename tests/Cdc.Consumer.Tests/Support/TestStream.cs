using System.Globalization;
using Cdc.V1;
using Google.Protobuf;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.Consumer.Tests.Support;

/// <summary>
/// A stream of its own for one test (name and subject prefix derived from the test name), filled the way Cdc publishes:
/// protobuf payloads, deterministic Nats-Msg-Id headers.
/// </summary>
public sealed class TestStream : IAsyncDisposable
{
    private readonly NatsConnection _connection;

    private TestStream(NatsConnection connection, string name, string prefix)
    {
        _connection = connection;
        Js = new NatsJSContext(connection);
        Name = name;
        Prefix = prefix;
    }

    public string Name { get; }

    /// <summary>The subject prefix; the database is always <c>app</c>.</summary>
    public string Prefix { get; }

    public NatsJSContext Js { get; }

    public string TableSubject(string table) => $"{Prefix}.app.public.{table}";

    public static async Task<TestStream> CreateAsync(string url, string testName, Action<StreamConfig>? configure = null)
    {
        var token = new string([.. testName.Where(char.IsLetterOrDigit)]);
        token = token[..Math.Min(token.Length, 24)] + Guid.NewGuid().ToString("N")[..6];
        var connection = new NatsConnection(new NatsOpts { Url = url });
        var stream = new TestStream(connection, "S" + token, "p" + token);
        var config = new StreamConfig(stream.Name, [stream.Prefix + ".>"]) { Storage = StreamConfigStorage.File };
        configure?.Invoke(config);
        await stream.Js.CreateStreamAsync(config);
        return stream;
    }

    public static ChangeEvent Row(Operation operation, string table, int id, string? value, ulong endLsn, uint index = 0)
    {
        var change = new ChangeEvent
        {
            Operation = operation,
            Database = "app",
            Schema = "public",
            Table = table,
            EndLsn = endLsn,
            CommitLsn = endLsn - 8,
            Index = index,
            IsLast = true,
            KeyColumns = { "id" },
        };
        var key = new Column { Name = "id", TypeOid = 23, TypeName = "int4", TypeModifier = -1, Value = new Value { Int = id } };
        if (operation == Operation.Delete)
        {
            change.OldRow.Add(key);
        }
        else
        {
            change.NewRow.Add(key);
            change.NewRow.Add(new Column
            {
                Name = "value",
                TypeOid = 25,
                TypeName = "text",
                TypeModifier = -1,
                Value = value is null ? new Value { Null = true } : new Value { Text = value },
            });
        }

        return change;
    }

    /// <summary>Publishes a change on its table's subject with the listener's id shape; returns the stream sequence.</summary>
    public Task<ulong> PublishAsync(ChangeEvent change)
    {
        var subject = change.Operation == Operation.Message
            ? $"{Prefix}.app._message.{change.Message.Prefix}"
            : TableSubject(change.Table);
        return PublishAsync(subject, change.ToByteArray(), string.Create(CultureInfo.InvariantCulture, $"slot:{change.EndLsn:X16}:{change.Index}"));
    }

    public Task<ulong> PublishAsync(RelationEvent relation)
        => PublishAsync(TableSubject(relation.Table) + "._schema", relation.ToByteArray(),
            string.Create(CultureInfo.InvariantCulture, $"slot:{relation.EndLsn:X16}:0:schema:{relation.RelationId}"));

    public async Task<ulong> PublishAsync(string subject, byte[] payload, string? messageId)
    {
        var ack = await Js.PublishAsync(subject, payload, NatsRawSerializer<byte[]>.Default, new NatsJSPubOpts { MsgId = messageId });
        ack.EnsureSuccess();
        return ack.Seq;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Js.DeleteStreamAsync(Name);
        }
        catch (NatsJSApiException)
        {
        }

        await _connection.DisposeAsync();
    }
}
