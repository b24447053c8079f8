using Cdc.Listener.Replication.Wire;

namespace Cdc.Listener.Tests.Wire;

public sealed class PgPassFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cdc-pgpass-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Line_matching_every_field_gives_its_password()
    {
        var path = Write("db.example:5432:app:cdc:s3cret");

        Assert.Equal("s3cret", PgPassFile.FindPassword(path, "db.example", 5432, "app", "cdc"));
    }

    [Theory]
    [InlineData("other:5432:app:cdc:x")]
    [InlineData("db.example:5433:app:cdc:x")]
    [InlineData("db.example:5432:other:cdc:x")]
    [InlineData("db.example:5432:app:other:x")]
    [InlineData("DB.EXAMPLE:5432:app:cdc:x")] // compared byte for byte, like libpq
    [InlineData("db.example:5432:app:cdc")] // no password field
    [InlineData("db.example:5432:app")]
    [InlineData("")]
    public void Line_differing_in_any_field_or_too_short_does_not_match(string line)
    {
        Assert.Null(PgPassFile.FindPassword(Write(line), "db.example", 5432, "app", "cdc"));
    }

    [Theory]
    [InlineData("*:5432:app:cdc:pw")]
    [InlineData("db.example:*:app:cdc:pw")]
    [InlineData("db.example:5432:*:cdc:pw")]
    [InlineData("db.example:5432:app:*:pw")]
    [InlineData("*:*:*:*:pw")]
    public void Star_field_matches_anything(string line)
    {
        Assert.Equal("pw", PgPassFile.FindPassword(Write(line), "db.example", 5432, "app", "cdc"));
    }

    [Fact]
    public void Star_inside_a_field_is_not_a_wildcard()
    {
        var path = Write("db.*:5432:app:cdc:pw", "*x:5432:app:cdc:pw");

        Assert.Null(PgPassFile.FindPassword(path, "db.example", 5432, "app", "cdc"));
    }

    [Fact]
    public void Escaped_star_is_a_literal_star()
    {
        var path = Write(@"db:5432:\*:cdc:literal");

        Assert.Null(PgPassFile.FindPassword(path, "db", 5432, "app", "cdc"));
        Assert.Equal("literal", PgPassFile.FindPassword(path, "db", 5432, "*", "cdc"));
    }

    [Fact]
    public void First_matching_line_wins()
    {
        var path = Write(
            "db:5432:app:cdc:specific",
            "*:*:*:cdc:fallback",
            "db:5432:app:cdc:later");

        Assert.Equal("specific", PgPassFile.FindPassword(path, "db", 5432, "app", "cdc"));
        Assert.Equal("fallback", PgPassFile.FindPassword(path, "other", 5432, "app", "cdc"));
    }

    [Fact]
    public void Wildcard_line_before_a_specific_one_shadows_it()
    {
        var path = Write("*:*:*:*:everyone", "db:5432:app:cdc:specific");

        Assert.Equal("everyone", PgPassFile.FindPassword(path, "db", 5432, "app", "cdc"));
    }

    [Fact]
    public void Escaped_colons_match_an_ipv6_host()
    {
        var path = Write(@"\:\:1:5432:app:cdc:v6");

        Assert.Equal("v6", PgPassFile.FindPassword(path, "::1", 5432, "app", "cdc"));
    }

    [Theory]
    [InlineData(@"db:5432:app:cdc:a\:b", "a:b")]
    [InlineData(@"db:5432:app:cdc:a\\b", @"a\b")]
    [InlineData(@"db:5432:app:cdc:a\bc", "abc")] // a backslash escapes any character
    [InlineData(@"db:5432:app:cdc:ends\", @"ends\")] // a trailing backslash is kept
    [InlineData("db:5432:app:cdc:a:b", "a")] // an unescaped colon ends the password
    [InlineData("db:5432:app:cdc:", "")]
    [InlineData("db:5432:app:cdc: spaced ", " spaced ")]
    public void Password_is_unescaped(string line, string expected)
    {
        Assert.Equal(expected, PgPassFile.FindPassword(Write(line), "db", 5432, "app", "cdc"));
    }

    [Fact]
    public void Escaped_backslash_in_a_key_field_matches_a_backslash()
    {
        var path = Write(@"db:5432:app:dom\\cdc:pw");

        Assert.Equal("pw", PgPassFile.FindPassword(path, "db", 5432, "app", @"dom\cdc"));
    }

    [Fact]
    public void Comment_and_blank_lines_are_skipped()
    {
        var path = Write(
            "# db:5432:app:cdc:commented",
            "#db:5432:app:cdc:commented",
            "",
            "db:5432:app:cdc:real");

        Assert.Equal("real", PgPassFile.FindPassword(path, "db", 5432, "app", "cdc"));
    }

    [Fact]
    public void Windows_line_endings_do_not_end_up_in_the_password()
    {
        var path = Path.Combine(_directory, "crlf");
        File.WriteAllText(path, "other:1:x:y:z\r\ndb:5432:app:cdc:pw\r\n");
        OwnerOnly(path);

        Assert.Equal("pw", PgPassFile.FindPassword(path, "db", 5432, "app", "cdc"));
    }

    [Theory]
    [InlineData("/var/run/postgresql")]
    [InlineData("@abstract")]
    [InlineData("")]
    public void Unix_socket_host_is_matched_as_localhost(string host)
    {
        var path = Write("localhost:5432:app:cdc:local");

        Assert.Equal("local", PgPassFile.FindPassword(path, host, 5432, "app", "cdc"));
    }

    [Fact]
    public void Missing_file_gives_no_password()
    {
        Assert.Null(PgPassFile.FindPassword(Path.Combine(_directory, "absent"), "db", 5432, "app", "cdc"));
    }

    [Fact]
    public void Directory_instead_of_a_file_gives_no_password()
    {
        Assert.Null(PgPassFile.FindPassword(_directory, "db", 5432, "app", "cdc"));
    }

    [Theory]
    [InlineData(UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.GroupWrite)]
    [InlineData(UnixFileMode.OtherExecute)]
    public void File_accessible_to_group_or_others_is_ignored_as_libpq_does(UnixFileMode extra)
    {
        var path = Write("*:*:*:*:pw");
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);

        Assert.Null(PgPassFile.FindPassword(path, "db", 5432, "app", "cdc"));
    }

    [Fact]
    public void Owner_read_only_file_is_used()
    {
        var path = Write("*:*:*:*:pw");
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead);

        Assert.Equal("pw", PgPassFile.FindPassword(path, "db", 5432, "app", "cdc"));
    }

    [Fact]
    public void Explicit_path_wins_over_PGPASSFILE_which_is_used_when_no_path_is_given()
    {
        var explicitFile = Write("*:*:*:*:explicit");
        var environmentFile = Path.Combine(_directory, "from-env");
        File.WriteAllLines(environmentFile, ["*:*:*:*:from-env"]);
        OwnerOnly(environmentFile);

        var before = Environment.GetEnvironmentVariable("PGPASSFILE");
        Environment.SetEnvironmentVariable("PGPASSFILE", environmentFile);
        try
        {
            Assert.Equal("explicit", PgPassFile.FindPassword(explicitFile, "db", 5432, "app", "cdc"));
            Assert.Equal("from-env", PgPassFile.FindPassword(null, "db", 5432, "app", "cdc"));
            Assert.Equal("from-env", PgPassFile.FindPassword("", "db", 5432, "app", "cdc"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PGPASSFILE", before);
        }
    }

    private string Write(params string[] lines)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N"));
        File.WriteAllLines(path, lines);
        OwnerOnly(path);
        return path;
    }

    /// <summary>New files get the umask's mode (often 0644), which libpq and PgPassFile refuse.</summary>
    private static void OwnerOnly(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
