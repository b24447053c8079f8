using System.Buffers;
using System.Diagnostics;
using Xunit.Abstractions;

namespace Cdc.Decoding.ValueTests;

/// <summary>The hot path: encoding a row of common scalar types allocates nothing per column.</summary>
public sealed class EncodeAllocationTests(ITestOutputHelper output)
{
    private static readonly (string, uint, bool)[] _columns =
    [
        ("id", 20, true), ("name", 25, false), ("flag", 16, false), ("amount", 1700, false), ("ratio", 701, false),
        ("at", 1184, false), ("day", 1082, false), ("uid", 2950, false), ("doc", 3802, false), ("small", 21, false),
        ("blob", 17, false), ("note", 1043, false),
    ];

    [Fact]
    public void Encode_of_a_text_row_of_scalars_allocates_nothing()
        => AssertNoAllocation(new PgOutputBuilder().Byte('I').Int32(16400).Byte('N').Tuple(
            "9223372036854775807", "a fairly ordinary name", "t", "-12345.678900", "0.1", "2024-06-01 12:00:00.123456+02",
            "2024-02-29", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{\"a\": [1, 2]}", "-32768", "\\xdeadbeef", null).Bytes(), "text");

    [Fact]
    public void Encode_of_a_binary_row_of_scalars_allocates_nothing()
    {
        var builder = new PgOutputBuilder().Byte('I').Int32(16400).Byte('N').Int16(12);
        void Binary(string hex)
        {
            var bytes = Convert.FromHexString(hex);
            builder.Byte('b').Int32(bytes.Length);
            foreach (var b in bytes)
            {
                builder.Byte(b);
            }
        }

        Binary("7fffffffffffffff");
        Binary("6120666169726c79206f7264696e617279206e616d65");
        Binary("01");
        Binary("0003000140000006000109291a85"); // -12345.678900
        Binary("3fb999999999999a");
        Binary("0002c6b0cd6e8a40");
        Binary("00002191");
        Binary("a0eebc999c0b4ef8bb6d6bb9bd380a11");
        Binary("017b7d");
        Binary("8000");
        Binary("deadbeef");
        builder.Byte('u');
        AssertNoAllocation(builder.Bytes(), "binary");
    }

    private void AssertNoAllocation(byte[] insert, string mode)
    {
        var options = new PgOutputOptions { Binary = mode == "binary" };
        using var assembler = new TransactionAssembler(options);
        var decoder = new ChangeDecoder(options);
        var handler = new Handler();
        foreach (var message in new[] { PgOutputBuilder.Begin(0x100, 7), PgOutputBuilder.Relation(16400, "rows", 'd', _columns), insert, PgOutputBuilder.Commit(0x100, 0x200) })
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
