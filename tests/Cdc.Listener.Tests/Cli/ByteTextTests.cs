using Cdc.Listener.Configuration;

namespace Cdc.Listener.Tests.Cli;

/// <summary>Sizes read back in the form they are shown in, and no text half-read.</summary>
public sealed class ByteTextTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("-5", -5L)]
    [InlineData("10B", 10L)]
    [InlineData("4 KiB", 4096L)]
    [InlineData("64mib", 64L << 20)]
    [InlineData("2 TiB", 2L << 40)]
    [InlineData("1GB", 1_000_000_000L)]
    public void Sizes_parse_with_and_without_units(string text, long bytes)
    {
        Assert.True(ByteText.TryParse(text, out var value));
        Assert.Equal(bytes, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("MiB")]
    [InlineData("1.5")]
    [InlineData("0.3B")]
    [InlineData("12 parsecs")]
    [InlineData("99999999 TiB")]
    public void Text_that_is_not_a_whole_size_is_refused(string text)
        => Assert.False(ByteText.TryParse(text, out _));

    [Fact]
    public void What_Format_writes_TryParse_reads()
    {
        Assert.True(ByteText.TryParse(ByteText.Format(64L << 20), out var value));
        Assert.Equal(64L << 20, value);
    }
}
