namespace Cdc.Decoding.Tests;

public sealed class PgOutputOptionsTests
{
    [Theory]
    [InlineData(100018, 1)]
    [InlineData(130012, 1)]
    [InlineData(140005, 2)]
    [InlineData(150004, 3)]
    [InlineData(160001, 4)]
    [InlineData(170000, 4)]
    public void Protocol_version_follows_the_server_version(int serverVersionNum, int expected)
        => Assert.Equal(expected, PgOutputOptions.ProtocolVersionForServer(serverVersionNum));

    [Fact]
    public void Streaming_on_protocol_1_is_refused_naming_the_option()
    {
        var error = Assert.Throws<ArgumentException>(() => new TransactionAssembler(new PgOutputOptions { ProtocolVersion = 1, Streaming = true }));
        Assert.Contains("Streaming", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Unknown_protocol_versions_are_refused(int version)
    {
        var error = Assert.Throws<ArgumentException>(() => new PgOutputOptions { ProtocolVersion = version }.Validate());
        Assert.Contains("1 to 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_phase_needs_protocol_3()
        => Assert.Throws<ArgumentException>(() => new PgOutputOptions { ProtocolVersion = 2, TwoPhase = true }.Validate());
}
