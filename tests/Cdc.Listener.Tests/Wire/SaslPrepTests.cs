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

    [Theory]
    [InlineData("\u2168", "IX")] // Roman numeral nine
    [InlineData("\uFB01le\u00A0\uFF41", "file a")] // ligature, no-break space, full-width letter
    [InlineData("x\u00B2", "x2")] // superscript two
    [InlineData("\uFDFA", "\u0635\u0644\u0649 \u0627\u0644\u0644\u0647 \u0639\u0644\u064A\u0647 \u0648\u0633\u0644\u0645")] // one character, 18 after NFKC
    [InlineData("a\u0301", "\u00E1")] // composed as NFKC requires
    public void Compatibility_characters_are_normalized_to_NFKC_as_PostgreSQL_stores_them(string password, string expected)
    {
        Assert.True(IcuNfkc.IsAvailable, "no ICU (libicuuc) on this machine: SASLprep cannot normalize");
        Assert.Equal(expected, SaslPrep.Prepare(password));
    }
}
