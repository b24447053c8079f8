using System.Security.Cryptography;
using System.Text;

namespace Cdc.Listener.Replication.Wire;

/// <summary>
/// The answer to <c>AuthenticationMD5Password</c>: <c>"md5" + md5hex(md5hex(password + user) + salt)</c>
/// (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP).
/// </summary>
/// <remarks>
/// The inner hash is what the server stores in pg_authid (without the "md5" prefix), so the server can check the answer
/// without the clear password; the random 4-byte salt keeps a captured answer from being replayed on another connection.
/// MD5 authentication is deprecated since PostgreSQL 14 in favour of SCRAM, but servers upgraded from older versions
/// still ask for it. Hex digits are lower case, as the server compares them byte for byte.
/// </remarks>
internal static class Md5Password
{
    private const int SaltLength = 4;

    /// <summary>The PasswordMessage payload, UTF-8, without the terminating NUL the message adds.</summary>
    /// <exception cref="PgAuthenticationException">The server sent a salt that is not 4 bytes.</exception>
    public static byte[] Compute(string user, string password, ReadOnlySpan<byte> salt4)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
        if (salt4.Length != SaltLength)
        {
            throw new PgAuthenticationException($"the MD5 salt is {salt4.Length} bytes, the protocol sends {SaltLength}");
        }

        Span<byte> digest = stackalloc byte[MD5.HashSizeInBytes];
        var secret = Encoding.UTF8.GetBytes(password + user);
        try
        {
            MD5.HashData(secret, digest);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }

        // 32 lower-case hex digits of the inner hash, then the salt, hashed again.
        Span<byte> salted = stackalloc byte[MD5.HashSizeInBytes * 2 + SaltLength];
        WriteHex(digest, salted);
        salt4.CopyTo(salted[(MD5.HashSizeInBytes * 2)..]);
        MD5.HashData(salted, digest);
        CryptographicOperations.ZeroMemory(salted);

        var answer = new byte[3 + MD5.HashSizeInBytes * 2];
        "md5"u8.CopyTo(answer);
        WriteHex(digest, answer.AsSpan(3));
        return answer;
    }

    private static void WriteHex(ReadOnlySpan<byte> bytes, Span<byte> destination)
    {
        var digits = "0123456789abcdef"u8;
        for (var i = 0; i < bytes.Length; i++)
        {
            destination[2 * i] = digits[bytes[i] >> 4];
            destination[2 * i + 1] = digits[bytes[i] & 0xF];
        }
    }
}
