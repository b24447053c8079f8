using System.Security.Cryptography;
using System.Text;
using Cdc.Listener.Replication.Wire;

namespace Cdc.Listener.Tests.Wire;

public sealed class Md5PasswordTests
{
    [Theory]
    // Expected values from Python: "md5" + md5(md5(password + user).hexdigest().encode() + salt).hexdigest()
    [InlineData("postgres", "secret", new byte[] { 0x01, 0x02, 0x03, 0x04 }, "md5bb41a296aab6baccb36ff243a562abff")]
    [InlineData("j\u00FCrgen", "p\u00E4ssw\u00F6rd", new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }, "md5aae7104c69c2981684fe7d3a7c824ea0")]
    public void Answer_matches_values_computed_with_python_hashlib(string user, string password, byte[] salt, string expected)
    {
        Assert.Equal(expected, Encoding.ASCII.GetString(Md5Password.Compute(user, password, salt)));
    }

    [Theory]
    [InlineData("cdc", "pw", new byte[] { 0, 0, 0, 0 })]
    [InlineData("replicator", "", new byte[] { 0xFF, 0x00, 0x7F, 0x80 })]
    [InlineData("", "only-password", new byte[] { 9, 8, 7, 6 })]
    public void Answer_follows_the_documented_formula(string user, string password, byte[] salt)
    {
        var inner = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(password + user)));
        var outer = Convert.ToHexStringLower(MD5.HashData([.. Encoding.ASCII.GetBytes(inner), .. salt]));

        Assert.Equal("md5" + outer, Encoding.ASCII.GetString(Md5Password.Compute(user, password, salt)));
    }

    [Fact]
    public void Answer_is_35_bytes_without_the_terminating_nul()
    {
        var answer = Md5Password.Compute("u", "p", [1, 2, 3, 4]);

        Assert.Equal(35, answer.Length);
        Assert.DoesNotContain((byte)0, answer);
    }

    [Fact]
    public void Salt_takes_part_in_the_answer()
    {
        Assert.NotEqual(Md5Password.Compute("u", "p", [1, 2, 3, 4]), Md5Password.Compute("u", "p", [1, 2, 3, 5]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(5)]
    public void Salt_that_is_not_4_bytes_is_an_authentication_failure(int length)
    {
        Assert.Throws<PgAuthenticationException>(() => Md5Password.Compute("u", "p", new byte[length]));
    }
}
