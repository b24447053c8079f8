using System.Globalization;
using Cdc.Listener.Telemetry;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Cdc.Listener.Cli;

/// <summary>
/// <c>cdc status</c>: a progress bar for the running backfill (rows done of the estimate, rate, ETA), then one line per
/// backfill queued behind it, in the order they will run.
/// </summary>
internal static class BackfillLines
{
    private const int Width = 30;

    public static IRenderable Render(IReadOnlyList<BackfillProgress> backfills)
    {
        var grid = new Grid();
        grid.AddColumn(new GridColumn().NoWrap().PadRight(2));
        grid.AddColumn(new GridColumn().NoWrap());
        foreach (var b in backfills)
        {
            grid.AddRow(new Markup($"[grey]backfill[/] {Markup.Escape(b.Table)}"), new Markup(Line(b)));
        }

        return grid;
    }

    /// <summary>The bar and numbers of one backfill, as Spectre markup.</summary>
    internal static string Line(BackfillProgress b)
    {
        if (b.State == BackfillProgress.Queued)
        {
            var resumes = b.Chunks > 0 ? string.Create(CultureInfo.InvariantCulture, $" · resumes after {b.RowsDone:N0} rows") : string.Empty;
            return string.Create(CultureInfo.InvariantCulture,
                $"[grey]queued #{b.QueuePosition} · requested {b.StartedAt.UtcDateTime:HH:mm:ss} UTC{resumes}[/]");
        }

        var rows = b.RowsDone.ToString("N0", CultureInfo.InvariantCulture);
        var rate = b.RowsPerSecond.ToString("N0", CultureInfo.InvariantCulture);
        if (b.RowsEstimate <= 0)
        {
            return $"[grey]{new string('░', Width)}[/] {rows} rows · {rate} rows/s · estimate unknown (table never analyzed)";
        }

        var fraction = Math.Clamp((double)b.RowsDone / b.RowsEstimate, 0, 1);
        var filled = (int)Math.Round(fraction * Width);
        var eta = b.EtaSeconds is { } seconds ? "ETA " + Eta(seconds) : "ETA —";
        return string.Create(CultureInfo.InvariantCulture,
            $"[green]{new string('█', filled)}[/][grey]{new string('░', Width - filled)}[/] {fraction * 100:0}% · {rows} of ~{b.RowsEstimate:N0} rows · {rate} rows/s · {eta}");
    }

    private static string Eta(double seconds) => seconds switch
    {
        < 60 => string.Create(CultureInfo.InvariantCulture, $"{seconds:0}s"),
        < 3600 => string.Create(CultureInfo.InvariantCulture, $"{(int)(seconds / 60)}m{(int)(seconds % 60):00}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)(seconds / 3600)}h{(int)(seconds % 3600 / 60):00}m"),
    };
}
