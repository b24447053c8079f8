using Cdc.Listener.Backfill;
using Cdc.Listener.Backfill.Window;
using Cdc.Listener.Cli;

namespace Cdc.Listener.Tests.Backfill;

/// <summary>What <c>cdc status</c> and <c>/metrics</c> show of a running backfill: rows of the estimate, rate, ETA.</summary>
public sealed class BackfillProgressTests
{
    private sealed class ManualTime : TimeProvider
    {
        public long Ticks { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;
    }

    [Fact]
    public void Rate_and_eta_come_from_the_rows_done_since_this_process_took_the_backfill_up()
    {
        var time = new ManualTime();
        var board = new BackfillProgressBoard(time);
        var job = new BackfillJob { Id = "1", Schema = "public", Table = "orders", RowsDone = 1_000, StartLsn = 0x10 };
        board.Start(job, estimate: 11_000);
        time.Ticks = TimeSpan.FromSeconds(10).Ticks;
        board.Update(job with { RowsDone = 6_000, Chunks = 3 });

        var progress = Assert.Single(board.Snapshot());
        Assert.Equal("public.orders", progress.Table);
        Assert.Equal(6_000, progress.RowsDone);
        Assert.Equal(500, progress.RowsPerSecond, 3);
        Assert.Equal(10, progress.EtaSeconds!.Value, 3);
        Assert.Contains("55% · 6,000 of ~11,000 rows · 500 rows/s · ETA 10s", BackfillLines.Line(progress), StringComparison.Ordinal);

        board.Finish(job);
        Assert.Empty(board.Snapshot());
    }

    [Fact]
    public void An_unknown_estimate_says_so_instead_of_a_bar()
    {
        var board = new BackfillProgressBoard(new ManualTime());
        board.Start(new BackfillJob { Id = "1", Schema = "s", Table = "t" }, estimate: 0);
        var progress = Assert.Single(board.Snapshot());
        Assert.Null(progress.EtaSeconds);
        Assert.Contains("estimate unknown", BackfillLines.Line(progress), StringComparison.Ordinal);
    }
}
