namespace Cdc.Decoding.Values;

/// <summary>
/// Quoted parts of array, range and record text output: backslash escapes any character, and (records,
/// ranges) a doubled quote inside quotes is one quote.
/// </summary>
internal static class QuotedText
{
    /// <summary>Finds the closing quote of the quoted token at <paramref name="start"/>; returns the index after it.</summary>
    public static int FindEnd(ReadOnlySpan<byte> text, int start, string typeName, out bool escaped)
    {
        escaped = false;
        var i = start + 1;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == (byte)'\\')
            {
                escaped = true;
                i += 2;
                continue;
            }

            if (c == (byte)'"')
            {
                if (i + 1 < text.Length && text[i + 1] == (byte)'"')
                {
                    escaped = true;
                    i += 2;
                    continue;
                }

                return i + 1;
            }

            i++;
        }

        throw ValueErrors.Malformed(typeName, "unterminated quote", text);
    }

    /// <summary>Removes escapes from a quoted token's content (without its outer quotes); returns the length written.</summary>
    public static int Unescape(ReadOnlySpan<byte> content, Span<byte> destination)
    {
        var length = 0;
        for (var i = 0; i < content.Length; i++)
        {
            var c = content[i];
            if ((c == (byte)'\\' || (c == (byte)'"' && i + 1 < content.Length && content[i + 1] == (byte)'"')) && i + 1 < content.Length)
            {
                i++;
                c = content[i];
            }

            destination[length++] = c;
        }

        return length;
    }
}
