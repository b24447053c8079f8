using Cdc.Sink.Nats;
using Cdc.Sink.Tests.Support;
using Cdc.Testing;

namespace Cdc.Sink.Tests.Nats;

public sealed class AuthAndTlsTests
{
    [Fact]
    public async Task User_and_password_are_accepted_when_right_and_refused_when_wrong()
    {
        await using var server = await NatsServer.StartAsync("authorization { user: cdc, password: s3cret-pw }");
        await using var good = new NatsConnection(new NatsOptions { Urls = [server.Url], User = "cdc", Password = "s3cret-pw" });
        await using var bad = new NatsConnection(new NatsOptions { Urls = [server.Url], User = "cdc", Password = "wrong-pw" });

        await good.ConnectAsync();
        await good.PingAsync();
        var error = await Assert.ThrowsAsync<NatsServerErrorException>(() => bad.ConnectAsync());

        Assert.True(error.IsAuthorization);
        Assert.Equal(NatsConnectionState.Closed, bad.State);
        Assert.DoesNotContain("wrong-pw", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_in_the_url_work_and_never_show_in_displayed_servers()
    {
        await using var server = await NatsServer.StartAsync("authorization { user: cdc, password: s3cret-pw }");
        var options = new NatsOptions { Urls = [$"nats://cdc:s3cret-pw@127.0.0.1:{server.Port}"], Password = "other" };
        await using var nats = new NatsConnection(options);

        await nats.ConnectAsync();

        Assert.Equal(NatsConnectionState.Connected, nats.State);
        Assert.DoesNotContain("s3cret", nats.ConnectedServer, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", string.Join(",", nats.KnownServers), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", options.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("other", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_is_accepted_when_right_and_refused_when_wrong()
    {
        await using var server = await NatsServer.StartAsync("authorization { token: t0ken-value }");
        await using var good = new NatsConnection(new NatsOptions { Urls = [server.Url], Token = "t0ken-value" });
        await using var bad = new NatsConnection(new NatsOptions { Urls = [server.Url], Token = "nope" });
        await using var none = new NatsConnection(new NatsOptions { Urls = [server.Url] });

        await good.ConnectAsync();
        await good.PingAsync();

        Assert.True((await Assert.ThrowsAsync<NatsServerErrorException>(() => bad.ConnectAsync())).IsAuthorization);
        Assert.True((await Assert.ThrowsAsync<NatsServerErrorException>(() => none.ConnectAsync())).IsAuthorization);
    }

    [Fact]
    public async Task Tls_with_the_test_ca_connects_and_publishes()
    {
        using var certs = new TestCertificates();
        await using var server = await NatsServer.StartAsync($"tls {{ cert_file: \"{certs.ServerCertFile}\", key_file: \"{certs.ServerKeyFile}\" }}");
        await using var nats = new NatsConnection(new NatsOptions { Urls = [$"tls://127.0.0.1:{server.Port}"], TlsCaFile = certs.CaFile });

        await nats.ConnectAsync();
        await using var sub = await nats.SubscribeAsync("secure");
        await nats.PublishAsync("secure", "over tls"u8.ToArray());

        Assert.True(nats.ServerInfo!.TlsRequired);
        Assert.Equal("over tls", System.Text.Encoding.UTF8.GetString((await sub.NextAsync(TimeSpan.FromSeconds(5)))!.Data.Span));
    }

    [Fact]
    public async Task Tls_without_trusting_the_ca_is_refused()
    {
        using var certs = new TestCertificates();
        await using var server = await NatsServer.StartAsync($"tls {{ cert_file: \"{certs.ServerCertFile}\", key_file: \"{certs.ServerKeyFile}\" }}");
        await using var nats = new NatsConnection(new NatsOptions { Urls = [server.Url] });

        var error = await Assert.ThrowsAsync<NatsConnectionException>(() => nats.ConnectAsync());

        Assert.IsAssignableFrom<System.Security.Authentication.AuthenticationException>(error.InnerException);
    }

    [Fact]
    public async Task Tls_with_client_verification_needs_the_client_certificate()
    {
        using var certs = new TestCertificates();
        await using var server = await NatsServer.StartAsync(
            $"tls {{ cert_file: \"{certs.ServerCertFile}\", key_file: \"{certs.ServerKeyFile}\", ca_file: \"{certs.CaFile}\", verify: true }}");
        await using var withCert = new NatsConnection(new NatsOptions
        {
            Urls = [server.Url],
            TlsCaFile = certs.CaFile,
            TlsCertFile = certs.ClientCertFile,
            TlsKeyFile = certs.ClientKeyFile,
        });
        await using var withoutCert = new NatsConnection(new NatsOptions { Urls = [server.Url], TlsCaFile = certs.CaFile, ConnectTimeout = TimeSpan.FromSeconds(3) });

        await withCert.ConnectAsync();
        await withCert.PingAsync();

        await Assert.ThrowsAsync<NatsConnectionException>(() => withoutCert.ConnectAsync());
    }
}
