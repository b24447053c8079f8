using System.Buffers;
using System.Text;

namespace Cdc.Decoding.Values;

/// <summary>
/// Renders numeric's send format exactly as numeric_out does: base-10000 digits with weight (position of the
/// first digit group), sign (with NaN and infinities) and display scale. Never goes through a double.
/// </summary>
internal static class NumericBinary
{
    private const ushort Positive = 0x0000;
    private const ushort Negative = 0x4000;
    private const ushort NaN = 0xC000;
    private const ushort PositiveInfinity = 0xD000;
    private const ushort NegativeInfinity = 0xF000;
    private const int MaxDisplayScale = 0x3FFF;

    public static string ToText(ReadOnlySpan<byte> data)
    {
        var length = MaxTextLength(data);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Format(data, rented);
            return Encoding.ASCII.GetString(rented, 0, written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Validates the header and returns an upper bound of the text length.</summary>
    public static int MaxTextLength(ReadOnlySpan<byte> data)
    {
        var cursor = new BinaryCursor(data, "numeric");
        var digitCount = cursor.ReadInt16();
        var weight = cursor.ReadInt16();
        var sign = cursor.ReadUInt16();
        var scale = cursor.ReadUInt16();
        if (sign is NaN or PositiveInfinity or NegativeInfinity)
        {
            return 9;
        }

        if (sign is not (Positive or Negative))
        {
            throw cursor.Fail($"unknown sign 0x{sign:X4}");
        }

        if (digitCount < 0 || scale > MaxDisplayScale)
        {
            throw cursor.Fail($"bad header (ndigits {digitCount}, dscale {scale})");
        }

        _ = cursor.Take(digitCount * 2);
        cursor.ExpectEnd();

        // Sign, integer part: (weight + 1) groups of 4 digits (at least "0"), then '.' and scale digits.
        return 1 + Math.Max(Math.Max(weight + 1, 0) * 4, 1) + 1 + scale;
    }

    /// <summary>Writes numeric_out's text as ASCII; <paramref name="output"/> holds at least <see cref="MaxTextLength"/> bytes.</summary>
    public static int Format(ReadOnlySpan<byte> data, Span<byte> output)
    {
        var cursor = new BinaryCursor(data, "numeric");
        var digitCount = cursor.ReadInt16();
        var weight = cursor.ReadInt16();
        var sign = cursor.ReadUInt16();
        var scale = cursor.ReadUInt16();
        ReadOnlySpan<byte> special = sign switch
        {
            NaN => "NaN"u8,
            PositiveInfinity => "Infinity"u8,
            NegativeInfinity => "-Infinity"u8,
            _ => default,
        };
        if (!special.IsEmpty)
        {
            special.CopyTo(output);
            return special.Length;
        }

        var digits = cursor.Take(digitCount * 2);
        return Write(digits, digitCount, weight, sign == Negative, scale, output, cursor);
    }

    private static int Write(ReadOnlySpan<byte> digits, int digitCount, int weight, bool negative, int scale, Span<byte> output, BinaryCursor cursor)
    {
        var position = 0;
        if (negative)
        {
            output[position++] = (byte)'-';
        }

        if (weight < 0)
        {
            output[position++] = (byte)'0';
        }
        else
        {
            for (var group = 0; group <= weight; group++)
            {
                var value = Group(digits, digitCount, group, cursor);
                if (group == 0)
                {
                    position = WriteLeading(value, output, position);
                }
                else
                {
                    position = WriteFour(value, output, position);
                }
            }
        }

        if (scale > 0)
        {
            output[position++] = (byte)'.';
            var remaining = scale;
            Span<byte> four = stackalloc byte[4];
            for (var group = weight + 1; remaining > 0; group++)
            {
                var value = group < 0 ? 0 : Group(digits, digitCount, group, cursor);
                WriteFour(value, four, 0);
                var take = Math.Min(4, remaining);
                four[..take].CopyTo(output[position..]);
                position += take;
                remaining -= take;
            }
        }

        return position;
    }

    private static int Group(ReadOnlySpan<byte> digits, int digitCount, int group, BinaryCursor cursor)
    {
        if (group >= digitCount)
        {
            return 0;
        }

        var value = (digits[group * 2] << 8) | digits[(group * 2) + 1];
        if (value > 9999)
        {
            throw cursor.Fail($"digit group {value} exceeds 9999");
        }

        return value;
    }

    private static int WriteLeading(int value, Span<byte> output, int position)
    {
        if (value >= 1000)
        {
            return WriteFour(value, output, position);
        }

        if (value >= 100)
        {
            output[position++] = (byte)('0' + (value / 100));
            output[position++] = (byte)('0' + (value / 10 % 10));
        }
        else if (value >= 10)
        {
            output[position++] = (byte)('0' + (value / 10));
        }

        output[position++] = (byte)('0' + (value % 10));
        return position;
    }

    private static int WriteFour(int value, Span<byte> output, int position)
    {
        output[position] = (byte)('0' + (value / 1000));
        output[position + 1] = (byte)('0' + (value / 100 % 10));
        output[position + 2] = (byte)('0' + (value / 10 % 10));
        output[position + 3] = (byte)('0' + (value % 10));
        return position + 4;
    }
}
