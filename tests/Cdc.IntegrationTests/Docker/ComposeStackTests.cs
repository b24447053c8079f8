using System.Text.Json;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Cdc.IntegrationTests.Docker;

/// <summary>
/// docker/compose.yaml as a user runs it: the images built here from Debian packages (docker/build-images,
/// a few seconds when they are current, about 3 minutes the first time), PostgreSQL, nats-server and cdc in
/// containers; a row inserted in the container's database is read back from the stream on the host.
/// </summary>
public sealed class ComposeStackTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_row_inserted_in_the_compose_database_arrives_in_the_stream_published_by_the_cdc_container()
    {
        var (stack, build) = await ComposeStack.StartAsync(RepositoryRoot.Path);
        output.WriteLine(build);
        await using (stack)
        {
            try
            {
                // cdc creates the slot once NATS and PostgreSQL answer; streaming from it means the row below is captured.
                await using var dataSource = NpgsqlDataSource.Create(stack.PostgresConnection);
                await WaitAsync(async () =>
                {
                    await using var cmd = dataSource.CreateCommand("SELECT coalesce(bool_or(active), false) FROM pg_replication_slots WHERE slot_name = 'cdc'");
                    return (bool)(await cmd.ExecuteScalarAsync())!;
                }, TimeSpan.FromMinutes(2), "the cdc container to stream from slot 'cdc'");

                var name = "Ada " + Guid.NewGuid().ToString("N")[..8];
                await using (var insert = dataSource.CreateCommand("INSERT INTO customers (name, email) VALUES ($1, 'ada@example.com') RETURNING id"))
                {
                    insert.Parameters.AddWithValue(name);
                    var id = (long)(await insert.ExecuteScalarAsync())!;
                    output.WriteLine($"inserted customers.id = {id}");
                }

                StoredChange? arrived = null;
                await WaitAsync(async () =>
                {
                    var changes = await StreamContents.ReadAllAsync(stack.NatsUrl, "CDC", "cdc.shop.public.customers");
                    arrived = changes.FirstOrDefault(c => c.Event.NewRow.Any(column => column.Name == "name" && ValueText.Render(column.Value) == name));
                    return arrived is not null;
                }, TimeSpan.FromMinutes(1), $"the insert of '{name}' in stream CDC");

                Assert.Equal("cdc.shop.public.customers", arrived!.Subject);
                Assert.Equal(V1.Operation.Insert, arrived.Event.Operation);
                Assert.Equal("ada@example.com", ValueText.Render(arrived.Event.NewRow.Single(c => c.Name == "email").Value));

                // The status endpoint (Kestrel and JSON in the trimmed, self-contained app) published on the host.
                using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
                using (var status = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{stack.HttpPort}/status")))
                {
                    Assert.Equal("streaming", status.RootElement.GetProperty("listener").GetProperty("state").GetString());
                    Assert.True(status.RootElement.GetProperty("listener").GetProperty("changes").GetInt64() >= 1);
                }

                // The image's user, as the README says: not root.
                var user = await stack.RunAsync(["exec", "-T", "cdc", "id", "-un"], TimeSpan.FromSeconds(30));
                Assert.Equal("cdc", user.Trim());
            }
            catch
            {
                output.WriteLine(await stack.LogsAsync());
                throw;
            }
        }
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is NpgsqlException or NATS.Client.Core.NatsException or TimeoutException)
            {
                last = e; // the container is still starting
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"waited {timeout} for {what}" + (last is null ? string.Empty : $"; last error: {last.Message}"));
    }
}
