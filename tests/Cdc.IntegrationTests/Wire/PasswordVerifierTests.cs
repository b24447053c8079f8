using System.Security.Cryptography;
using System.Text;
using Cdc.Listener.Replication.Wire;
using Cdc.Testing;

namespace Cdc.IntegrationTests.Wire;

/// <summary>
/// Checks the authentication primitives against the verifiers a real PostgreSQL 15 stores in pg_authid, playing the
/// server's side of the exchange with them. No connection is authenticated: the test cluster trusts loopback.
/// </summary>
public sealed class PasswordVerifierTests
{
    [Fact]
    public async Task Scram_proof_satisfies_the_verifier_postgres_stored_including_saslprep_mapping()
    {
        await using var pg = await PostgresServer.StartAsync();
        string[] passwords =
        [
            "pencil",
            "with space\tand tab",
            "p\u00E4ssw\u00F6rd",
            "no\u00A0break\u00ADhyphen", // PostgreSQL maps these before hashing
            "private\u00A0\uE000use", // prohibited: PostgreSQL hashes the raw bytes
            "\u2168\uFB01\uFF41", // compatibility characters: PostgreSQL hashes their NFKC form ("IXfia")
        ];

        for (var i = 0; i < passwords.Length; i++)
        {
            var role = $"scram_verifier_{i}";
            await pg.ExecuteAsync($"SET password_encryption = 'scram-sha-256'; CREATE ROLE {role} LOGIN PASSWORD '{passwords[i]}'");
            var stored = await pg.ScalarAsync<string>($"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'");

            PlayServer(Assert.IsType<string>(stored), passwords[i]);
        }
    }

    [Fact]
    public async Task Md5_answer_is_what_postgres_derives_from_its_stored_hash()
    {
        await using var pg = await PostgresServer.StartAsync();
        await pg.ExecuteAsync("SET password_encryption = 'md5'; CREATE ROLE md5_verifier LOGIN PASSWORD 's\u00E9cret'");
        var stored = Assert.IsType<string>(await pg.ScalarAsync<string>("SELECT rolpassword FROM pg_authid WHERE rolname = 'md5_verifier'"));
        byte[] salt = [0x5A, 0x00, 0xC3, 0x11];

        // The server's check (src/backend/libpq/crypt.c): md5 over the stored hex digest (without "md5") and the salt.
        var expected = "md5" + Convert.ToHexStringLower(MD5.HashData([.. Encoding.ASCII.GetBytes(stored[3..]), .. salt]));

        Assert.Equal(expected, Encoding.ASCII.GetString(Md5Password.Compute("md5_verifier", "s\u00E9cret", salt)));
    }

    /// <summary>
    /// Does what the server does with a stored <c>SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey</c>: recovers the
    /// ClientKey from the proof, checks that it hashes to StoredKey, then sends its own signature for the client to check.
    /// </summary>
    private static void PlayServer(string stored, string password)
    {
        var parts = stored.Split('$', ':');
        Assert.Equal("SCRAM-SHA-256", parts[0]);
        var (iterations, salt, storedKey, serverKey) = (parts[1], parts[2], Convert.FromBase64String(parts[3]), Convert.FromBase64String(parts[4]));

        var client = new ScramSha256Client(password);
        var clientFirst = Encoding.UTF8.GetString(client.CreateClientFirstMessage());
        var nonce = clientFirst["n,,n=,r=".Length..] + "ServerPart";
        var serverFirst = $"r={nonce},s={salt},i={iterations}";
        var clientFinal = Encoding.UTF8.GetString(client.CreateClientFinalMessage(Encoding.UTF8.GetBytes(serverFirst)));

        var withoutProof = clientFinal[..clientFinal.IndexOf(",p=", StringComparison.Ordinal)];
        Assert.Equal($"c=biws,r={nonce}", withoutProof);
        var authMessage = Encoding.UTF8.GetBytes($"{clientFirst[3..]},{serverFirst},{withoutProof}");
        var clientKey = Convert.FromBase64String(clientFinal[(withoutProof.Length + 3)..]);
        var clientSignature = HMACSHA256.HashData(storedKey, authMessage);
        for (var i = 0; i < clientKey.Length; i++)
        {
            clientKey[i] ^= clientSignature[i];
        }

        Assert.Equal(storedKey, SHA256.HashData(clientKey));
        client.VerifyServerFinalMessage(Encoding.UTF8.GetBytes("v=" + Convert.ToBase64String(HMACSHA256.HashData(serverKey, authMessage))));
    }
}
