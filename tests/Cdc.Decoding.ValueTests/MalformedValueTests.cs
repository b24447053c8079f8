using System.Text;
using Cdc.Decoding.Values;

namespace Cdc.Decoding.ValueTests;

/// <summary>Bad bytes of any type fail with <see cref="PgOutputException"/>, never with an IndexOutOfRange or a hang.</summary>
public sealed class MalformedValueTests
{
    private static readonly byte[][] _binarySamples =
    [
        Convert.FromHexString("00000002000000010000001700000002000000000000000100000005000000040000000700000004"),
        Convert.FromHexString("0002000000000002000c0d80"),
        Convert.FromHexString("12000000040000000100000004000000ff"),
        Convert.FromHexString("000000020000001700000004000000 2a00000019ffffffff".Replace(" ", string.Empty, StringComparison.Ordinal)),
        Convert.FromHexString("0000000261000002c00100026227630000000000"),
        Convert.FromHexString("0308018000000000000000000000000000000001"),
        Convert.FromHexString("01000000020000001a"),
    ];

    [Fact]
    public void Every_prefix_and_corruption_of_binary_values_fails_cleanly_for_every_builtin_type()
    {
        var converter = new ValueConverter();
        var random = new Random(1234);
        var attempts = 0;
        foreach (var type in BuiltinTypes.All)
        {
            foreach (var sample in _binarySamples)
            {
                for (var length = 0; length <= sample.Length; length++)
                {
                    Check(() => converter.ConvertBinary(type.Oid, sample.AsSpan(0, length)), type, sample[..length]);
                    attempts++;
                }

                for (var round = 0; round < 20; round++)
                {
                    var corrupt = (byte[])sample.Clone();
                    corrupt[random.Next(corrupt.Length)] = (byte)random.Next(256);
                    Check(() => converter.ConvertBinary(type.Oid, corrupt), type, corrupt);
                    attempts++;
                }
            }
        }

        Assert.True(attempts > 10_000);
    }

    [Theory]
    [InlineData("{1,{2}}")]
    [InlineData("{{1,2}")]
    [InlineData("[0:1]={1}")]
    [InlineData("[0:1={1}")]
    [InlineData("(1,")]
    [InlineData("[1,2")]
    [InlineData("{\"abc")]
    [InlineData("\"")]
    [InlineData("(")]
    [InlineData("<(1,2),")]
    [InlineData("1 days 25:")]
    [InlineData("2024-13-01")]
    [InlineData("99999999999999999999999")]
    [InlineData("\\x0")]
    [InlineData("{[1,3),")]
    [InlineData("-")]
    [InlineData("")]
    public void Garbage_text_fails_cleanly_for_every_builtin_type(string text)
    {
        var converter = new ValueConverter();
        var bytes = Encoding.UTF8.GetBytes(text);
        foreach (var type in BuiltinTypes.All)
        {
            Check(() => converter.ConvertText(type.Oid, bytes), type, bytes);
        }
    }

    [Theory]
    [InlineData(23u, "secret-4111111111111111")]
    [InlineData(1700u, "secret-4111111111111111")]
    [InlineData(2950u, "secret-4111111111111111")]
    [InlineData(869u, "secret-4111111111111111")]
    [InlineData(1007u, "{secret-4111111111111111")]
    [InlineData(3904u, "[secret-4111111111111111")]
    [InlineData(1082u, "secret-4111111111111111")]
    public void A_malformed_value_error_gives_the_type_and_length_but_never_quotes_the_row_data(uint typeOid, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);

        var error = Assert.Throws<PgOutputException>(() => new ValueConverter().ConvertText(typeOid, bytes));

        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("4111", error.Message, StringComparison.Ordinal);
        Assert.Matches(@"value of \d+ bytes", error.Message);
    }

    private static void Check(Action convert, BuiltinType type, byte[] data)
    {
        try
        {
            convert();
        }
        catch (PgOutputException)
        {
        }
        catch (Exception e)
        {
            Assert.Fail($"{type.Name} on {Convert.ToHexString(data)} threw {e.GetType().Name}: {e.Message}");
        }
    }
}
