using Cdc.Listener;
using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests.Source;

/// <summary>
/// The replication session on Npgsql against a PostgreSQL 15 with ssl = on, a certificate from a test CA and that CA
/// for client certificates: the TLS and SCRAM keys of the connection string mean what they mean in Npgsql.
/// </summary>
public sealed class SourceTlsTests : IAsyncLifetime
{
    private TestCertificates _certificates = null!;
    private PostgresServer _server = null!;

    public async Task InitializeAsync()
    {
        _certificates = await TestCertificates.CreateAsync();
        _server = await TestCertificates.StartTlsServerAsync(_certificates.ServerCertificate, _certificates.ServerKey, clientCa: _certificates.CaCertificate);
        await _server.ExecuteAsync("""
            SET password_encryption = 'scram-sha-256';
            CREATE ROLE scram_user LOGIN REPLICATION PASSWORD 'scram_user_pw';
            CREATE ROLE cert_user LOGIN REPLICATION;
            """);
        await _server.WriteHbaAsync(
            "host all scram_user 127.0.0.1/32 scram-sha-256",
            "hostssl all cert_user 127.0.0.1/32 cert");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _certificates.Dispose();
    }

    [Fact]
    public async Task Channel_binding_require_streams_over_TLS_with_SCRAM_SHA_256_PLUS()
    {
        var slot = await SessionSlot.CreateAsync(_server, "cb_require");
        try
        {
            // Npgsql refuses to log in with Channel Binding=Require unless the server takes SCRAM-SHA-256-PLUS.
            var connection = Connection(SslMode.Require, user: "scram_user", password: "scram_user_pw", channelBinding: ChannelBinding.Require);

            Assert.True(await slot.StreamOneInsertAsync(slot.Options(connection)));
        }
        finally
        {
            await slot.DropAsync();
        }
    }

    [Fact]
    public async Task Channel_binding_require_without_TLS_is_refused_as_fatal()
    {
        var connection = Connection(SslMode.Disable, user: "scram_user", password: "scram_user_pw", channelBinding: ChannelBinding.Require);

        var e = await Assert.ThrowsAsync<ReplicationSetupException>(() => SessionSlot.OpenAsync(new() { Connection = connection, Slot = "cb_plain" }));

        Assert.False(e.IsTransient);
        Assert.IsAssignableFrom<NpgsqlException>(e.InnerException);
    }

    [Fact]
    public async Task VerifyFull_with_Root_Certificate_streams_over_TLS()
    {
        var slot = await SessionSlot.CreateAsync(_server, "verify_full_root");
        try
        {
            var connection = Connection(SslMode.VerifyFull, host: "localhost", root: _certificates.CaCertificate);

            Assert.True(await slot.StreamOneInsertAsync(slot.Options(connection)));
        }
        finally
        {
            await slot.DropAsync();
        }
    }

    [Fact]
    public async Task VerifyFull_refuses_a_certificate_from_another_CA_as_fatal()
    {
        var connection = Connection(SslMode.VerifyFull, host: "localhost", root: _certificates.OtherCaCertificate);

        var e = await Assert.ThrowsAsync<ReplicationSetupException>(() => SessionSlot.OpenAsync(new() { Connection = connection, Slot = "verify_other" }));

        Assert.False(e.IsTransient);
    }

    [Fact]
    public async Task Cdc_run_verifies_the_server_with_PGSSLROOTCERT()
    {
        var slot = await SessionSlot.CreateAsync(_server, "pgsslrootcert");
        try
        {
            // No Root Certificate key: Npgsql takes the CA from PGSSLROOTCERT.
            var connection = Connection(SslMode.VerifyFull, host: "localhost");
            await using (var cdc = CdcProcess.Start(
                ["run", "--connection", connection, "--slot", slot.Name, "--publication", slot.Publication, "--sink", "null", "--http", "off"],
                new Dictionary<string, string> { ["PGSSLROOTCERT"] = _certificates.CaCertificate }))
            {
                await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
                await WaitForTlsWalsenderAsync(slot.Name);
            }

            var (exitCode, output) = await CdcProcess.RunAsync(
                ["run", "--connection", connection, "--slot", slot.Name, "--publication", slot.Publication, "--sink", "null", "--http", "off"],
                TimeSpan.FromSeconds(60),
                new Dictionary<string, string> { ["PGSSLROOTCERT"] = _certificates.OtherCaCertificate });
            Assert.Equal(1, exitCode);
            Assert.Contains("cannot connect to PostgreSQL at localhost", output, StringComparison.Ordinal);
        }
        finally
        {
            await slot.DropAsync();
        }
    }

    [Fact]
    public async Task A_client_certificate_logs_in_where_pg_hba_says_cert()
    {
        var slot = await SessionSlot.CreateAsync(_server, "client_cert");
        try
        {
            var (certificate, key) = await _certificates.CreateClientCertificateAsync("cert_user");
            var connection = new NpgsqlConnectionStringBuilder(Connection(SslMode.VerifyFull, host: "localhost", user: "cert_user", root: _certificates.CaCertificate))
            {
                SslCertificate = certificate,
                SslKey = key,
            }.ConnectionString;

            Assert.True(await slot.StreamOneInsertAsync(slot.Options(connection)));

            var withoutCertificate = Connection(SslMode.VerifyFull, host: "localhost", user: "cert_user", root: _certificates.CaCertificate);
            var e = await Assert.ThrowsAsync<ReplicationSetupException>(() => SessionSlot.OpenAsync(slot.Options(withoutCertificate)));
            Assert.Equal(PostgresErrorCodes.InvalidAuthorizationSpecification, Assert.IsType<PostgresException>(e.InnerException).SqlState);
        }
        finally
        {
            await slot.DropAsync();
        }
    }

    private async Task WaitForTlsWalsenderAsync(string slot)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await _server.ScalarAsync<object>(
                   $"SELECT s.ssl FROM pg_stat_ssl s JOIN pg_replication_slots r ON r.active_pid = s.pid WHERE r.slot_name = '{slot}'") is not true)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no walsender on TLS streams slot {slot}");
            await Task.Delay(100);
        }
    }

    private string Connection(SslMode mode, string host = "127.0.0.1", string user = "postgres", string? password = null, string? root = null,
        ChannelBinding channelBinding = ChannelBinding.Prefer)
        => new NpgsqlConnectionStringBuilder(_server.ConnectionString())
        {
            Host = host,
            Username = user,
            Password = password,
            SslMode = mode,
            RootCertificate = root,
            ChannelBinding = channelBinding,
        }.ConnectionString;
}
