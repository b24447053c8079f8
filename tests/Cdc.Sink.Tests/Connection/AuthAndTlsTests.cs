using Cdc.Sink.Connection;
using Cdc.Sink.JetStream;
using Cdc.Sink.Tests.Support;
using Cdc.Testing;
using NATS.Client.Core;
using NATS.NKeys;

namespace Cdc.Sink.Tests.Connection;

public sealed class AuthAndTlsTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task User_and_password_are_accepted_when_right_and_refused_when_wrong()
    {
        await using var server = await NatsServer.StartAsync("authorization { user: cdc, password: s3cret-pw }");
        await using var good = NatsOptsFactory.Connect(new NatsOptions { Urls = [server.Url], User = "cdc", Password = "s3cret-pw" });
        await using var bad = NatsOptsFactory.Connect(Once(new NatsOptions { Urls = [server.Url], User = "cdc", Password = "wrong-pw" }));

        await good.ConnectAsync();
        await good.PingAsync();
        var error = await Assert.ThrowsAnyAsync<NatsException>(async () => await bad.ConnectAsync());

        Assert.Contains("Authorization Violation", error.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("wrong-pw", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Options_never_print_credentials()
    {
        var options = new NatsOptions { Urls = ["nats://cdc:s3cret-pw@127.0.0.1:4222"], Token = "t0ken-value" };

        Assert.DoesNotContain("s3cret", options.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("t0ken", options.ToString(), StringComparison.Ordinal);
        Assert.Equal("nats://***@127.0.0.1:4222", ServerUrl.Redact(options.Urls[0]));
    }

    [Fact]
    public async Task Token_is_accepted_when_right_and_refused_when_wrong()
    {
        await using var server = await NatsServer.StartAsync("authorization { token: t0ken-value }");
        await using var good = NatsOptsFactory.Connect(new NatsOptions { Urls = [server.Url], Token = "t0ken-value" });
        await using var bad = NatsOptsFactory.Connect(Once(new NatsOptions { Urls = [server.Url], Token = "nope" }));

        await good.ConnectAsync();
        await good.PingAsync();

        await Assert.ThrowsAnyAsync<NatsException>(async () => await bad.ConnectAsync());
    }

    [Fact]
    public async Task An_nkey_seed_file_signs_the_nonce_and_a_wrong_key_is_refused()
    {
        using var user = KeyPair.CreatePair(PrefixByte.User);
        using var stranger = KeyPair.CreatePair(PrefixByte.User);
        var dir = Directory.CreateTempSubdirectory("cdc-test-nkey-").FullName;
        try
        {
            var seedFile = Path.Combine(dir, "user.nk");
            var strangerFile = Path.Combine(dir, "stranger.nk");
            await File.WriteAllTextAsync(seedFile, user.GetSeed());
            await File.WriteAllTextAsync(strangerFile, stranger.GetSeed());
            await using var server = await NatsServer.StartAsync($"authorization {{ users: [ {{ nkey: {user.GetPublicKey()} }} ] }}");
            var acks = new RecordingAckHandler();
            await using var writer = new StreamingBatchWriter(
                new NatsOptions { Urls = [server.Url], NKeySeedFile = seedFile },
                new JetStreamStreamOptions { Name = "CDC", Subjects = ["cdc.>"] },
                new BatchWriterOptions(),
                acks);
            await using var bad = NatsOptsFactory.Connect(Once(new NatsOptions { Urls = [server.Url], NKeySeedFile = strangerFile }));

            await writer.StartAsync();
            await writer.WriteAsync(Messages.Row("t", 0));
            await writer.DrainAsync();

            Assert.Single(acks.Acked);
            await Assert.ThrowsAnyAsync<NatsException>(async () => await bad.ConnectAsync());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_creds_file_authenticates_in_operator_mode_and_a_user_of_an_unknown_account_is_refused()
    {
        using var jwts = new OperatorJwts();
        await using var server = await NatsServer.StartAsync(jwts.ServerConfig);
        var acks = new RecordingAckHandler();
        await using var writer = new StreamingBatchWriter(
            new NatsOptions { Urls = [server.Url], CredsFile = jwts.CredsFile },
            new JetStreamStreamOptions { Name = "CDC", Subjects = ["cdc.>"] },
            new BatchWriterOptions(),
            acks);
        await using var stranger = NatsOptsFactory.Connect(Once(new NatsOptions { Urls = [server.Url], CredsFile = jwts.StrangerCredsFile }));

        await writer.StartAsync();
        await writer.WriteAsync(Messages.Row("t", 0));
        await writer.DrainAsync();

        Assert.Single(acks.Acked);
        await Assert.ThrowsAnyAsync<NatsException>(async () => await stranger.ConnectAsync());
    }

    [Fact]
    public async Task Tls_with_the_test_ca_connects_and_publishes()
    {
        using var certs = new TestCertificates();
        await using var server = await NatsServer.StartAsync($"tls {{ cert_file: \"{certs.ServerCertFile}\", key_file: \"{certs.ServerKeyFile}\" }}");
        var acks = new RecordingAckHandler();
        await using var writer = new StreamingBatchWriter(
            new NatsOptions { Urls = [$"tls://127.0.0.1:{server.Port}"], TlsCaFile = certs.CaFile },
            new JetStreamStreamOptions { Name = "CDC", Subjects = ["cdc.>"] },
            new BatchWriterOptions(),
            acks);

        await writer.StartAsync();
        await writer.WriteAsync(Messages.Row("t", 0));
        await writer.DrainAsync();

        Assert.True(writer.Connection.ServerInfo!.TlsRequired);
        Assert.Single(acks.Acked);
    }

    [Fact]
    public async Task A_ca_file_restricts_trust_to_that_ca_and_refuses_a_server_certificate_from_another_ca()
    {
        using var serverCerts = new TestCertificates();
        using var otherCa = new TestCertificates();
        await using var server = await NatsServer.StartAsync($"tls {{ cert_file: \"{serverCerts.ServerCertFile}\", key_file: \"{serverCerts.ServerKeyFile}\" }}");
        await using var trustsOther = NatsOptsFactory.Connect(Once(new NatsOptions { Urls = [server.Url], TlsCaFile = otherCa.CaFile }));
        await using var trustsNothing = NatsOptsFactory.Connect(Once(new NatsOptions { Urls = [server.Url] }));

        var error = await Assert.ThrowsAnyAsync<NatsException>(async () => await trustsOther.ConnectAsync());
        await Assert.ThrowsAnyAsync<NatsException>(async () => await trustsNothing.ConnectAsync());

        Assert.Contains("Authentication", error.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Tls_with_client_verification_needs_the_client_certificate()
    {
        using var certs = new TestCertificates();
        await using var server = await NatsServer.StartAsync(
            $"tls {{ cert_file: \"{certs.ServerCertFile}\", key_file: \"{certs.ServerKeyFile}\", ca_file: \"{certs.CaFile}\", verify: true }}");
        await using var withCert = NatsOptsFactory.Connect(new NatsOptions
        {
            Urls = [server.Url],
            TlsCaFile = certs.CaFile,
            TlsCertFile = certs.ClientCertFile,
            TlsKeyFile = certs.ClientKeyFile,
        });
        await using var withoutCert = NatsOptsFactory.Connect(Once(new NatsOptions { Urls = [server.Url], TlsCaFile = certs.CaFile }));

        await withCert.ConnectAsync();
        await withCert.PingAsync();

        await Assert.ThrowsAnyAsync<NatsException>(async () => await withoutCert.ConnectAsync());
    }

    [Fact]
    public async Task A_websocket_url_carries_the_publishes()
    {
        var wsPort = FreePort.Next();
        await using var server = await NatsServer.StartAsync($"websocket {{ listen: \"127.0.0.1:{wsPort}\", no_tls: true }}");
        var acks = new RecordingAckHandler();
        await using var writer = new StreamingBatchWriter(
            new NatsOptions { Urls = [$"ws://127.0.0.1:{wsPort}"] },
            new JetStreamStreamOptions { Name = "CDC", Subjects = ["cdc.>"] },
            new BatchWriterOptions(),
            acks);

        await writer.StartAsync();
        for (var i = 0; i < 100; i++)
        {
            await writer.WriteAsync(Messages.Row("t", i));
        }

        await writer.DrainAsync();
        var stored = await StreamContentsReader.ReadAllAsync(server.Url, "CDC", 100);

        Assert.Equal(100, acks.Acked.Count);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"t:{i}"), stored.Select(m => m.Text));
    }

    [Fact]
    public void Settings_name_the_bad_key()
    {
        var twoMethods = Assert.Throws<SinkConfigurationException>(() => new NatsOptions { Token = "t", CredsFile = "/etc/hostname" }.Validate());
        var missing = Assert.Throws<SinkConfigurationException>(() => new NatsOptions { CredsFile = "/nonexistent/user.creds" }.Validate());
        var scheme = Assert.Throws<SinkConfigurationException>(() => new NatsOptions { Urls = ["http://127.0.0.1:4222"] }.Validate());

        Assert.Equal("Nats:Token", twoMethods.Key);
        Assert.Equal("Nats:CredsFile", missing.Key);
        Assert.Equal("Nats:Urls", scheme.Key);
        new NatsOptions { Urls = ["wss://nats.example:443", "tls://a:4222", "nats://b:4222", "ws://c:8080"] }.Validate();
    }

    /// <summary>One attempt, quickly: a refused connection must not be retried for the test's length.</summary>
    private static NatsOptions Once(NatsOptions options) => options with { MaxReconnectAttempts = 0, ConnectTimeout = Quick };
}
