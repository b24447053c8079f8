using Cdc.Listener.Replication.Wire;

namespace Cdc.Listener.Tests.Wire;

public sealed class SaslPrepTests
{
    [Theory]
    [InlineData("pencil")]
    [InlineData("with space and\ttab")] // PostgreSQL leaves any all-ASCII password alone, controls included
    [InlineData("")]
    public void Ascii_password_is_used_exactly_as_given(string password)
    {
        Assert.Same(password, SaslPrep.Prepare(password));
    }

    [Theory]
    [InlineData("a\u00A0b", "a b")] // no-break space
    [InlineData("a\u2003b", "a b")] // em space
    [InlineData("a\u3000b", "a b")] // ideographic space
    [InlineData("a\u200Bb", "a b")] // zero width space: in C.1.2 and B.1, PostgreSQL maps it to a space
    [InlineData("a\u00ADb", "ab")] // soft hyphen
    [InlineData("a\uFEFFb", "ab")] // zero width no-break space
    [InlineData("a\uFE0Fb", "ab")] // variation selector
    [InlineData("\u00A0\u00AD", " ")]
    public void Non_ascii_spaces_become_spaces_and_invisible_characters_disappear(string password, string expected)
    {
        Assert.Equal(expected, SaslPrep.Prepare(password));
    }

    [Theory]
    [InlineData("p\u00E4ssw\u00F6rd")]
    [InlineData("\u5BC6\u7801")]
    [InlineData("\U0001F511key")] // outside the BMP
    public void Precomposed_non_ascii_password_is_unchanged(string password)
    {
        Assert.Equal(password, SaslPrep.Prepare(password));
    }

    [Theory]
    [InlineData("a\u00A0\uE000")] // private use (C.3)
    [InlineData("a\u00A0\u0085")] // C1 control (C.2.2)
    [InlineData("a\u00A0\u200E")] // left-to-right mark (C.8)
    [InlineData("a\u00A0\uFDD0")] // non-character (C.4)
    [InlineData("a\u00A0\U000E0001")] // language tag (C.9)
    [InlineData("a\u00A0\uD800")] // unpaired surrogate (C.5)
    public void Password_with_a_prohibited_character_is_used_raw_as_PostgreSQL_does(string password)
    {
        Assert.Same(password, SaslPrep.Prepare(password));
    }
}
