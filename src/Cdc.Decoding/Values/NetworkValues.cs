using System.Net;
using Google.Protobuf;

namespace Cdc.Decoding.Values;

/// <summary>inet, cidr, macaddr and macaddr8 in text and binary form.</summary>
internal static class NetworkValues
{
    private const byte FamilyV4 = 2;
    private const byte FamilyV6 = 3;

    public static V1.Inet InetFromBinary(ReadOnlySpan<byte> data, string typeName)
    {
        var cursor = new BinaryCursor(data, typeName);
        var family = cursor.ReadByte();
        var bits = cursor.ReadByte();
        var isCidr = cursor.ReadByte();
        var length = cursor.ReadByte();
        var expected = family switch
        {
            FamilyV4 => 4,
            FamilyV6 => 16,
            _ => throw cursor.Fail($"unknown address family {family}"),
        };
        if (length != expected || bits > expected * 8 || isCidr > 1)
        {
            throw cursor.Fail($"bad header (family {family}, bits {bits}, length {length})");
        }

        var address = cursor.Take(length);
        cursor.ExpectEnd();
        return new V1.Inet { Address = ByteString.CopyFrom(address), PrefixLength = bits, IsCidr = isCidr == 1 };
    }

    public static V1.Inet InetFromText(ReadOnlySpan<byte> text, bool isCidr, string typeName)
    {
        var slash = text.IndexOf((byte)'/');
        var addressText = slash < 0 ? text : text[..slash];
        Span<byte> address = stackalloc byte[16];
        var length = ParseAddress(addressText, address, typeName);
        var bits = length * 8;
        if (slash >= 0)
        {
            var cursor = new TextCursor(text[(slash + 1)..], typeName);
            bits = (int)cursor.ReadNumber();
            cursor.ExpectEnd();
            if (bits > length * 8)
            {
                throw ValueErrors.Malformed(typeName, $"prefix length {bits} too long", text);
            }
        }

        return new V1.Inet { Address = ByteString.CopyFrom(address[..length]), PrefixLength = bits, IsCidr = isCidr };
    }

    private static int ParseAddress(ReadOnlySpan<byte> text, Span<byte> address, string typeName)
    {
        if (text.Length is 0 or > 45)
        {
            throw ValueErrors.Malformed(typeName, "bad address", text);
        }

        if (text.IndexOf((byte)':') < 0)
        {
            var cursor = new TextCursor(text, typeName);
            for (var i = 0; i < 4; i++)
            {
                if (i > 0)
                {
                    cursor.Expect((byte)'.');
                }

                var octet = cursor.ReadNumber();
                if (octet > 255)
                {
                    throw cursor.Fail("octet out of range");
                }

                address[i] = (byte)octet;
            }

            cursor.ExpectEnd();
            return 4;
        }

        Span<char> chars = stackalloc char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            chars[i] = (char)text[i];
        }

        if (!IPAddress.TryParse(chars, out var parsed) || !parsed.TryWriteBytes(address, out var written) || written != 16)
        {
            throw ValueErrors.Malformed(typeName, "bad IPv6 address", text);
        }

        return 16;
    }

    public static ByteString MacFromText(ReadOnlySpan<byte> text, int length, string typeName)
    {
        // Output form is always xx:xx:xx:xx:xx:xx (or 8 groups for macaddr8).
        if (text.Length != (length * 3) - 1)
        {
            throw ValueErrors.Malformed(typeName, "bad address", text);
        }

        Span<byte> bytes = stackalloc byte[8];
        for (var i = 0; i < length; i++)
        {
            if (i > 0 && text[(i * 3) - 1] != (byte)':')
            {
                throw ValueErrors.Malformed(typeName, "bad address", text);
            }

            var high = HexValue(text[i * 3]);
            var low = HexValue(text[(i * 3) + 1]);
            if ((high | low) < 0)
            {
                throw ValueErrors.Malformed(typeName, "bad address", text);
            }

            bytes[i] = (byte)((high << 4) | low);
        }

        return ByteString.CopyFrom(bytes[..length]);
    }

    public static ByteString MacFromBinary(ReadOnlySpan<byte> data, int length, string typeName)
        => data.Length == length
            ? ByteString.CopyFrom(data)
            : throw ValueErrors.Malformed(typeName, $"{data.Length} bytes, expected {length}");

    public static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
