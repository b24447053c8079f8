using System.Text;

namespace Cdc.Listener.Replication.Wire;

/// <summary>
/// Reads SCRAM messages (RFC 5802 section 7): comma-separated <c>x=value</c> attributes, each named by one ASCII letter.
/// A value never contains a comma (user names escape it as <c>=2C</c>), so splitting on commas is exact.
/// </summary>
internal static class ScramMessage
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes a server message; malformed UTF-8 is a protocol failure, not something to guess around.</summary>
    public static string Decode(ReadOnlySpan<byte> message, string what)
    {
        try
        {
            return StrictUtf8.GetString(message);
        }
        catch (DecoderFallbackException e)
        {
            throw new PgAuthenticationException($"the SCRAM {what} message is not valid UTF-8", e);
        }
    }

    /// <summary>
    /// Returns the value of the attribute at <paramref name="index"/>, which must be named <paramref name="name"/>.
    /// RFC 5802 fixes the order of attributes, so one at the wrong place is as malformed as a missing one.
    /// </summary>
    public static string Expect(string[] attributes, int index, char name, string what)
    {
        if (index >= attributes.Length || !Is(attributes[index], name))
        {
            throw new PgAuthenticationException(
                $"the SCRAM {what} message has no '{name}=' attribute where RFC 5802 puts it (attribute {index + 1})");
        }

        return attributes[index][2..];
    }

    /// <summary>Whether <paramref name="attribute"/> is <c>name=...</c>.</summary>
    public static bool Is(string attribute, char name)
        => attribute.Length >= 2 && attribute[0] == name && attribute[1] == '=';

    /// <summary>
    /// Whether <paramref name="nonce"/> is a valid SCRAM nonce: printable ASCII other than a comma (RFC 5802 "printable").
    /// </summary>
    public static bool IsValidNonce(string nonce)
    {
        if (nonce.Length == 0)
        {
            return false;
        }

        foreach (var c in nonce)
        {
            if (c is < '\x21' or > '\x7E' or ',')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>RFC 5802 "saslname": '=' and ',' are escaped as <c>=3D</c> and <c>=2C</c>.</summary>
    public static string EscapeName(string name)
        => name.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);
}
