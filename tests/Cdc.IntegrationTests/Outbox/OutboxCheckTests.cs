using Cdc.Testing;

namespace Cdc.IntegrationTests.Outbox;

/// <summary><c>cdc check</c> reports each outbox table's shape, or one line saying what would stop its relay and the fix.</summary>
public sealed class OutboxCheckTests
{
    [Fact]
    public async Task Check_reports_each_outbox_tables_shape_or_what_to_fix()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        await pg.ExecuteAsync(OutboxEnvironment.Schema + """
            CREATE TABLE bad_egress (batch_id bigint PRIMARY KEY, in_flight boolean, message_count integer, write_retries integer, last_write_error text, raw_data text);
            CREATE TABLE other (id bigint PRIMARY KEY, body text);
            """);
        string[] common = ["check", "--connection", pg.ConnectionString(), "--nats", nats.Url, "--stream", "OUTBOX_CHECK"];

        var (exitCode, output) = await CdcProcess.RunAsync(
            [.. common, "--tables", "public.outbox,public.bad_egress,public.other", "--outbox-tables", "public.outbox,egress", "--outbox-tables", "bad_egress,other,nope"],
            TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 1, output);
        Assert.Contains("ok    outbox      public.outbox: Debezium shape (id uuid, aggregatetype varchar, aggregateid varchar, type varchar, payload jsonb, headers jsonb)", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  outbox      public.egress (Egress shape) is not in the publication cdc run would create, so nothing inserted there is relayed: add it to Cdc:Tables", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  outbox      public.bad_egress (Egress shape): column raw_data is text, wanted bytea", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  outbox      Cdc:Outbox:Tables names public.other, whose columns (id, body) are neither", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  outbox      public.nope does not exist in postgres: create it", output, StringComparison.Ordinal);
        Assert.EndsWith("cdc run would stop: 4 problems above (exit 1); nothing was changed", output.Trim(), StringComparison.Ordinal);

        // An existing publication without the table: the fix is the ALTER PUBLICATION.
        await pg.ExecuteAsync("CREATE PUBLICATION cdc FOR TABLE outbox");
        (exitCode, output) = await CdcProcess.RunAsync([.. common, "--outbox-tables", "public.outbox,egress"], TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 1, output);
        Assert.Contains("ok    outbox      public.outbox: Debezium shape", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  outbox      public.egress (Egress shape) is not in the publications cdc, so nothing inserted there is relayed: ALTER PUBLICATION cdc ADD TABLE public.egress", output, StringComparison.Ordinal);
    }
}
