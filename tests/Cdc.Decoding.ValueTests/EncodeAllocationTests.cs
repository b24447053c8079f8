using System.Buffers;
using System.Diagnostics;
using Cdc.Decoding.Tests.Support;
using Xunit.Abstractions;

namespace Cdc.Decoding.ValueTests;

/// <summary>The hot path: encoding a row of common scalar types allocates nothing per column.</summary>
public sealed class EncodeAllocationTests(ITestOutputHelper output)
{
    private static readonly (string, uint, int, bool)[] _columns =
    [
        ("id", 20, -1, true), ("name", 25, -1, false), ("flag", 16, -1, false), ("amount", 1700, -1, false), ("ratio", 701, -1, false),
        ("at", 1184, -1, false), ("day", 1082, -1, false), ("uid", 2950, -1, false), ("doc", 3802, -1, false), ("small", 21, -1, false),
        ("blob", 17, -1, false), ("note", 1043, -1, false),
    ];

    [Fact]
    public void Encode_of_a_text_row_of_scalars_allocates_nothing()
        => AssertNoAllocation(PgOutputBuilder.Insert(null, 16400,
            "9223372036854775807", "a fairly ordinary name", "t", "-12345.678900", "0.1", "2024-06-01 12:00:00.123456+02",
            "2024-02-29", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{\"a\": [1, 2]}", "-32768", "\\xdeadbeef", null), "text");

    [Fact]
    public void Encode_of_a_binary_row_of_scalars_allocates_nothing()
        => AssertNoAllocation(PgOutputBuilder.Insert(null, 16400,
            Hex("7fffffffffffffff"), Hex("6120666169726c79206f7264696e617279206e616d65"), Hex("01"),
            Hex("0003000140000006000109291a85"), // -12345.678900
            Hex("3fb999999999999a"), Hex("0002c6b0cd6e8a40"), Hex("00002191"), Hex("a0eebc999c0b4ef8bb6d6bb9bd380a11"),
            Hex("017b7d"), Hex("8000"), Hex("deadbeef"), "~"), "binary");

    private static byte[] Hex(string hex) => Convert.FromHexString(hex);

    private void AssertNoAllocation(byte[] insert, string mode)
    {
        var options = new PgOutputOptions { Binary = mode == "binary" };
        using var assembler = new TransactionAssembler(options);
        var decoder = new ChangeDecoder(options);
        var handler = new Handler();
        foreach (var message in new[] { PgOutputBuilder.Begin(0x100, 1000, 7), PgOutputBuilder.Relation(16400, "public", "rows", 'd', _columns), insert, PgOutputBuilder.Commit(0x100, 0x200, 1000) })
        {
            using var transaction = assembler.Append(new ReadOnlySequence<byte>(message), 0x100, 0x100);
            if (transaction is not null)
            {
                decoder.Decode(transaction, handler);
            }
        }

        output.WriteLine($"{mode}: {handler.Bytes} bytes per event, {handler.PerSecond:N0} events/s ({handler.PerSecond * _columns.Length:N0} columns/s), {handler.Allocated} bytes allocated in {Handler.Rounds} encodes");
        Assert.Equal(0, handler.Allocated);
    }

    private sealed class Handler : IChangeHandler
    {
        public const int Rounds = 20_000;
        private readonly ChangeEventEncoder _encoder = new();
        private readonly ArrayBufferWriter<byte> _buffer = new(4096);

        public long Allocated { get; private set; }

        public int Bytes { get; private set; }

        public double PerSecond { get; private set; }

        public void OnChange(ChangeItem change)
        {
            for (var i = 0; i < 100; i++)
            {
                _buffer.ResetWrittenCount();
                _encoder.Encode(change, "db", _buffer);
            }

            var watch = new Stopwatch();
            var before = GC.GetAllocatedBytesForCurrentThread();
            watch.Start();
            for (var i = 0; i < Rounds; i++)
            {
                _buffer.ResetWrittenCount();
                Bytes = _encoder.Encode(change, "db", _buffer);
            }

            watch.Stop();
            Allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            PerSecond = Rounds / watch.Elapsed.TotalSeconds;
        }

        public void OnRelation(RelationInfo relation)
        {
        }
    }
}
