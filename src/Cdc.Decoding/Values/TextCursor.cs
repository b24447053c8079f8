namespace Cdc.Decoding.Values;

/// <summary>Walks a value's text output (UTF-8 bytes); failures name the type and the text.</summary>
internal ref struct TextCursor
{
    private readonly ReadOnlySpan<byte> _text;
    private readonly string _typeName;
    private int _offset;

    public TextCursor(ReadOnlySpan<byte> text, string typeName)
    {
        _text = text;
        _typeName = typeName;
        _offset = 0;
    }

    public readonly bool AtEnd => _offset >= _text.Length;

    public readonly int Offset => _offset;

    public readonly int Peek() => _offset < _text.Length ? _text[_offset] : -1;

    public bool TryConsume(byte expected)
    {
        if (_offset < _text.Length && _text[_offset] == expected)
        {
            _offset++;
            return true;
        }

        return false;
    }

    public bool TryConsume(ReadOnlySpan<byte> expected)
    {
        if (_text[_offset..].StartsWith(expected))
        {
            _offset += expected.Length;
            return true;
        }

        return false;
    }

    public void Expect(byte expected)
    {
        if (!TryConsume(expected))
        {
            throw Fail($"expected '{(char)expected}' at offset {_offset}");
        }
    }

    public void SkipSpaces()
    {
        while (_offset < _text.Length && _text[_offset] == (byte)' ')
        {
            _offset++;
        }
    }

    /// <summary>Reads an unsigned decimal number of at least one digit (at most 18 digits).</summary>
    public long ReadNumber(out int digits)
    {
        long value = 0;
        digits = 0;
        while (_offset < _text.Length && (uint)(_text[_offset] - '0') <= 9)
        {
            if (digits == 18)
            {
                throw Fail("number too long");
            }

            value = (value * 10) + (_text[_offset] - '0');
            _offset++;
            digits++;
        }

        if (digits == 0)
        {
            throw Fail($"expected a digit at offset {_offset}");
        }

        return value;
    }

    public long ReadNumber() => ReadNumber(out _);

    /// <summary>Reads ".ffffff" when present: a fraction of a second in microseconds (extra digits are refused).</summary>
    public long ReadFractionMicros()
    {
        if (!TryConsume((byte)'.'))
        {
            return 0;
        }

        var fraction = ReadNumber(out var digits);
        if (digits > 6)
        {
            throw Fail("more than 6 fractional digits of a second");
        }

        for (var i = digits; i < 6; i++)
        {
            fraction *= 10;
        }

        return fraction;
    }

    public readonly void ExpectEnd()
    {
        if (_offset != _text.Length)
        {
            throw Fail($"unexpected text at offset {_offset}");
        }
    }

    public readonly PgOutputException Fail(string detail)
        => ValueErrors.Malformed(_typeName, detail, _text);
}
