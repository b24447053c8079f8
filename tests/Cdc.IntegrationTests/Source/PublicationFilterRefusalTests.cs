using Cdc.Testing;

namespace Cdc.IntegrationTests.Source;

/// <summary>
/// Filters PostgreSQL cannot honour, or that would break the application, stop <c>cdc run</c> with one line before it
/// creates anything; so does a publication that exists and does not filter as the settings say.
/// </summary>
public sealed class PublicationFilterRefusalTests : IAsyncLifetime
{
    private PostgresServer _pg = null!;
    private NatsServer _nats = null!;

    public async Task InitializeAsync()
    {
        _pg = await PostgresServer.StartAsync();
        _nats = await NatsServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        await _pg.DisposeAsync();
    }

    [Theory]
    [InlineData("Cdc:RowFilters:public.orders=status <> 'draft'",
        "Cdc:RowFilters for public.orders would make the application's UPDATE and DELETE on it fail")]
    [InlineData("Cdc:ExcludeColumns:public.orders:0=id",
        "Cdc:ExcludeColumns for public.orders would make the application's UPDATE and DELETE on it fail")]
    [InlineData("Cdc:ExcludeColumns:public.orders:0=emial",
        "Cdc:ExcludeColumns:public.orders names emial, not a column of public.orders (it has id, status, note)")]
    [InlineData("Cdc:RowFilters:public.orders=statuss = 1",
        "Cdc:RowFilters for public.orders: PostgreSQL refuses FOR TABLE \"public\".\"orders\" WHERE (statuss = 1)")]
    [InlineData("Cdc:RowFilters:public.nosuch=id > 0",
        "Cdc:RowFilters:public.nosuch names a table cdc cannot filter")]
    public async Task A_filter_that_cannot_work_stops_cdc_with_one_line_and_creates_nothing(string setting, string expected)
    {
        var database = await PrepareAsync("filter_refused_" + Guid.NewGuid().ToString("N")[..8]);

        var (exitCode, output) = await CdcProcess.RunAsync(Run(database, "--set", setting), TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.Equal(0L, await _pg.ScalarAsync<long>("SELECT count(*) FROM pg_publication", database));
        Assert.Equal(0L, await _pg.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'refused'", database));
    }

    [Fact]
    public async Task A_publication_that_exists_without_the_filters_is_refused_naming_the_difference()
    {
        var database = await PrepareAsync("filter_existing");
        await _pg.ExecuteAsync("CREATE PUBLICATION refused FOR TABLE orders", database);

        var (exitCode, output) = await CdcProcess.RunAsync(Run(database, "--set", "Cdc:RowFilters:public.orders=id > 100"), TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("publication 'refused' exists and differs from Cdc:RowFilters: public.orders publishes (id, status, note) every row, the settings (id, status, note) WHERE (id > 100)", output, StringComparison.Ordinal);
        Assert.Equal(0L, await _pg.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'refused'", database));
    }

    [Theory]
    [InlineData("rows.{tabel}", "Cdc:Nats:SubjectTemplate = 'rows.{tabel}' is not valid: {tabel} is not a placeholder")]
    [InlineData("rows..{table}", "Cdc:Nats:SubjectTemplate = 'rows..{table}' is not valid: a token is empty")]
    [InlineData("rows.*.{table}", "Cdc:Nats:SubjectTemplate = 'rows.*.{table}' is not valid")]
    public async Task A_subject_template_that_is_not_one_exits_2_with_one_line(string template, string expected)
    {
        var (exitCode, output) = await CdcProcess.RunAsync(
            ["run", "--connection", "Host=127.0.0.1;Port=1;Database=shop", "--set", "Cdc:Nats:SubjectTemplate=" + template], TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    private async Task<string> PrepareAsync(string name)
    {
        var database = await _pg.CreateDatabaseAsync(name.ToLowerInvariant());
        await _pg.ExecuteAsync("CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL, note text)", database);
        return database;
    }

    private string[] Run(string database, params string[] more) =>
    [
        "run", "--connection", _pg.ConnectionString(database), "--nats", _nats.Url, "--slot", "refused", "--publication", "refused",
        "--stream", "REFUSED", "--http", "off", .. more,
    ];
}
