using Cdc.Listener.Configuration;

namespace Cdc.Listener.Tests.Configuration;

/// <summary>A bad setting is refused at start with the key and what is accepted, not later by a server.</summary>
public sealed class CdcOptionsValidatorTests
{
    private static CdcOptions Valid() => new() { Connection = "Host=127.0.0.1;Database=shop" };

    private static string Failure(Action<CdcOptions> change)
    {
        var options = Valid();
        change(options);
        var result = new CdcOptionsValidator().Validate(null, options);
        Assert.True(result.Failed, "the value was accepted");
        return Assert.Single(result.Failures!);
    }

    [Fact]
    public void Defaults_with_a_connection_are_valid()
        => Assert.True(new CdcOptionsValidator().Validate(null, Valid()).Succeeded);

    [Fact]
    public void A_negative_backfill_rate_is_refused_and_zero_means_no_cap()
    {
        Assert.StartsWith("Cdc:Backfill:MaxRowsPerSecond", Failure(o => o.Backfill.MaxRowsPerSecond = -1), StringComparison.Ordinal);
        var options = Valid();
        options.Backfill.MaxRowsPerSecond = 0;
        options.Backfill.PauseAboveInFlightBytes = 0;
        Assert.True(new CdcOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void A_negative_backfill_pause_threshold_is_refused()
        => Assert.StartsWith("Cdc:Backfill:PauseAboveInFlightBytes", Failure(o => o.Backfill.PauseAboveInFlightBytes = -1), StringComparison.Ordinal);

    [Theory]
    [InlineData("avro")]
    [InlineData("")]
    public void An_unknown_format_is_refused_naming_the_accepted_ones(string format)
        => Assert.Equal($"Cdc:Format = '{format}' is not accepted: one of protobuf, json, cloudevents", Failure(o => o.Format = format));

    [Fact]
    public void An_unknown_cloudevents_mode_is_refused()
        => Assert.StartsWith("Cdc:CloudEvents:Mode = 'batch' is not accepted", Failure(o => o.CloudEvents.Mode = "batch"), StringComparison.Ordinal);

    [Fact]
    public void Dedupe_mode_with_a_json_format_is_refused_because_it_merges_protobuf_events()
        => Assert.StartsWith("Cdc:Pusher:Dedupe = true works with Cdc:Format = protobuf only", Failure(o => { o.Format = "json"; o.Pusher.Dedupe = true; }), StringComparison.Ordinal);

    [Theory]
    [InlineData("JSON", "structured")]
    [InlineData("cloudevents", "Binary")]
    public void Formats_and_modes_are_case_insensitive(string format, string mode)
        => Assert.True(new CdcOptionsValidator().Validate(null, new CdcOptions { Connection = "Host=h;Database=d", Format = format, CloudEvents = { Mode = mode } }).Succeeded);

    [Theory]
    [InlineData("initial")]
    [InlineData("never")]
    [InlineData("INITIAL_ONLY")]
    public void Snapshot_modes_are_accepted(string mode)
        => Assert.True(new CdcOptionsValidator().Validate(null, new CdcOptions { Connection = "Host=h;Database=d", Snapshot = mode }).Succeeded);

    [Theory]
    [InlineData("always")]
    [InlineData("")]
    public void Other_snapshot_modes_are_refused_naming_the_accepted_ones(string mode)
        => Assert.Equal($"Cdc:Snapshot = '{mode}' is not accepted: one of initial, never, initial_only", Failure(o => o.Snapshot = mode));

    [Theory]
    [InlineData("a/b")]
    [InlineData("a.b")]
    [InlineData("")]
    public void Stream_names_outside_letters_digits_dash_underscore_are_refused(string stream)
        => Assert.StartsWith("Cdc:Nats:Stream", Failure(o => o.Nats.Stream = stream), StringComparison.Ordinal);

    [Theory]
    [InlineData("a..b")]
    [InlineData(".cdc")]
    [InlineData("cdc.")]
    [InlineData("cdc.*")]
    public void Subject_prefixes_with_empty_tokens_or_wildcards_are_refused(string prefix)
        => Assert.StartsWith("Cdc:Nats:SubjectPrefix", Failure(o => o.Nats.SubjectPrefix = prefix), StringComparison.Ordinal);

    [Theory]
    [InlineData("sales.")]
    [InlineData(".orders")]
    [InlineData("a.b.c")]
    public void Tables_that_are_not_table_or_schema_table_are_refused(string table)
        => Assert.StartsWith("Cdc:Tables", Failure(o => o.Tables.Add(table)), StringComparison.Ordinal);

    [Theory]
    [InlineData(0)]
    [InlineData(50)]
    [InlineData(3_600_000)]
    public void A_status_interval_outside_100ms_to_10min_is_refused(int milliseconds)
        => Assert.StartsWith("Cdc:StatusInterval", Failure(o => o.StatusInterval = TimeSpan.FromMilliseconds(milliseconds)), StringComparison.Ordinal);

    [Theory]
    [InlineData(-1)]
    [InlineData(500)]
    [InlineData(7_200_000)]
    public void A_receiver_timeout_neither_off_nor_1s_to_1h_is_refused(int milliseconds)
        => Assert.StartsWith("Cdc:ReceiverTimeout", Failure(o => o.ReceiverTimeout = TimeSpan.FromMilliseconds(milliseconds)), StringComparison.Ordinal);

    [Fact]
    public void A_receiver_timeout_of_zero_turns_the_check_off_and_is_valid()
    {
        var options = Valid();
        options.ReceiverTimeout = TimeSpan.Zero;
        options.StatusInterval = TimeSpan.FromSeconds(1);
        Assert.True(new CdcOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void A_missing_client_certificate_file_is_refused_at_start()
    {
        var options = Valid();
        options.Nats.TlsCertFile = "/nonexistent/cert.pem";
        options.Nats.TlsKeyFile = typeof(CdcOptionsValidatorTests).Assembly.Location;
        Assert.Equal("Cdc:Nats:TlsCertFile = '/nonexistent/cert.pem' does not exist",
            Assert.Single(new CdcOptionsValidator().Validate(null, options).Failures!));
    }

    [Fact]
    public void A_certificate_without_its_key_is_refused()
    {
        var options = Valid();
        options.Nats.TlsCertFile = typeof(CdcOptionsValidatorTests).Assembly.Location;
        options.Nats.TlsKeyFile = string.Empty;
        var failure = Assert.Single(new CdcOptionsValidator().Validate(null, options).Failures!);
        Assert.Contains("TlsCertFile and Cdc:Nats:TlsKeyFile go together", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_authentication_methods_are_refused()
    {
        var failure = Failure(o =>
        {
            o.Nats.Token = "t0ken";
            o.Nats.CredsFile = typeof(CdcOptionsValidatorTests).Assembly.Location;
        });
        Assert.Equal("Cdc:Nats: give one of Token, User/Password, NKeySeedFile or CredsFile", failure);
    }

    [Fact]
    public void A_missing_creds_file_and_an_unknown_tls_mode_are_refused_naming_the_key()
    {
        Assert.Equal("Cdc:Nats:CredsFile = '/nonexistent/user.creds' does not exist", Failure(o => o.Nats.CredsFile = "/nonexistent/user.creds"));
        Assert.StartsWith("Cdc:Nats:TlsMode", Failure(o => o.Nats.TlsMode = "sometimes"), StringComparison.Ordinal);
    }

    [Fact]
    public void WebSocket_urls_are_accepted()
    {
        var options = Valid();
        options.Nats.Url = "wss://nats.example:443,ws://127.0.0.1:8080,tls://a:4222";
        Assert.True(new CdcOptionsValidator().Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData("Multiplexing=true", "'Multiplexing'")]
    [InlineData("Replication Mode=Logical", "'Replication Mode'")]
    public void Connection_keys_Cdc_cannot_honour_are_refused_by_name(string key, string named)
    {
        var failure = Failure(o => o.Connection += ";" + key);

        Assert.StartsWith("Cdc:Connection", failure, StringComparison.Ordinal);
        Assert.Contains(named, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_password_file_that_does_not_exist_is_refused()
        => Assert.StartsWith("Cdc:PasswordFile", Failure(o => o.PasswordFile = "/nonexistent/cdc-token"), StringComparison.Ordinal);

    [Fact]
    public void A_password_file_and_a_password_in_the_connection_are_refused_together()
    {
        var file = Path.GetTempFileName();
        try
        {
            Assert.Contains("Cdc:PasswordFile and a Password", Failure(o => (o.Connection, o.PasswordFile) = (o.Connection + ";Password=x", file)), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
