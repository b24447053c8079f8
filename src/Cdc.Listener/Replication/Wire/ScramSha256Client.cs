using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Cdc.Listener.Replication.Wire;

/// <summary>
/// Client side of SASL SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL 10+ speaks it in
/// <c>AuthenticationSASL</c> / <c>SASLContinue</c> / <c>SASLFinal</c>
/// (https://www.postgresql.org/docs/current/sasl-authentication.html). One instance per exchange.
/// </summary>
/// <remarks>
/// <para>No channel binding: the GS2 header is <c>n,,</c> ("client does not support it"), so the mechanism is
/// <see cref="Mechanism"/>, never <c>SCRAM-SHA-256-PLUS</c>.</para>
/// <para>PostgreSQL takes the user from the startup message and ignores the SCRAM user name, so the client-first message
/// carries an empty one (<c>n=</c>), as libpq sends it. The name is part of the signed AuthMessage, so the internal
/// constructor can set it to reproduce the RFC 7677 test vector, which uses <c>n=user</c>.</para>
/// <para>The server-final signature is checked: a server that cannot produce it does not hold the verifier for this
/// password, and the session is refused even though the server itself said "OK".</para>
/// </remarks>
internal sealed class ScramSha256Client
{
    public const string Mechanism = "SCRAM-SHA-256";

    /// <summary>Upper bound on the server's iteration count: PBKDF2 with more would stall the connect for minutes.</summary>
    internal const int MaxIterations = 10_000_000;

    /// <summary>GS2 header for "no channel binding"; its base64 form is the <c>c=</c> attribute of the client-final message.</summary>
    private const string Gs2Header = "n,,";

    private const int NonceBytes = 18;
    private const int KeyLength = 32;

    private readonly string _password;
    private readonly string _clientNonce;
    private readonly string _userName;
    private string? _clientFirstBare;
    private byte[]? _expectedServerSignature;

    /// <param name="password">The password in clear; prepared with SASLprep as PostgreSQL does (<see cref="SaslPrep"/>).</param>
    /// <param name="clientNonce">Fixed nonce for tests; by default 18 random bytes in base64.</param>
    public ScramSha256Client(string password, string? clientNonce = null)
        : this(password, clientNonce, userName: "")
    {
    }

    /// <param name="password">The password in clear.</param>
    /// <param name="clientNonce">Fixed nonce for tests; by default 18 random bytes in base64.</param>
    /// <param name="userName">SCRAM user name; PostgreSQL ignores it, only the RFC test vector needs one.</param>
    internal ScramSha256Client(string password, string? clientNonce, string userName)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(userName);
        clientNonce ??= Convert.ToBase64String(RandomNumberGenerator.GetBytes(NonceBytes));
        if (!ScramMessage.IsValidNonce(clientNonce))
        {
            throw new ArgumentException("a SCRAM nonce is non-empty printable ASCII without commas", nameof(clientNonce));
        }

        _password = password;
        _clientNonce = clientNonce;
        _userName = userName;
    }

    /// <summary>The client-first message (<c>n,,n=,r=&lt;nonce&gt;</c>), the initial response of <c>SASLInitialResponse</c>.</summary>
    public byte[] CreateClientFirstMessage()
    {
        _clientFirstBare = $"n={ScramMessage.EscapeName(_userName)},r={_clientNonce}";
        return Encoding.UTF8.GetBytes(Gs2Header + _clientFirstBare);
    }

    /// <summary>
    /// Checks the server-first message (<c>r=&lt;nonce&gt;,s=&lt;salt&gt;,i=&lt;iterations&gt;</c>) from <c>SASLContinue</c>
    /// and answers with the client-final message carrying the proof of the password.
    /// </summary>
    /// <exception cref="PgAuthenticationException">The server-first message is malformed or its nonce does not extend ours.</exception>
    public byte[] CreateClientFinalMessage(ReadOnlySpan<byte> serverFirstMessage)
    {
        if (_clientFirstBare is null)
        {
            throw new InvalidOperationException("send the client-first message before answering the server-first one");
        }

        const string what = "server-first";
        var serverFirst = ScramMessage.Decode(serverFirstMessage, what);
        var attributes = serverFirst.Split(',');
        if (ScramMessage.Is(attributes[0], 'm'))
        {
            throw new PgAuthenticationException("the server requires a SCRAM extension ('m=') this client does not support");
        }

        var serverNonce = ScramMessage.Expect(attributes, 0, 'r', what);
        var saltText = ScramMessage.Expect(attributes, 1, 's', what);
        var iterationText = ScramMessage.Expect(attributes, 2, 'i', what);

        // The server appends its own part to our nonce; anything else may be a replay of another exchange.
        if (!ScramMessage.IsValidNonce(serverNonce)
            || serverNonce.Length <= _clientNonce.Length
            || !serverNonce.StartsWith(_clientNonce, StringComparison.Ordinal))
        {
            throw new PgAuthenticationException("the SCRAM server nonce does not start with the client nonce (nonce mismatch)");
        }

        var salt = DecodeSalt(saltText);
        var iterations = ParseIterations(iterationText);

        var clientFinalWithoutProof = $"c={Convert.ToBase64String(Encoding.ASCII.GetBytes(Gs2Header))},r={serverNonce}";
        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{serverFirst},{clientFinalWithoutProof}");
        var proof = ComputeProof(salt, iterations, authMessage);
        return Encoding.UTF8.GetBytes($"{clientFinalWithoutProof},p={Convert.ToBase64String(proof)}");
    }

    /// <summary>Checks the server-final message of <c>SASLFinal</c>: <c>v=&lt;signature&gt;</c> or <c>e=&lt;error&gt;</c>.</summary>
    /// <exception cref="PgAuthenticationException">The server reported an error or its signature is wrong.</exception>
    public void VerifyServerFinalMessage(ReadOnlySpan<byte> serverFinalMessage)
    {
        if (_expectedServerSignature is null)
        {
            throw new InvalidOperationException("send the client-final message before checking the server-final one");
        }

        var serverFinal = ScramMessage.Decode(serverFinalMessage, "server-final");
        var first = serverFinal.Split(',')[0];
        if (ScramMessage.Is(first, 'e'))
        {
            throw new PgAuthenticationException($"the server ended the SCRAM exchange with error '{first[2..]}'");
        }

        if (!ScramMessage.Is(first, 'v'))
        {
            throw new PgAuthenticationException("the SCRAM server-final message has neither 'v=' nor 'e='");
        }

        var signature = new byte[KeyLength];
        if (!Convert.TryFromBase64String(first[2..], signature, out var written) || written != KeyLength)
        {
            throw new PgAuthenticationException("the SCRAM server signature is not 32 bytes of base64");
        }

        if (!CryptographicOperations.FixedTimeEquals(signature, _expectedServerSignature))
        {
            throw new PgAuthenticationException(
                "the SCRAM server signature is wrong: the server does not hold this password's verifier");
        }
    }

    private static byte[] DecodeSalt(string saltText)
    {
        var salt = new byte[saltText.Length]; // base64 decodes to fewer bytes than characters
        if (!Convert.TryFromBase64String(saltText, salt, out var length) || length == 0)
        {
            throw new PgAuthenticationException("the SCRAM salt ('s=') is not non-empty base64");
        }

        return salt[..length];
    }

    private static int ParseIterations(string text)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            || iterations < 1 || iterations > MaxIterations)
        {
            throw new PgAuthenticationException(
                $"the SCRAM iteration count ('i={text}') is not a number from 1 to {MaxIterations}");
        }

        return iterations;
    }

    /// <summary>
    /// RFC 5802 section 3. Keeps the expected server signature for <see cref="VerifyServerFinalMessage"/> and wipes the
    /// password-equivalent intermediates (SaltedPassword, ClientKey, StoredKey, ServerKey) before returning.
    /// </summary>
    private byte[] ComputeProof(byte[] salt, int iterations, byte[] authMessage)
    {
        var password = Encoding.UTF8.GetBytes(SaslPrep.Prepare(_password));
        Span<byte> saltedPassword = stackalloc byte[KeyLength];
        Span<byte> clientKey = stackalloc byte[KeyLength];
        Span<byte> storedKey = stackalloc byte[KeyLength];
        Span<byte> serverKey = stackalloc byte[KeyLength];
        try
        {
            Rfc2898DeriveBytes.Pbkdf2(password, salt, saltedPassword, iterations, HashAlgorithmName.SHA256);
            HMACSHA256.HashData(saltedPassword, "Client Key"u8, clientKey);
            SHA256.HashData(clientKey, storedKey);
            HMACSHA256.HashData(saltedPassword, "Server Key"u8, serverKey);

            var proof = HMACSHA256.HashData(storedKey, authMessage); // ClientSignature, then XOR ClientKey
            for (var i = 0; i < proof.Length; i++)
            {
                proof[i] ^= clientKey[i];
            }

            _expectedServerSignature = HMACSHA256.HashData(serverKey, authMessage);
            return proof;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
            CryptographicOperations.ZeroMemory(saltedPassword);
            CryptographicOperations.ZeroMemory(clientKey);
            CryptographicOperations.ZeroMemory(storedKey);
            CryptographicOperations.ZeroMemory(serverKey);
        }
    }
}
