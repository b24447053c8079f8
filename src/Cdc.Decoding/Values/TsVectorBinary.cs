using System.Globalization;
using System.Text;

namespace Cdc.Decoding.Values;

/// <summary>Renders tsvector's send format as tsvectorout does: <c>'lexeme':1A,2 'other':3</c>.</summary>
internal static class TsVectorBinary
{
    public static string ToText(ReadOnlySpan<byte> data)
    {
        var cursor = new BinaryCursor(data, "tsvector");
        var count = cursor.ReadInt32();
        // Each lexeme takes at least a NUL and a position count.
        if (count < 0 || count > cursor.Remaining / 3)
        {
            throw cursor.Fail($"lexeme count {count} exceeds the value");
        }

        var builder = new StringBuilder(data.Length + (count * 4));
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                builder.Append(' ');
            }

            var lexeme = cursor.ReadCString();
            builder.Append('\'');
            var text = Encoding.UTF8.GetString(lexeme);
            foreach (var c in text)
            {
                // tsvectorout doubles quotes and backslashes.
                if (c is '\'' or '\\')
                {
                    builder.Append(c);
                }

                builder.Append(c);
            }

            builder.Append('\'');
            var positions = cursor.ReadUInt16();
            for (var p = 0; p < positions; p++)
            {
                var entry = cursor.ReadUInt16();
                builder.Append(p == 0 ? ':' : ',');
                builder.Append((entry & 0x3FFF).ToString(CultureInfo.InvariantCulture));
                switch (entry >> 14)
                {
                    case 3:
                        builder.Append('A');
                        break;
                    case 2:
                        builder.Append('B');
                        break;
                    case 1:
                        builder.Append('C');
                        break;
                }
            }
        }

        cursor.ExpectEnd();
        return builder.ToString();
    }
}
