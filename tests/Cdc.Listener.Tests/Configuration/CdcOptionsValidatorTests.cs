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
}
