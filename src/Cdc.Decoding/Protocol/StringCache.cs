using System.Text;

namespace Cdc.Decoding.Protocol;

/// <summary>
/// Remembers the last few short strings (logical message prefixes) by their UTF-8 bytes, so a stream of
/// outbox messages with the same prefix does not allocate a string per message.
/// </summary>
internal sealed class StringCache
{
    private const int Slots = 8;
    private const int MaxCachedBytes = 128;
    private readonly byte[][] _bytes = new byte[Slots][];
    private readonly string[] _strings = new string[Slots];
    private int _next;

    public string Get(ReadOnlySpan<byte> utf8, Encoding encoding)
    {
        if (utf8.Length > MaxCachedBytes)
        {
            return encoding.GetString(utf8);
        }

        for (var i = 0; i < Slots; i++)
        {
            if (_bytes[i] is { } cached && utf8.SequenceEqual(cached))
            {
                return _strings[i];
            }
        }

        var text = encoding.GetString(utf8);
        _bytes[_next] = utf8.ToArray();
        _strings[_next] = text;
        _next = (_next + 1) % Slots;
        return text;
    }
}
