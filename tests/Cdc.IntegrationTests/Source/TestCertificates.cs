using Cdc.Testing;

namespace Cdc.IntegrationTests.Source;

/// <summary>
/// A test CA and a server certificate it signed (CN=localhost, SAN DNS:localhost only), a second server certificate
/// signed by an intermediate CA the test CA signed, plus a second, unrelated CA, made with openssl in a temporary
/// directory the postgres user owns (the server refuses a key others can read); client certificates on request.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private TestCertificates(string directory) => Directory = directory;

    public string Directory { get; }

    public string CaCertificate => Path.Combine(Directory, "ca.pem");

    public string OtherCaCertificate => Path.Combine(Directory, "other-ca.pem");

    public string ServerCertificate => Path.Combine(Directory, "server.crt");

    public string ServerKey => Path.Combine(Directory, "server.key");

    /// <summary>The server certificate the intermediate CA issued, followed by the intermediate (what ssl_cert_file holds).</summary>
    public string IntermediateServerChain => Path.Combine(Directory, "intermediate-server-chain.crt");

    public string IntermediateServerKey => Path.Combine(Directory, "intermediate-server.key");

    public static async Task<TestCertificates> CreateAsync()
    {
        var certificates = new TestCertificates(System.IO.Directory.CreateTempSubdirectory("cdc-tls-").FullName);
        var d = certificates.Directory;
        string[] ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        await OpenSsl(["req", "-x509", .. ecKey, "-keyout", $"{d}/ca.key", "-out", $"{d}/ca.pem", "-days", "2", "-subj", "/CN=cdc test CA"]);
        await OpenSsl(["req", "-x509", .. ecKey, "-keyout", $"{d}/other-ca.key", "-out", $"{d}/other-ca.pem", "-days", "2", "-subj", "/CN=cdc other CA"]);
        await OpenSsl(["req", .. ecKey, "-keyout", certificates.ServerKey, "-out", $"{d}/server.csr", "-subj", "/CN=localhost"]);
        await File.WriteAllTextAsync($"{d}/server.ext", "subjectAltName = DNS:localhost\nbasicConstraints = CA:FALSE\nkeyUsage = digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\n");
        await OpenSsl(["x509", "-req", "-in", $"{d}/server.csr", "-CA", $"{d}/ca.pem", "-CAkey", $"{d}/ca.key", "-CAcreateserial",
            "-out", certificates.ServerCertificate, "-days", "2", "-extfile", $"{d}/server.ext"]);

        // root -> intermediate -> server
        await OpenSsl(["req", .. ecKey, "-keyout", $"{d}/intermediate.key", "-out", $"{d}/intermediate.csr", "-subj", "/CN=cdc test intermediate CA"]);
        await File.WriteAllTextAsync($"{d}/intermediate.ext", "basicConstraints = critical, CA:TRUE, pathlen:0\nkeyUsage = critical, keyCertSign, cRLSign\n");
        await OpenSsl(["x509", "-req", "-in", $"{d}/intermediate.csr", "-CA", $"{d}/ca.pem", "-CAkey", $"{d}/ca.key", "-CAcreateserial",
            "-out", $"{d}/intermediate.pem", "-days", "2", "-extfile", $"{d}/intermediate.ext"]);
        await OpenSsl(["req", .. ecKey, "-keyout", certificates.IntermediateServerKey, "-out", $"{d}/intermediate-server.csr", "-subj", "/CN=localhost"]);
        await OpenSsl(["x509", "-req", "-in", $"{d}/intermediate-server.csr", "-CA", $"{d}/intermediate.pem", "-CAkey", $"{d}/intermediate.key", "-CAcreateserial",
            "-out", $"{d}/intermediate-server.crt", "-days", "2", "-extfile", $"{d}/server.ext"]);
        await File.WriteAllTextAsync(certificates.IntermediateServerChain,
            await File.ReadAllTextAsync($"{d}/intermediate-server.crt") + await File.ReadAllTextAsync($"{d}/intermediate.pem"));

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(certificates.ServerKey, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.SetUnixFileMode(certificates.IntermediateServerKey, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        if (ProcessRunner.IsRoot)
        {
            await ProcessRunner.RunAsync("chown", ["-R", "postgres:postgres", d]);
        }

        return certificates;
    }

    /// <summary>A client certificate for <paramref name="user"/> (CN = the role name, as pg_hba <c>cert</c> wants) the test CA signed.</summary>
    public async Task<(string Certificate, string Key)> CreateClientCertificateAsync(string user)
    {
        var d = Directory;
        var (certificate, key) = ($"{d}/{user}.crt", $"{d}/{user}.key");
        await OpenSsl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", $"{d}/{user}.csr", "-subj", $"/CN={user}"]);
        await File.WriteAllTextAsync($"{d}/client.ext", "basicConstraints = CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = clientAuth\n");
        await OpenSsl(["x509", "-req", "-in", $"{d}/{user}.csr", "-CA", $"{d}/ca.pem", "-CAkey", $"{d}/ca.key", "-CAcreateserial",
            "-out", certificate, "-days", "2", "-extfile", $"{d}/client.ext"]);
        return (certificate, key);
    }

    private static Task<string> OpenSsl(string[] arguments) => ProcessRunner.RunAsync("openssl", arguments);

    /// <summary>A throwaway PostgreSQL 15 with <c>ssl = on</c>, presenting <paramref name="certificate"/> (a file of this set).</summary>
    /// <param name="clientCa">The CA client certificates must chain to (<c>ssl_ca_file</c>), for pg_hba <c>cert</c>.</param>
    public static Task<PostgresServer> StartTlsServerAsync(string certificate, string key, string? clientCa = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["ssl"] = "on",
            ["ssl_cert_file"] = $"'{certificate}'",
            ["ssl_key_file"] = $"'{key}'",
        };
        if (clientCa is not null)
        {
            settings["ssl_ca_file"] = $"'{clientCa}'";
        }

        return PostgresServer.StartAsync(settings);
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
