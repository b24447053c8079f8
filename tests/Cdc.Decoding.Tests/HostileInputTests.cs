using System.Buffers;
using System.Globalization;
using Cdc.Decoding.Tests.Support;
using Cdc.Testing;
using static Cdc.Decoding.Tests.Support.PgOutputBuilder;

namespace Cdc.Decoding.Tests;

/// <summary>
/// Truncated, split and mutated input: the only exception allowed is <see cref="PgOutputException"/>; never an
/// IndexOutOfRange, a hang or an allocation sized by an unchecked wire length.
/// </summary>
public sealed class HostileInputTests
{
    private static readonly PgOutputOptions Options = new() { ProtocolVersion = 4, Streaming = true, TwoPhase = true, Messages = true, Binary = true };

    /// <summary>One hand-built message of every type (streamed ones with their [xid]).</summary>
    public static TheoryData<string, byte[], bool> EveryMessageType => new()
    {
        { "B", Begin(0x100, 5, 7), false },
        { "C", Commit(0x100, 0x128, 5), false },
        { "O", Origin(0x50, "origin"), false },
        { "R", Relation(1, "public", "t", 'd', ("id", 23, -1, true), ("v", 25, -1, false)), false },
        { "R streamed", RelationStreamed(9, 1, "public", "t", 'f', ("id", 23, -1, true)), true },
        { "Y", Type(null, 16500, "public", "mood"), false },
        { "I", Insert(null, 1, "1", null, "~", new byte[] { 1, 2 }), false },
        { "I streamed", Insert(9, 1, "1", "abc"), true },
        { "U", Update(null, 1, 'K', ["1"], "2", "~"), false },
        { "U full", Update(9, 1, 'O', ["1", "x"], "1", "y"), true },
        { "D", Delete(null, 1, 'O', "1", null), false },
        { "T", Truncate(null, 3, 1, 2, 3), false },
        { "M", LogicalMessage(null, true, 0x10, "outbox", "payload"), false },
        { "M streamed", LogicalMessage(9, true, 0x10, "outbox", "payload"), true },
        { "S", StreamStart(9, true), false },
        { "E", StreamStop(), false },
        { "c", StreamCommit(9, 0x10, 0x20, 3), false },
        { "A", StreamAbort(9, 10), false },
        { "A parallel", StreamAbortParallel(9, 9, 0x30, 4), false },
        { "b", BeginPrepare(0x10, 0x20, 3, 9, "gid"), false },
        { "P", Prepare(0x10, 0x20, 3, 9, "gid"), false },
        { "p", StreamPrepare(0x10, 0x20, 3, 9, "gid"), false },
        { "K", CommitPrepared(0x30, 0x40, 3, 9, "gid"), false },
        { "r", RollbackPrepared(0x20, 0x50, 3, 4, 9, "gid"), false },
    };

    [Theory]
    [MemberData(nameof(EveryMessageType))]
    public void Every_prefix_of_a_message_fails_only_with_a_protocol_error(string name, byte[] message, bool streamed)
    {
        Assert.NotEmpty(MessageDescriber.Describe(new ReadOnlySequence<byte>(message), streamed, Options));
        var failures = 0;
        for (var length = 0; length < message.Length; length++)
        {
            try
            {
                MessageDescriber.Describe(new ReadOnlySequence<byte>(message, 0, length), streamed, Options);
            }
            catch (PgOutputException e)
            {
                // The error names the message (type byte, 0 when nothing was there) and where in it reading stopped.
                Assert.Equal((length == 0 ? (byte)0 : message[0], new Lsn(0x10)), (e.MessageType, e.Lsn));
                Assert.InRange(e.Offset, 0, length);
                failures++;
            }
        }

        // Only the short form of a protocol 4 Stream Abort is itself a complete message.
        var validPrefixes = name == "A parallel" ? 1 : 0;
        Assert.Equal(message.Length - validPrefixes, failures);
    }

    [Theory]
    [MemberData(nameof(EveryMessageType))]
    public void Every_message_reads_the_same_with_one_byte_per_segment(string name, byte[] message, bool streamed)
    {
        Assert.NotNull(name);
        Assert.Equal(
            MessageDescriber.Describe(new ReadOnlySequence<byte>(message), streamed, Options),
            MessageDescriber.Describe(Segments.PerByte(message), streamed, Options));
    }

    [Theory]
    [MemberData(nameof(EveryMessageType))]
    public void Every_message_reads_the_same_after_an_empty_first_segment(string name, byte[] message, bool streamed)
    {
        Assert.NotNull(name);
        Assert.Equal(
            MessageDescriber.Describe(new ReadOnlySequence<byte>(message), streamed, Options),
            MessageDescriber.Describe(Segments.AfterEmptySegment(message), streamed, Options));
    }

    [Theory]
    [InlineData("v1-text.txt")]
    [InlineData("v2-binary-messages.txt")]
    [InlineData("v2-streaming.txt")]
    [InlineData("v3-two-phase.txt")]
    public void Captured_messages_read_the_same_with_one_byte_per_segment_and_fail_cleanly_on_every_prefix(string file)
    {
        var streamed = false;
        foreach (var message in CapturedMessage.LoadCaptured(file).DistinctBy(m => m.Type + (m.Data.Length > 64 ? "big" : "small")))
        {
            // The stream block state says whether content messages carry an [xid].
            streamed = message.Type switch { 'S' => true, 'E' => false, _ => streamed };
            var contiguous = MessageDescriber.Describe(new ReadOnlySequence<byte>(message.Data), streamed, Options);
            Assert.Equal(contiguous, MessageDescriber.Describe(Segments.PerByte(message.Data), streamed, Options));
            for (var length = 0; length < message.Data.Length; length++)
            {
                Assert.Throws<PgOutputException>(() => MessageDescriber.Describe(new ReadOnlySequence<byte>(message.Data, 0, length), streamed, Options));
            }
        }
    }

    [Fact]
    public void Whole_captured_streams_decode_the_same_with_one_byte_per_segment()
    {
        foreach (var file in new[] { "v1-text.txt", "v2-binary-messages.txt", "v3-two-phase.txt", "v2-streaming.txt" })
        {
            var messages = CapturedMessage.LoadCaptured(file);
            using var contiguous = new Pipeline(OptionsFor(file));
            using var split = new Pipeline(OptionsFor(file));
            foreach (var m in messages)
            {
                contiguous.Feed(m.Data, m.Lsn);
                split.Feed(Segments.PerByte(m.Data), m.Lsn);
            }

            Assert.NotEmpty(contiguous.Handler.Changes);
            Assert.Equal(contiguous.Handler.Changes.Count, split.Handler.Changes.Count);
            for (var i = 0; i < contiguous.Handler.Changes.Count; i++)
            {
                Assert.Equal(contiguous.Handler.Changes[i].NewRow, split.Handler.Changes[i].NewRow);
                Assert.Equal(contiguous.Handler.Changes[i].OldRow, split.Handler.Changes[i].OldRow);
            }
        }
    }

    [Theory]
    [InlineData("column count", 'R')]
    [InlineData("tuple column count", 'I')]
    [InlineData("value length", 'I')]
    [InlineData("relation count", 'T')]
    [InlineData("message length", 'M')]
    public void Huge_counts_and_lengths_from_the_wire_fail_without_allocating_what_they_claim(string field, char type)
    {
        byte[] message = field switch
        {
            "column count" => Message('R').UInt32(1).String("s").String("t").Char('d').Int16(short.MaxValue),
            "tuple column count" => Message('I').UInt32(1).Char('N').Int16(short.MaxValue).Char('n'),
            "value length" => Message('I').UInt32(1).Char('N').Int16(1).Char('t').Int32(int.MaxValue).Bytes("abc"u8),
            "relation count" => Message('T').Int32(int.MaxValue).Byte(0).UInt32(1),
            _ => Message('M').Byte(1).Int64(1).String("p").Int32(int.MaxValue).Bytes("abc"u8),
        };
        Assert.Equal(type, (char)message[0]);

        MessageDescriber.Describe(new ReadOnlySequence<byte>(Insert(null, 1, "warm")), false, Options);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<PgOutputException>(() => MessageDescriber.Describe(new ReadOnlySequence<byte>(message), false, Options));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated for a message claiming a huge {field}");
    }

    [Fact]
    public void Column_counts_above_the_configured_cap_are_refused()
    {
        var options = Options with { MaxColumns = 2 };
        var wide = Insert(null, 1, "1", "2", "3");
        Assert.Throws<PgOutputException>(() => MessageDescriber.Describe(new ReadOnlySequence<byte>(wide), false, options));
    }

    [Fact]
    public void A_binary_value_when_binary_was_not_requested_is_a_protocol_error_naming_the_lsn()
    {
        using var pipeline = new Pipeline(new PgOutputOptions { ProtocolVersion = 2 });
        pipeline.Feed(Begin(0x300, 5, 7), 0x100);
        pipeline.Feed(Relation(1, "public", "t", 'd', ("id", 23, -1, true), ("v", 25, -1, false)));

        var error = Assert.Throws<PgOutputException>(() =>
        {
            pipeline.Feed(Insert(null, 1, "1", new byte[] { 0, 0, 0, 1 }), 0x200);
            pipeline.Feed(Commit(0x200, 0x300, 5), 0x300);
        });

        Assert.Equal(new Lsn(0x200), error.Lsn);
        Assert.Equal((byte)'I', error.MessageType);
        Assert.Contains("binary value in column 1, but binary format was not requested", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Random_mutations_of_captured_streams_fail_only_with_protocol_errors()
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("CDC_FUZZ_ITERATIONS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 100_000;
        var corpus = new[] { "v1-text.txt", "v2-binary-messages.txt", "v3-two-phase.txt" }
            .Select(f => (Options: OptionsFor(f), Messages: CapturedMessage.LoadCaptured(f)))
            .Append((Options, HandBuiltStreaming()))
            .ToArray();

        // A fixed seed in CI; CDC_FUZZ_SEED explores other mutations on demand (a failure names its seed).
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CDC_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 20_240_601;
        var outcome = await Task.Run(() => Fuzz(corpus, iterations, seed)).WaitAsync(TimeSpan.FromMinutes(iterations > 100_000 ? 120 : 10));

        Assert.Equal(iterations, outcome.Runs);
        Assert.True(outcome.ProtocolErrors > iterations / 10, $"only {outcome.ProtocolErrors} of {iterations} mutations were detected");
    }

    [Fact]
    public async Task Random_mutations_of_a_real_streamed_capture_fail_only_with_protocol_errors()
    {
        var messages = CapturedMessage.LoadCaptured("v2-streaming.txt");
        var outcome = await Task.Run(() => Fuzz([(OptionsFor("v2-streaming.txt"), messages)], 300, seed: 7)).WaitAsync(TimeSpan.FromMinutes(5));
        Assert.Equal(300, outcome.Runs);
        Assert.True(outcome.ProtocolErrors > 300 / 10, $"only {outcome.ProtocolErrors} of 300 mutations were detected");
    }

    private static (int Runs, int ProtocolErrors) Fuzz((PgOutputOptions Options, IReadOnlyList<CapturedMessage> Messages)[] corpus, int iterations, int seed)
    {
        var random = new Random(seed);
        var protocolErrors = 0;
        var handler = new TouchingHandler();
        for (var i = 0; i < iterations; i++)
        {
            var (options, messages) = corpus[random.Next(corpus.Length)];
            var mutated = Mutate(messages, random);
            using var assembler = new TransactionAssembler(options);
            var decoder = new ChangeDecoder(options);
            try
            {
                foreach (var (lsn, data) in mutated)
                {
                    var sequence = random.Next(8) == 0 ? Segments.PerByte(data) : new ReadOnlySequence<byte>(data);
                    using var tx = assembler.Append(sequence, lsn, lsn);
                    if (tx is not null)
                    {
                        decoder.Decode(tx, handler);
                    }
                }
            }
            catch (PgOutputException)
            {
                protocolErrors++;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i} (seed {seed}) threw {e.GetType().Name}: {e}");
            }
        }

        return (iterations, protocolErrors);
    }

    private static List<(ulong Lsn, byte[] Data)> Mutate(IReadOnlyList<CapturedMessage> messages, Random random)
    {
        var list = messages.Select(m => (m.Lsn, m.Data)).ToList();
        var mutations = 1 + random.Next(3);
        for (var k = 0; k < mutations; k++)
        {
            var index = random.Next(list.Count);
            var (lsn, data) = list[index];
            var bytes = data.ToArray();
            switch (random.Next(9))
            {
                case 0 when bytes.Length > 0:
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Length > 0:
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    break;
                case 2 when bytes.Length >= 4:
                    var at = random.Next(bytes.Length - 3);
                    int[] extremes = [int.MaxValue, int.MinValue, -1, 0, 0x7FFF, 0x8000, 1 << 20, bytes.Length];
                    System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(at), extremes[random.Next(extremes.Length)]);
                    break;
                case 3:
                    bytes = bytes[..random.Next(bytes.Length + 1)];
                    break;
                case 4:
                    var extra = new byte[1 + random.Next(8)];
                    random.NextBytes(extra);
                    bytes = [.. bytes, .. extra];
                    break;
                case 5 when bytes.Length > 1:
                    var start = random.Next(bytes.Length);
                    var count = 1 + random.Next(Math.Min(8, bytes.Length - start));
                    bytes = [.. bytes.AsSpan(0, start), .. bytes.AsSpan(start + count)];
                    break;
                case 6:
                    list.RemoveAt(index);
                    if (list.Count == 0)
                    {
                        return list;
                    }

                    continue;
                case 7:
                    list.Insert(random.Next(list.Count + 1), (lsn, bytes));
                    continue;
                default:
                    var other = random.Next(list.Count);
                    (list[index], list[other]) = (list[other], list[index]);
                    continue;
            }

            list[index] = (lsn, bytes);
        }

        return list;
    }

    /// <summary>A small streamed workload: interleaved xids, a subtransaction abort, a whole abort, a stream prepare.</summary>
    private static IReadOnlyList<CapturedMessage> HandBuiltStreaming()
    {
        byte[][] messages =
        [
            StreamStart(10, true), RelationStreamed(10, 1, "public", "t", 'f', ("id", 23, -1, true), ("v", 25, -1, false)),
            Insert(10, 1, "1", "a"), Insert(11, 1, "2", "b"), StreamStop(),
            StreamStart(20, true), RelationStreamed(20, 1, "public", "t", 'f', ("id", 23, -1, true), ("v", 25, -1, false)),
            Update(20, 1, 'O', ["1", "a"], "1", "~"), LogicalMessage(20, true, 0x30, "outbox", "m"), StreamStop(),
            StreamAbort(10, 11), Begin(0x40, 0, 30), Truncate(null, 1, 1), Commit(0x40, 0x48, 0),
            StreamCommit(10, 0x50, 0x58, 0), StreamPrepare(0x60, 0x68, 0, 20, "g"), CommitPrepared(0x70, 0x78, 0, 20, "g"),
            StreamStart(40, true), Insert(40, 1, "9", "z"), StreamStop(), StreamAbortParallel(40, 40, 0x80, 0),
        ];
        return messages.Select((m, i) => new CapturedMessage((ulong)(i + 1) * 8, 0, m)).ToList();
    }

    private static PgOutputOptions OptionsFor(string file) => file switch
    {
        "v1-text.txt" => new PgOutputOptions { ProtocolVersion = 1 },
        "v2-binary-messages.txt" => new PgOutputOptions { ProtocolVersion = 2, Binary = true, Messages = true },
        "v2-streaming.txt" => new PgOutputOptions { ProtocolVersion = 2, Streaming = true },
        _ => new PgOutputOptions { ProtocolVersion = 3, TwoPhase = true },
    };

    /// <summary>Reads every value, as an encoder would.</summary>
    private sealed class TouchingHandler : IChangeHandler
    {
        private long _bytes;

        public void OnChange(ChangeItem change)
        {
            Touch(change.NewRow);
            Touch(change.OldRow);
            _bytes += change.Message?.Content.Length ?? 0;
            _bytes += change.Relation?.Columns.Count ?? 0;
        }

        public void OnRelation(RelationInfo relation) => _bytes += relation.Columns.Count;

        private void Touch(TupleData? tuple)
        {
            for (var i = 0; i < (tuple?.ColumnCount ?? 0); i++)
            {
                _bytes += tuple!.GetRaw(i).Length + (int)tuple.GetKind(i);
            }
        }
    }
}
