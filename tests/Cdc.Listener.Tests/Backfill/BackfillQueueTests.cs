using Cdc.Listener.Backfill;
using Cdc.Listener.Cli;
using Microsoft.Extensions.Time.Testing;

namespace Cdc.Listener.Tests.Backfill;

/// <summary>
/// Concurrent backfill requests: one runs at a time, the others wait in request order (their commit LSN), and a new
/// request for a table already waiting or running replaces it at the end of the queue.
/// </summary>
public sealed class BackfillQueueTests
{
    private static readonly TimeSpan Real = TimeSpan.FromSeconds(10);

    private static BackfillJob Job(ulong lsn, string table) => new()
    {
        Id = lsn.ToString("X16", System.Globalization.CultureInfo.InvariantCulture),
        Schema = "public",
        Table = table,
        StartedUnixMs = 1_765_000_000_000,
    };

    [Fact]
    public void Jobs_run_in_request_order_whatever_order_they_are_loaded_in()
    {
        var queue = new BackfillQueue();
        // A restart loads the progress store's entries in key order, not request order; 0x100 < 0xF0_0000 as LSNs.
        queue.Put(Job(0xF0_0000, "a"));
        queue.Put(Job(0x100, "z"));
        queue.Put(Job(0x2000, "m"));

        Assert.Equal(["public.z", "public.m", "public.a"], queue.InOrder().Select(j => j.QualifiedName));
    }

    [Fact]
    public void Requests_of_one_transaction_share_its_commit_lsn_and_are_all_queued_by_table()
    {
        var queue = new BackfillQueue();

        Assert.True(queue.Put(Job(0x500, "orders")));
        Assert.True(queue.Put(Job(0x500, "customers")));
        Assert.True(queue.Put(Job(0x100, "zones")));
        Assert.False(queue.Put(Job(0x500, "orders")));

        Assert.Equal(["public.zones", "public.customers", "public.orders"], queue.InOrder().Select(j => j.QualifiedName));
        Assert.True(queue.IsCurrent(Job(0x500, "customers")));
    }

    [Fact]
    public async Task A_new_request_for_a_running_table_stops_it_and_waits_behind_the_earlier_requests()
    {
        var queue = new BackfillQueue();
        var orders = Job(0x10, "orders");
        queue.Put(orders);
        queue.Put(Job(0x20, "customers"));
        Assert.Same(orders, await queue.NextAsync(CancellationToken.None));

        var again = Job(0x30, "orders") with { Where = "id > 5" };
        Assert.True(queue.Put(again));
        Assert.False(queue.IsCurrent(orders));
        Assert.False(queue.Update(orders with { Chunks = 1 }));
        Assert.False(queue.Remove(orders));
        Assert.Equal(["public.customers", "public.orders"], queue.InOrder().Select(j => j.QualifiedName));
        Assert.Equal("id > 5", queue.InOrder()[1].Where);
    }

    [Fact]
    public void A_replayed_request_is_not_queued_twice()
    {
        var queue = new BackfillQueue();
        var job = Job(0x10, "orders");
        Assert.True(queue.Put(job));
        Assert.False(queue.Put(job with { }));
        Assert.Single(queue.InOrder());
    }

    [Fact]
    public async Task Next_waits_for_a_request_and_moves_on_when_the_running_one_is_removed()
    {
        var queue = new BackfillQueue();
        var next = queue.NextAsync(CancellationToken.None);
        Assert.False(next.IsCompleted);
        var first = Job(0x10, "a");
        queue.Put(first);
        Assert.Same(first, await next.WaitAsync(Real));

        queue.Put(Job(0x20, "b"));
        Assert.True(queue.Update(first with { Chunks = 3 }));
        Assert.True(queue.Remove(first));
        Assert.Equal("public.b", (await queue.NextAsync(CancellationToken.None).WaitAsync(Real)).QualifiedName);
    }

    [Fact]
    public void Status_lists_the_running_backfill_then_the_queued_ones_in_order()
    {
        var board = new BackfillProgressBoard(new FakeTimeProvider());
        var queue = new BackfillQueue();
        var running = Job(0x10, "orders");
        queue.Put(running);
        queue.Put(Job(0x30, "customers"));
        queue.Put(Job(0x20, "lines") with { Chunks = 4, RowsDone = 4_096 });
        board.Queue(queue.InOrder());
        board.Start(running, estimate: 10_000);

        var shown = board.Snapshot();
        Assert.Equal(
            [("public.orders", "running", (int?)null), ("public.lines", "queued", 1), ("public.customers", "queued", 2)],
            shown.Select(b => (b.Table, b.State, b.QueuePosition)));
        Assert.Contains("queued #1", BackfillLines.Line(shown[1]), StringComparison.Ordinal);
        Assert.Contains("resumes after 4,096 rows", BackfillLines.Line(shown[1]), StringComparison.Ordinal);
        Assert.DoesNotContain("resumes", BackfillLines.Line(shown[2]), StringComparison.Ordinal);
    }
}
