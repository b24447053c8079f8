using System.Security.Authentication;
using Cdc.Listener.Replication.Wire;
using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests.Wire;

/// <summary>TLS by SSL Mode against a PostgreSQL 15 with ssl = on and a certificate from a test CA.</summary>
public sealed class WireTlsTests : IAsyncLifetime
{
    private TestCertificates _certificates = null!;
    private PostgresServer _server = null!;

    public async Task InitializeAsync()
    {
        _certificates = await TestCertificates.CreateAsync();
        _server = await TestCertificates.StartTlsServerAsync(_certificates.ServerCertificate, _certificates.ServerKey);
        await _server.ExecuteAsync("CREATE ROLE tls_only LOGIN REPLICATION");
        await _server.WriteHbaAsync("hostssl all tls_only 127.0.0.1/32 trust");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _certificates.Dispose();
    }

    [Theory]
    [InlineData(SslMode.Require)]
    [InlineData(SslMode.Prefer)]
    public async Task Require_and_Prefer_stream_over_TLS(SslMode mode)
    {
        var slot = await WireSlot.CreateAsync(_server, "tls_" + mode);
        try
        {
            await using var connection = await WireSlot.OpenAsync(ConnectionString(mode, "tls_" + mode));

            Assert.True(await WalsenderUsesSslAsync("tls_" + mode));
            await slot.StreamOneInsertAsync(connection);
        }
        finally
        {
            await slot.DropAsync();
        }
    }

    [Fact]
    public async Task Disable_stays_plain_on_a_server_that_offers_TLS()
    {
        await using var connection = await WireSlot.OpenAsync(ConnectionString(SslMode.Disable, "tls_disable"));

        Assert.False(await WalsenderUsesSslAsync("tls_disable"));
    }

    [Fact]
    public async Task VerifyFull_with_the_CA_and_the_certificates_host_name_connects()
    {
        var slot = await WireSlot.CreateAsync(_server, "tls_verify_full");
        try
        {
            await using var connection = await WireSlot.OpenAsync(ConnectionString(SslMode.VerifyFull, "tls_verify_full", host: "localhost", root: _certificates.CaCertificate));

            Assert.True(await WalsenderUsesSslAsync("tls_verify_full"));
            await slot.StreamOneInsertAsync(connection);
        }
        finally
        {
            await slot.DropAsync();
        }
    }

    [Fact]
    public async Task VerifyCA_accepts_the_CA_whatever_the_host_name()
    {
        await using var connection = await WireSlot.OpenAsync(ConnectionString(SslMode.VerifyCA, "tls_verify_ca", root: _certificates.CaCertificate));

        Assert.True(await WalsenderUsesSslAsync("tls_verify_ca"));
    }

    [Theory]
    [InlineData(SslMode.VerifyFull)]
    [InlineData(SslMode.VerifyCA)]
    public async Task Verify_modes_refuse_a_certificate_from_another_CA(SslMode mode)
    {
        await Assert.ThrowsAsync<AuthenticationException>(
            () => WireSlot.OpenAsync(ConnectionString(mode, "tls_other_ca", host: "localhost", root: _certificates.OtherCaCertificate)));
    }

    [Fact]
    public async Task VerifyFull_refuses_a_host_name_the_certificate_does_not_name()
    {
        // The certificate names DNS:localhost only; 127.0.0.1 is the same server, but not the name it proves.
        await Assert.ThrowsAsync<AuthenticationException>(
            () => WireSlot.OpenAsync(ConnectionString(SslMode.VerifyFull, "tls_wrong_name", host: "127.0.0.1", root: _certificates.CaCertificate)));
    }

    [Fact]
    public async Task Allow_retries_with_TLS_when_pg_hba_only_has_hostssl()
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString(SslMode.Allow, "tls_allow")) { Username = "tls_only" };

        var plain = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { SslMode = SslMode.Disable };
        var refused = await Assert.ThrowsAsync<PostgresException>(() => WireSlot.OpenAsync(plain.ConnectionString));
        Assert.Equal("28000", refused.SqlState);

        await using var connection = await WireSlot.OpenAsync(builder.ConnectionString);

        Assert.True(await WalsenderUsesSslAsync("tls_allow"));
    }

    private string ConnectionString(SslMode mode, string applicationName, string host = "127.0.0.1", string? root = null)
        => new NpgsqlConnectionStringBuilder(_server.ConnectionString())
        {
            Host = host,
            SslMode = mode,
            RootCertificate = root,
            ApplicationName = applicationName,
        }.ConnectionString;

    private async Task<bool> WalsenderUsesSslAsync(string applicationName)
        => await _server.ScalarAsync<bool>(
            $"SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = '{applicationName}' AND a.backend_type = 'walsender'");
}

/// <summary>
/// VerifyCA / VerifyFull against a server whose certificate an intermediate CA issued: the server sends the
/// intermediate with its certificate, Root Certificate holds only the root.
/// </summary>
public sealed class WireTlsIntermediateCaTests : IAsyncLifetime
{
    private TestCertificates _certificates = null!;
    private PostgresServer _server = null!;

    public async Task InitializeAsync()
    {
        _certificates = await TestCertificates.CreateAsync();
        _server = await TestCertificates.StartTlsServerAsync(_certificates.IntermediateServerChain, _certificates.IntermediateServerKey);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _certificates.Dispose();
    }

    [Theory]
    [InlineData(SslMode.VerifyFull)]
    [InlineData(SslMode.VerifyCA)]
    public async Task Verify_modes_accept_a_chain_through_an_intermediate_the_server_sends(SslMode mode)
    {
        var applicationName = "tls_intermediate_" + mode;
        var connectionString = new NpgsqlConnectionStringBuilder(_server.ConnectionString())
        {
            Host = "localhost",
            SslMode = mode,
            RootCertificate = _certificates.CaCertificate,
            ApplicationName = applicationName,
        }.ConnectionString;

        await using var connection = await WireSlot.OpenAsync(connectionString);

        Assert.True(await _server.ScalarAsync<bool>(
            $"SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = '{applicationName}' AND a.backend_type = 'walsender'"));
    }
}

/// <summary>SSL Modes against a server with ssl = off.</summary>
[Collection(WireServerCollection.Name)]
public sealed class WireNoTlsServerTests(WireServerFixture fixture)
{
    [Fact]
    public async Task Require_fails_with_a_clear_error_when_the_server_has_no_TLS()
    {
        var e = await Assert.ThrowsAsync<AuthenticationException>(() => WireSlot.OpenAsync(ConnectionString(SslMode.Require, "notls_require")));

        Assert.Contains("does not accept TLS", e.Message, StringComparison.Ordinal);
        Assert.Contains("Require", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prefer_falls_back_to_plain()
    {
        await using var connection = await WireSlot.OpenAsync(ConnectionString(SslMode.Prefer, "notls_prefer"));

        Assert.False(await fixture.Server.ScalarAsync<bool>(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'notls_prefer' AND a.backend_type = 'walsender'"));
    }

    private string ConnectionString(SslMode mode, string applicationName)
        => new NpgsqlConnectionStringBuilder(fixture.ConnectionString("postgres", applicationName: applicationName)) { SslMode = mode }.ConnectionString;
}
