using Cdc.Consumer.Events;
using Cdc.Consumer.Tests.Support;
using Cdc.V1;
using Google.Protobuf;
using NATS.Client.Core;

namespace Cdc.Consumer.Tests;

[Collection(ServersCollection.Name)]
public sealed class DecodingTests(ServersFixture servers)
{
    [Fact]
    public async Task ReadAsync_yields_each_kind_of_message_typed_with_its_sequence_subject_and_message_id()
    {
        await using var stream = await TestStream.CreateAsync(servers.Nats.Url, nameof(ReadAsync_yields_each_kind_of_message_typed_with_its_sequence_subject_and_message_id));
        var relation = new RelationEvent
        {
            Database = "app",
            Schema = "public",
            Table = "items",
            RelationId = 16384,
            ReplicaIdentity = "default",
            EndLsn = 0x1000,
            Columns = { new ColumnDefinition { Name = "id", TypeOid = 23, TypeName = "int4", TypeModifier = -1, IsKey = true } },
        };
        await stream.PublishAsync(relation);
        await stream.PublishAsync(TestStream.Row(Operation.Insert, "items", 7, "seven", 0x1000));
        var message = new ChangeEvent
        {
            Operation = Operation.Message,
            Database = "app",
            EndLsn = 0x2000,
            Index = 3,
            Message = new LogicalMessage { Prefix = "audit", Content = ByteString.CopyFromUtf8("hello"), Transactional = true },
        };
        await stream.PublishAsync(message);
        await stream.PublishAsync(stream.TableSubject("items"), [0xFF, 0xFF, 0xFF], "garbage");

        await using var consumer = new CdcConsumer(new CdcConsumerOptions { Nats = new NatsOpts { Url = servers.Nats.Url }, Stream = stream.Name, ConsumerName = "decoder" });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = new List<CdcEvent>();
        await foreach (var evt in consumer.ReadAsync(cancellationToken: timeout.Token))
        {
            events.Add(evt);
            if (events.Count == 4)
            {
                break;
            }
        }

        var schema = Assert.IsType<CdcRelationEvent>(events[0]);
        Assert.Equal(1UL, schema.StreamSequence);
        Assert.Equal(stream.TableSubject("items") + "._schema", schema.Subject);
        Assert.Equal("slot:0000000000001000:0:schema:16384", schema.MessageId);
        Assert.Equal(relation, schema.Relation);

        var insert = Assert.IsType<CdcChangeEvent>(events[1]);
        Assert.Equal(2UL, insert.StreamSequence);
        Assert.Equal(Operation.Insert, insert.Operation);
        Assert.Equal("slot:0000000000001000:0", insert.MessageId);
        Assert.Equal("slot:0000000000001000:0", insert.Headers!["Nats-Msg-Id"].ToString());
        Assert.Equal(7, insert.Change.NewRow[0].Value.Int);
        Assert.Equal("seven", insert.Change.NewRow[1].Value.Text);

        var logical = Assert.IsType<CdcLogicalMessage>(events[2]);
        Assert.Equal(3UL, logical.StreamSequence);
        Assert.Equal($"{stream.Prefix}.app._message.audit", logical.Subject);
        Assert.Equal("audit", logical.Message.Prefix);
        Assert.Equal("hello", logical.Message.Content.ToStringUtf8());
        Assert.Equal(3U, logical.Change.Index);

        var garbage = Assert.IsType<CdcUndecodableEvent>(events[3]);
        Assert.Equal(4UL, garbage.StreamSequence);
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF }, garbage.Payload.ToArray());
        Assert.Contains("sequence 4", garbage.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_after_a_sequence_starts_at_the_next_one_and_honours_the_subject_filter()
    {
        await using var stream = await TestStream.CreateAsync(servers.Nats.Url, nameof(ReadAsync_after_a_sequence_starts_at_the_next_one_and_honours_the_subject_filter));
        for (var i = 1; i <= 6; i++)
        {
            await stream.PublishAsync(TestStream.Row(Operation.Insert, i % 2 == 0 ? "even" : "odd", i, null, (ulong)i * 0x100));
        }

        var options = new CdcConsumerOptions
        {
            Nats = new NatsOpts { Url = servers.Nats.Url },
            Stream = stream.Name,
            ConsumerName = "filtered",
            FilterSubjects = [CdcSubjects.Table(stream.Prefix, "app", "public", "even")],
        };
        await using var consumer = new CdcConsumer(options);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var sequences = new List<ulong>();
        await foreach (var evt in consumer.ReadAsync(afterSequence: 2, timeout.Token))
        {
            sequences.Add(evt.StreamSequence);
            Assert.Equal("even", Assert.IsType<CdcChangeEvent>(evt).Change.Table);
            if (sequences.Count == 2)
            {
                break;
            }
        }

        Assert.Equal([4UL, 6UL], sequences);
    }
}
