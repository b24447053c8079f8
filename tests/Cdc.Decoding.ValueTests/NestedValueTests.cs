using System.Buffers;
using System.Runtime.ExceptionServices;
using Cdc.Decoding.Tests.Support;
using Cdc.Decoding.Values;
using static Cdc.Decoding.ValueTests.NestedBinaryValues;

namespace Cdc.Decoding.ValueTests;

/// <summary>
/// Binary values name the types of their own fields and elements, so a row can nest records and arrays as deep as
/// its length allows. Deep values must fail as a malformed value, never overflow the stack and kill the process.
/// Conversions run on a new thread with the default stack size (smaller than the main thread's), as the
/// listener's own threads have.
/// </summary>
public sealed class NestedValueTests
{
    [Fact]
    public void A_240_KB_nested_record_is_a_value_error_not_a_stack_overflow()
    {
        var value = RecordChain(20_000);
        Assert.InRange(value.Length, 230_000, 250_000);

        var error = OnDefaultStack(() => Assert.Throws<PgOutputException>(() => new ValueConverter().ConvertBinary(RecordOid, value)));

        Assert.Contains($"nested more than {ValueConverter.MaxNestingDepth} levels deep", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_up_to_the_cap_converts_and_one_level_more_fails()
    {
        var converter = new ValueConverter();

        var deepest = OnDefaultStack(() => converter.ConvertBinary(RecordOid, RecordChain(ValueConverter.MaxNestingDepth)));
        Assert.Throws<PgOutputException>(() => converter.ConvertBinary(RecordOid, RecordChain(ValueConverter.MaxNestingDepth + 1)));

        var levels = 0;
        for (var composite = deepest.Composite; composite is not null; composite = composite.Fields[0].Value.Composite)
        {
            levels++;
        }

        Assert.Equal(ValueConverter.MaxNestingDepth, levels);
    }

    [Fact]
    public void Randomly_nested_records_arrays_and_ranges_convert_within_the_cap_and_fail_cleanly_beyond_or_when_corrupted()
    {
        var random = new Random(20261207);
        var converter = new ValueConverter();
        var (converted, tooDeep, corrupted) = (0, 0, 0);
        OnDefaultStack(() =>
        {
            for (var round = 0; round < 600; round++)
            {
                var levels = random.Next(ValueConverter.MaxNestingDepth + 16);
                var (oid, bytes) = NestedBinaryValues.Random(random, levels);
                if (levels <= ValueConverter.MaxNestingDepth)
                {
                    converter.ConvertBinary(oid, bytes);
                    converted++;
                }
                else
                {
                    var error = Assert.Throws<PgOutputException>(() => converter.ConvertBinary(oid, bytes));
                    Assert.Contains("levels deep", error.Message, StringComparison.Ordinal);
                    tooDeep++;
                }

                for (var mutation = 0; mutation < 8; mutation++)
                {
                    var corrupt = Corrupt(random, bytes);
                    try
                    {
                        converter.ConvertBinary(oid, corrupt);
                    }
                    catch (PgOutputException)
                    {
                        corrupted++;
                    }
                    catch (Exception e)
                    {
                        Assert.Fail($"oid {oid} on {Convert.ToHexString(corrupt)} threw {e.GetType().Name}: {e.Message}");
                    }
                }
            }

            return 0;
        });

        Assert.True(converted > 400 && tooDeep > 50 && corrupted > 1000, $"{converted} converted, {tooDeep} too deep, {corrupted} corruptions refused");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_too_deep_value_error_names_the_column_table_and_lsn(bool encodeToBytes)
    {
        var options = new PgOutputOptions { Binary = true };
        var relation = PgOutputBuilder.Relation(9, "public", "docs", 'd', ("id", 23u, -1, true), ("doc", RecordOid, -1, false));
        var insert = PgOutputBuilder.Insert(null, 9, "1", RecordChain(ValueConverter.MaxNestingDepth + 1));
        var encoder = new ChangeEventEncoder();
        var handler = new CallbackHandler(change =>
        {
            if (encodeToBytes)
            {
                encoder.Encode(change, "db", new ArrayBufferWriter<byte>());
            }
            else
            {
                encoder.ToEvent(change, "db");
            }
        });

        var error = Assert.Throws<PgOutputException>(() => Run(options, handler, relation, insert));

        Assert.Contains("nested more than 64 levels deep", error.Message, StringComparison.Ordinal);
        Assert.Contains("column \"doc\" of public.docs", error.Message, StringComparison.Ordinal);
        Assert.Contains("Insert at LSN 0/100", error.Message, StringComparison.Ordinal);
    }

    /// <summary>One of: a byte changed, the value cut short, or a length/count field set to a large or negative number.</summary>
    private static byte[] Corrupt(Random random, byte[] bytes)
    {
        var corrupt = (byte[])bytes.Clone();
        switch (random.Next(3))
        {
            case 0:
                corrupt[random.Next(corrupt.Length)] = (byte)random.Next(256);
                return corrupt;
            case 1:
                return corrupt[..random.Next(corrupt.Length)];
            default:
                if (corrupt.Length < 4)
                {
                    return [];
                }

                var field = random.Next(3) switch { 0 => int.MaxValue, 1 => -2, _ => random.Next(1 << 16) };
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(corrupt.AsSpan(random.Next(corrupt.Length - 3)), field);
                return corrupt;
        }
    }

    /// <summary>Runs <paramref name="action"/> on a new thread with the default stack size and rethrows what it threw.</summary>
    private static T OnDefaultStack<T>(Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = action();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        });
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    private static void Run(PgOutputOptions options, IChangeHandler handler, params byte[][] messages)
    {
        using var assembler = new TransactionAssembler(options);
        var decoder = new ChangeDecoder(options);
        foreach (var message in (byte[][])[PgOutputBuilder.Begin(0x100, 1000, 77), .. messages, PgOutputBuilder.Commit(0x100, 0x200, 1000)])
        {
            using var transaction = assembler.Append(new ReadOnlySequence<byte>(message), 0x100, 0x100);
            if (transaction is not null)
            {
                decoder.Decode(transaction, handler);
            }
        }
    }

    private sealed class CallbackHandler(Action<ChangeItem> onChange) : IChangeHandler
    {
        public void OnChange(ChangeItem change) => onChange(change);

        public void OnRelation(RelationInfo relation)
        {
        }
    }
}
