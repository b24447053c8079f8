using System.Buffers;
using Cdc.V1;
using Google.Protobuf;
using Npgsql;

namespace Cdc.Decoding.ValueTests;

/// <summary>
/// Reads a pgoutput slot through SQL (<c>pg_logical_slot_peek_binary_changes</c>: one row per message), decodes
/// the messages with the real <see cref="TransactionAssembler"/> and <see cref="ChangeDecoder"/>, and encodes each
/// change both ways (<see cref="ChangeEventEncoder.ToEvent"/> and <see cref="ChangeEventEncoder.Encode"/>).
/// </summary>
internal static class SlotCapture
{
    public static async Task<List<ChangeEvent>> PeekAsync(string connectionString, string slot, string publication, bool binary,
        ITypeResolver resolver, string? timeZone = null)
    {
        var messages = new List<(ulong Lsn, byte[] Data)>();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            if (timeZone is not null)
            {
                // The output functions of logical decoding through SQL run in this session: its settings shape the text.
                await using var set = new NpgsqlCommand($"SET TimeZone = '{timeZone}'", connection);
                await set.ExecuteNonQueryAsync();
            }

            await using var command = new NpgsqlCommand(
                $"SELECT lsn::text, data FROM pg_logical_slot_peek_binary_changes('{slot}', NULL, NULL, 'proto_version', '1', " +
                $"'publication_names', '{publication}', 'binary', '{(binary ? "true" : "false")}')", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                messages.Add((Lsn.Parse(reader.GetString(0)).Value, reader.GetFieldValue<byte[]>(1)));
            }
        }

        var options = new PgOutputOptions { Binary = binary };
        var handler = new EncodingHandler(new ChangeEventEncoder(resolver));
        using var assembler = new TransactionAssembler(options);
        var decoder = new ChangeDecoder(options, resolver);
        foreach (var (lsn, data) in messages)
        {
            using var transaction = assembler.Append(new ReadOnlySequence<byte>(data), lsn, lsn);
            if (transaction is not null)
            {
                decoder.Decode(transaction, handler);
            }
        }

        if (handler.Events.Count == 0)
        {
            throw new InvalidOperationException($"no changes decoded from {messages.Count} messages: " + string.Join(",", messages.Select(m => $"{(char)m.Data[0]}@{m.Lsn:X}")));
        }

        // Binary mode sends every type with a send function in binary (aclitem has none); text mode none.
        Assert.True(binary ? handler.BinaryValues > 0 : handler.BinaryValues == 0, $"{handler.BinaryValues} binary values in {(binary ? "binary" : "text")} mode");
        return handler.Events;
    }

    private sealed class EncodingHandler(ChangeEventEncoder encoder) : IChangeHandler
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();

        public List<ChangeEvent> Events { get; } = [];

        /// <summary>How many values came in binary send format (proves which path was exercised).</summary>
        public int BinaryValues { get; private set; }

        public void OnChange(ChangeItem change)
        {
            for (var i = 0; i < (change.NewRow?.ColumnCount ?? 0); i++)
            {
                BinaryValues += change.NewRow!.GetKind(i) == TupleValueKind.Binary ? 1 : 0;
            }

            var expected = encoder.ToEvent(change, "matrix");
            _buffer.ResetWrittenCount();
            var written = encoder.Encode(change, "matrix", _buffer);
            Assert.Equal(_buffer.WrittenCount, written);
            var parsed = ChangeEvent.Parser.ParseFrom(_buffer.WrittenSpan);
            // The direct writer must produce exactly what the object model describes.
            Assert.Equal(expected, parsed);
            Assert.Equal(expected.ToByteArray(), _buffer.WrittenSpan.ToArray());
            Events.Add(expected);
        }

        public void OnRelation(RelationInfo relation)
        {
        }
    }
}
