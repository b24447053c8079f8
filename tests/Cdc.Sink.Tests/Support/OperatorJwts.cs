using System.Globalization;
using System.Text;
using System.Text.Json;
using NATS.NKeys;

namespace Cdc.Sink.Tests.Support;

/// <summary>
/// Operator mode set up the way <c>nsc</c> does it: an operator, an account signed by it, a user signed by the
/// account, as ed25519-nkey JWTs, plus the server configuration (memory resolver) and the user's <c>.creds</c> file.
/// </summary>
internal sealed class OperatorJwts : IDisposable
{
    public OperatorJwts()
    {
        Directory = Path.Combine(Path.GetTempPath(), "cdc-test-jwt-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        using var op = KeyPair.CreatePair(PrefixByte.Operator);
        using var account = KeyPair.CreatePair(PrefixByte.Account);
        using var user = KeyPair.CreatePair(PrefixByte.User);
        using var otherAccount = KeyPair.CreatePair(PrefixByte.Account);
        using var system = KeyPair.CreatePair(PrefixByte.Account);
        var operatorJwt = Encode(op, op.GetPublicKey(), "op", new { type = "operator", version = 2 });
        var limits = new Dictionary<string, object>
        {
            ["subs"] = -1,
            ["data"] = -1,
            ["payload"] = -1,
            ["imports"] = -1,
            ["exports"] = -1,
            ["wildcards"] = true,
            ["conn"] = -1,
            ["leaf"] = -1,
            ["mem_storage"] = -1,
            ["disk_storage"] = -1,
            ["streams"] = -1,
            ["consumer"] = -1,
        };
        AccountPublicKey = account.GetPublicKey();
        var accountJwt = Encode(op, AccountPublicKey, "cdc", new { type = "account", version = 2, limits });
        var systemJwt = Encode(op, system.GetPublicKey(), "SYS", new { type = "account", version = 2, limits = new Dictionary<string, object> { ["subs"] = -1, ["conn"] = -1, ["data"] = -1, ["payload"] = -1 } });
        var userJwt = Encode(account, user.GetPublicKey(), "cdc-user", new { type = "user", version = 2, pub = new { }, sub = new { }, subs = -1, data = -1, payload = -1 });

        // A user signed by an account the server does not know: refused.
        var strangerJwt = Encode(otherAccount, user.GetPublicKey(), "stranger", new { type = "user", version = 2, pub = new { }, sub = new { }, subs = -1, data = -1, payload = -1 });
        CredsFile = WriteCreds("user.creds", userJwt, user.GetSeed());
        StrangerCredsFile = WriteCreds("stranger.creds", strangerJwt, user.GetSeed());
        ServerConfig = $"operator: {operatorJwt}\nsystem_account: {system.GetPublicKey()}\nresolver: MEMORY\n" +
            $"resolver_preload: {{ {AccountPublicKey}: {accountJwt}, {system.GetPublicKey()}: {systemJwt} }}";
    }

    public string Directory { get; }

    public string AccountPublicKey { get; }

    public string CredsFile { get; }

    public string StrangerCredsFile { get; }

    /// <summary>Lines for the nats-server configuration file.</summary>
    public string ServerConfig { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private static string Encode(KeyPair issuer, string subject, string name, object nats)
    {
        var header = Base64Url("""{"typ":"JWT","alg":"ed25519-nkey"}"""u8);
        var claims = new Dictionary<string, object>
        {
            ["jti"] = Guid.NewGuid().ToString("N").ToUpperInvariant(),
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["iss"] = issuer.GetPublicKey(),
            ["name"] = name,
            ["sub"] = subject,
            ["nats"] = nats,
        };
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signingInput = Encoding.ASCII.GetBytes(header + "." + payload);
        var signature = new byte[64];
        issuer.Sign(signingInput, signature);
        return header + "." + payload + "." + Base64Url(signature);
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private string WriteCreds(string name, string jwt, string seed)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, string.Create(CultureInfo.InvariantCulture, $"""
            -----BEGIN NATS USER JWT-----
            {jwt}
            ------END NATS USER JWT------

            ************************* IMPORTANT *************************
            NKEY Seed printed below can be used to sign and prove identity.

            -----BEGIN USER NKEY SEED-----
            {seed}
            ------END USER NKEY SEED------

            *************************************************************
            """));
        return path;
    }
}
