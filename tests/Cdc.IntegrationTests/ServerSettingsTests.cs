using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Cdc.V1;

namespace Cdc.IntegrationTests;

/// <summary>Text-format values do not depend on how the server is configured to print dates and numbers.</summary>
public sealed class ServerSettingsTests
{
    [Fact]
    public async Task Values_are_exact_when_the_server_prints_dates_intervals_and_floats_differently()
    {
        await using var pg = await PostgresServer.StartAsync(new Dictionary<string, string>
        {
            ["datestyle"] = "'SQL, DMY'",
            ["intervalstyle"] = "'sql_standard'",
            ["extra_float_digits"] = "-3",
            ["timezone"] = "'America/New_York'",
        });
        await using var nats = await NatsServer.StartAsync();
        await pg.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY, ts timestamp, tstz timestamptz, d date, iv interval, f float8)");
        await using var cdc = CdcProcess.Start(
            ["run", "--connection", pg.ConnectionString(), "--nats", nats.Url, "--stream", "S", "--http", "off"]);
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        await pg.ExecuteAsync("""
            INSERT INTO t VALUES (1, '2024-03-05 06:07:08.123456', '2024-03-05 06:07:08.5+02', '2024-03-05',
                                  '-1 year -2 months +3 days 04:05:06.789', 0.1::float8 + 0.2::float8)
            """);

        var changes = await StreamContents.WaitForAsync(nats.Url, "S", 1, TimeSpan.FromSeconds(60));
        var row = Assert.Single(changes).Event.NewRow.ToDictionary(c => c.Name, c => c.Value);
        Assert.Equal(new DateTimeOffset(2024, 3, 5, 6, 7, 8, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000 + 123456, row["ts"].TimestampUs);
        Assert.Equal(new DateTimeOffset(2024, 3, 5, 4, 7, 8, 500, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000, row["tstz"].TimestamptzUs);
        Assert.Equal((int)(new DateTime(2024, 3, 5) - DateTime.UnixEpoch).TotalDays, row["d"].Date);
        Assert.Equal(new Interval { Months = -14, Days = 3, Microseconds = ((((4 * 60) + 5) * 60) + 6) * 1_000_000L + 789_000 }, row["iv"].Interval);
        Assert.Equal(0.1 + 0.2, row["f"].Float);
    }
}
