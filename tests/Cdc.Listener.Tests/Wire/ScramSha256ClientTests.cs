using System.Text;
using Cdc.Listener.Replication.Wire;

namespace Cdc.Listener.Tests.Wire;

public sealed class ScramSha256ClientTests
{
    // RFC 7677 section 3.
    private const string RfcNonce = "rOprNGfwEbeRWgbNEkqO";
    private const string RfcServerNonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private const string RfcSalt = "W22ZaJ0SNY7soEsUEjb6gQ==";
    private const string RfcServerFirst = $"r={RfcServerNonce},s={RfcSalt},i=4096";
    private const string RfcClientFinal = $"c=biws,r={RfcServerNonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private const string RfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    // The same exchange with PostgreSQL's empty user name ("n="), computed independently with Python's
    // hashlib.pbkdf2_hmac / hmac over the RFC 5802 formulas.
    private const string PgClientFinal = $"c=biws,r={RfcServerNonce},p=qvT2SWdEH5Q06albL+hjSYuUhCG7VndFyzIb7CK4n9k=";
    private const string PgServerFinal = "v=3HO6Qt1M4MKJrmlKaoOqLAI0/0TV0HZe7J9H3MBtSOg=";

    [Fact]
    public void Rfc7677_test_vector_produces_the_documented_client_final_message_and_accepts_the_server_signature()
    {
        var client = new ScramSha256Client("pencil", RfcNonce, userName: "user");

        Assert.Equal($"n,,n=user,r={RfcNonce}", Text(client.CreateClientFirstMessage()));
        Assert.Equal(RfcClientFinal, Text(client.CreateClientFinalMessage(Bytes(RfcServerFirst))));
        client.VerifyServerFinalMessage(Bytes(RfcServerFinal));
    }

    [Fact]
    public void PostgreSQL_exchange_sends_an_empty_user_name_which_changes_the_proof()
    {
        var client = new ScramSha256Client("pencil", RfcNonce);

        Assert.Equal($"n,,n=,r={RfcNonce}", Text(client.CreateClientFirstMessage()));
        Assert.Equal(PgClientFinal, Text(client.CreateClientFinalMessage(Bytes(RfcServerFirst))));
        client.VerifyServerFinalMessage(Bytes(PgServerFinal));
    }

    [Fact]
    public void Server_signature_of_the_rfc_exchange_is_rejected_when_the_user_name_differs()
    {
        var client = Started("pencil");
        client.CreateClientFinalMessage(Bytes(RfcServerFirst));

        var e = Assert.Throws<PgAuthenticationException>(() => client.VerifyServerFinalMessage(Bytes(RfcServerFinal)));
        Assert.Contains("server signature is wrong", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_password_gives_a_different_proof_and_the_real_servers_signature_is_rejected()
    {
        var client = new ScramSha256Client("pencil2", RfcNonce, userName: "user");
        client.CreateClientFirstMessage();

        Assert.NotEqual(RfcClientFinal, Text(client.CreateClientFinalMessage(Bytes(RfcServerFirst))));
        Assert.Throws<PgAuthenticationException>(() => client.VerifyServerFinalMessage(Bytes(RfcServerFinal)));
    }

    [Fact]
    public void Default_nonce_is_random_base64_of_18_bytes()
    {
        var first = ClientFirstNonce(new ScramSha256Client("x"));
        var second = ClientFirstNonce(new ScramSha256Client("x"));

        Assert.Equal(24, first.Length);
        Assert.Equal(18, Convert.FromBase64String(first).Length);
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a,b")]
    [InlineData("with space")]
    [InlineData("caf\u00e9")]
    public void Nonce_that_is_not_printable_ascii_without_commas_is_refused(string nonce)
    {
        Assert.Throws<ArgumentException>(() => new ScramSha256Client("x", nonce));
    }

    [Fact]
    public void User_name_escapes_equals_and_comma()
    {
        var client = new ScramSha256Client("x", "abc", userName: "a=b,c");

        Assert.Equal("n,,n=a=3Db=2Cc,r=abc", Text(client.CreateClientFirstMessage()));
    }

    [Theory]
    [InlineData("r=someoneElse%hvYDpWUa2RaTCAfuxFIlj,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")]
    [InlineData("r=rOprNGfwEbeRWgbNEkq,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")] // a prefix of ours
    [InlineData("r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")] // ours with nothing of the server's
    [InlineData("r=ROPRNGFWEBERWGBNEKQO%hvYDpWUa2RaTCA,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")] // case differs
    [InlineData("r=rOprNGfwEbeRWgbNEkqO%hv YD,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")] // not printable
    public void Server_nonce_that_does_not_extend_the_client_nonce_is_a_mismatch(string serverFirst)
    {
        var e = Assert.Throws<PgAuthenticationException>(() => Started("pencil").CreateClientFinalMessage(Bytes(serverFirst)));
        Assert.Contains("nonce mismatch", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 'r')]
    [InlineData("s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", 'r')]
    [InlineData($"r={RfcServerNonce},i=4096", 's')]
    [InlineData($"r={RfcServerNonce},s={RfcSalt}", 'i')]
    [InlineData($"r={RfcServerNonce},i=4096,s={RfcSalt}", 's')] // RFC 5802 fixes the order
    [InlineData($"r={RfcServerNonce}", 's')]
    [InlineData($"r={RfcServerNonce};s={RfcSalt};i=4096", 's')]
    public void Server_first_message_without_a_required_attribute_names_it(string serverFirst, char missing)
    {
        var e = Assert.Throws<PgAuthenticationException>(() => Started("pencil").CreateClientFinalMessage(Bytes(serverFirst)));
        Assert.Contains($"'{missing}='", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Server_first_message_with_a_mandatory_extension_is_refused()
    {
        var e = Assert.Throws<PgAuthenticationException>(
            () => Started("pencil").CreateClientFinalMessage(Bytes($"m=ext,{RfcServerFirst}")));
        Assert.Contains("'m='", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Optional_extensions_after_the_iteration_count_are_ignored()
    {
        var client = Started("pencil");

        Assert.StartsWith($"c=biws,r={RfcServerNonce},p=", Text(client.CreateClientFinalMessage(Bytes($"{RfcServerFirst},x=future"))),
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s=")]
    [InlineData("s=not base64!")]
    [InlineData("s=W22ZaJ0SNY7soEsUEjb6gQ=")]
    [InlineData("s=W22ZaJ0SNY7soEsUEjb6gQ===")]
    public void Salt_that_is_not_base64_is_refused(string salt)
    {
        var e = Assert.Throws<PgAuthenticationException>(
            () => Started("pencil").CreateClientFinalMessage(Bytes($"r={RfcServerNonce},{salt},i=4096")));
        Assert.Contains("salt", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("+4096")]
    [InlineData(" 4096")]
    [InlineData("4096.0")]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("10000001")]
    [InlineData("2147483648")]
    [InlineData("99999999999999999999")]
    public void Iteration_count_outside_1_to_ten_million_is_refused_before_any_hashing(string iterations)
    {
        var e = Assert.Throws<PgAuthenticationException>(
            () => Started("pencil").CreateClientFinalMessage(Bytes($"r={RfcServerNonce},s={RfcSalt},i={iterations}")));
        Assert.Contains("iteration count", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_iteration_is_accepted()
    {
        var client = Started("pencil");

        Assert.StartsWith("c=biws,", Text(client.CreateClientFinalMessage(Bytes($"r={RfcServerNonce},s={RfcSalt},i=1"))),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Server_first_message_that_is_not_utf8_is_refused()
    {
        byte[] serverFirst = [.. Bytes($"r={RfcServerNonce}"), 0xC3, 0x28, .. Bytes($",s={RfcSalt},i=4096")];

        var e = Assert.Throws<PgAuthenticationException>(() => Started("pencil").CreateClientFinalMessage(serverFirst));
        Assert.Contains("UTF-8", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")] // first byte differs
    [InlineData("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void Wrong_server_signature_is_refused(string serverFinal)
    {
        var client = RfcClientAfterFinal();

        var e = Assert.Throws<PgAuthenticationException>(() => client.VerifyServerFinalMessage(Bytes(serverFinal)));
        Assert.Contains("server signature is wrong", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v=")]
    [InlineData("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4")] // unpadded
    [InlineData("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl9")] // truncated
    [InlineData("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4AAAA")] // too long
    [InlineData("v=!!")]
    public void Server_signature_that_is_not_32_bytes_of_base64_is_refused(string serverFinal)
    {
        var client = RfcClientAfterFinal();

        var e = Assert.Throws<PgAuthenticationException>(() => client.VerifyServerFinalMessage(Bytes(serverFinal)));
        Assert.Contains("32 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Server_error_attribute_is_reported_by_name()
    {
        var client = RfcClientAfterFinal();

        var e = Assert.Throws<PgAuthenticationException>(() => client.VerifyServerFinalMessage(Bytes("e=invalid-proof")));
        Assert.Contains("invalid-proof", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("x=1")]
    [InlineData("V=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")]
    public void Server_final_message_with_neither_verifier_nor_error_is_refused(string serverFinal)
    {
        var client = RfcClientAfterFinal();

        Assert.Throws<PgAuthenticationException>(() => client.VerifyServerFinalMessage(Bytes(serverFinal)));
    }

    [Fact]
    public void Server_final_extensions_after_the_verifier_are_ignored()
    {
        RfcClientAfterFinal().VerifyServerFinalMessage(Bytes(RfcServerFinal + ",x=future"));
    }

    [Fact]
    public void Steps_out_of_order_are_programming_errors_not_authentication_failures()
    {
        var client = new ScramSha256Client("pencil", RfcNonce);

        Assert.Throws<InvalidOperationException>(() => client.CreateClientFinalMessage(Bytes(RfcServerFirst)));
        Assert.Throws<InvalidOperationException>(() => client.VerifyServerFinalMessage(Bytes(PgServerFinal)));
        client.CreateClientFirstMessage();
        Assert.Throws<InvalidOperationException>(() => client.VerifyServerFinalMessage(Bytes(PgServerFinal)));
    }

    [Fact]
    public void Authentication_failures_are_fatal_listener_errors()
    {
        var e = new PgAuthenticationException("x");

        Assert.IsAssignableFrom<CdcException>(e);
        Assert.False(e.IsTransient);
    }

    [Fact]
    public void Error_messages_never_contain_the_password()
    {
        const string password = "hunter2-very-secret";
        var client = new ScramSha256Client(password, RfcNonce);
        client.CreateClientFirstMessage();
        client.CreateClientFinalMessage(Bytes(RfcServerFirst));

        var e = Assert.Throws<PgAuthenticationException>(() => client.VerifyServerFinalMessage(Bytes(RfcServerFinal)));
        Assert.DoesNotContain(password, e.Message, StringComparison.Ordinal);
    }

    private static ScramSha256Client Started(string password)
    {
        var client = new ScramSha256Client(password, RfcNonce);
        client.CreateClientFirstMessage();
        return client;
    }

    private static ScramSha256Client RfcClientAfterFinal()
    {
        var client = new ScramSha256Client("pencil", RfcNonce, userName: "user");
        client.CreateClientFirstMessage();
        client.CreateClientFinalMessage(Bytes(RfcServerFirst));
        return client;
    }

    private static string ClientFirstNonce(ScramSha256Client client)
        => Text(client.CreateClientFirstMessage())["n,,n=,r=".Length..];

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
