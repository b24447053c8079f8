using System.Globalization;
using Cdc.Listener.Configuration;
using Cdc.Listener.Http;
using Spectre.Console.Rendering;
using Spectre.Console;

namespace Cdc.Listener.Cli;

/// <summary>The one screen of <c>cdc status</c>: slot, listener and sink side by side, per-table counts below, the verdict last.</summary>
internal static class StatusScreen
{
    private static readonly string[] Operations = ["insert", "update", "delete", "truncate", "message"];

    public static IRenderable Render(StatusReport report)
    {
        var status = report.Sidecar.Status;
        var panels = new Grid { Expand = true };
        panels.AddColumn(new GridColumn().PadRight(0));
        panels.AddColumn(new GridColumn().PadRight(0));
        panels.AddColumn(new GridColumn().PadRight(0));
        Grid[] grids = [SlotGrid(report), ListenerGrid(report), SinkGrid(report)];

        // Equal heights, so the three boxes line up.
        var height = grids.Max(g => g.Rows.Count);
        foreach (var grid in grids)
        {
            while (grid.Rows.Count < height)
            {
                grid.AddEmptyRow();
            }
        }

        panels.AddRow(Box("Slot · PostgreSQL", grids[0]), Box("Listener", grids[1]), Box("Sink · JetStream", grids[2]));
        var rows = new List<IRenderable> { Header(report), panels };
        if (status is not null)
        {
            rows.Add(TablesTable(status));
            if (status.Backfills is { Count: > 0 } backfills)
            {
                rows.Add(BackfillLines.Render(backfills));
            }
        }

        rows.Add(VerdictLine(report));
        return new Rows(rows);
    }

    private static Markup Header(StatusReport report)
    {
        var status = report.Sidecar.Status;
        var what = status is null
            ? "sidecar down"
            : $"database {status.Database} · slot {status.Slot} · publication {status.Publication}";
        return new Markup($"[bold]cdc status[/]  [grey]{Markup.Escape(what)} · {Markup.Escape(report.Sidecar.Url)} · {report.CheckedAt:HH:mm:ss} UTC[/]");
    }

    private static Grid SlotGrid(StatusReport report)
    {
        var grid = KeyValueGrid();
        if (report.Slot is not { } slot)
        {
            Add(grid, "slot", report.PostgresError is { } error ? $"[red]unreadable[/]: {Markup.Escape(error)}" : "[grey]unknown (give --connection)[/]");
        }
        else if (!slot.Exists)
        {
            Add(grid, "slot", $"[red]{Markup.Escape(slot.Name)} does not exist[/]");
        }
        else
        {
            Add(grid, "slot", Markup.Escape(slot.Name));
            Add(grid, "active", slot.Active ? $"[green]yes[/] (pid {slot.ActivePid})" : "[yellow]no[/]");
            Add(grid, "confirmed", Markup.Escape(slot.ConfirmedFlushLsn ?? "-"));
            Add(grid, "restart", Markup.Escape(slot.RestartLsn ?? "-"));
            Add(grid, "lag", $"{(slot.LagBytes is { } b ? ByteText.Format(b) : "-")} · {(slot.LagSeconds is { } s ? DurationText.Format(TimeSpan.FromSeconds(s)) : "idle")}");
            Add(grid, "wal_status", slot.WalStatus switch
            {
                "reserved" => "[green]reserved[/]",
                "extended" => "[yellow]extended[/]",
                null => "-",
                var other => $"[red]{Markup.Escape(other)}[/]",
            });
        }

        if (report.Publication is { } publication)
        {
            var scope = !publication.Exists ? "[red]missing[/]"
                : publication.AllTables ? $"all tables ({publication.TableCount})"
                : $"{publication.TableCount} tables";
            Add(grid, "publication", $"{Markup.Escape(publication.Name)} · {scope}");
            if (publication.Exists)
            {
                Add(grid, "publishes", publication.Operations.Count == 4 ? "all operations" : $"[yellow]only {string.Join(", ", publication.Operations)}[/]");
            }
        }

        if (report.InsertsPublication is { Exists: true } inserts)
        {
            Add(grid, "without a key", $"{Markup.Escape(inserts.Name)} · {inserts.TableCount} tables · {string.Join(", ", inserts.Operations)} only");
        }

        return grid;
    }

    private static Grid ListenerGrid(StatusReport report)
    {
        var grid = KeyValueGrid();
        if (report.Sidecar.Status is not { } status)
        {
            Add(grid, "state", "[red bold]down[/]");
            Add(grid, "reason", Markup.Escape(report.Sidecar.Error ?? "no answer"));
            return grid;
        }

        var l = status.Listener;
        Add(grid, "state", l.State == "streaming" ? "[green]streaming[/]" : $"[yellow]{Markup.Escape(l.State)}[/]");
        Add(grid, "uptime", DurationText.Format(TimeSpan.FromSeconds(l.UptimeSeconds)));
        Add(grid, "changes/s", l.ChangesPerSecond.ToString("#,0.0", CultureInfo.InvariantCulture));
        Add(grid, "changes", $"{l.Changes.ToString("#,0", CultureInfo.InvariantCulture)} in {l.Transactions.ToString("#,0", CultureInfo.InvariantCulture)} tx");
        Add(grid, "in flight", $"{Bar(l.InFlightBytes, l.MaxInFlightBytes)} {ByteText.Format(l.InFlightBytes)} of {ByteText.Format(l.MaxInFlightBytes)}");
        Add(grid, "last commit", l.LastCommitTime is { } commit ? $"{commit:HH:mm:ss} ({DurationText.Format(report.CheckedAt - commit)} ago)" : "[grey]none yet[/]");
        Add(grid, "e2e lag", l.EndToEndLagSeconds is { } lag ? DurationText.Format(TimeSpan.FromSeconds(lag)) : "[grey]-[/]");
        Add(grid, "flushed", Markup.Escape(l.ConfirmedFlushLsn));
        if (l.Reconnects > 0)
        {
            Add(grid, "reconnects", $"[yellow]{l.Reconnects}[/]");
        }

        return grid;
    }

    private static Grid SinkGrid(StatusReport report)
    {
        var grid = KeyValueGrid();
        if (report.Sidecar.Status is not { } status)
        {
            Add(grid, "sink", "[grey]unknown while the sidecar is down[/]");
            return grid;
        }

        var s = status.Sink;
        var l = status.Listener;
        Add(grid, "server", Markup.Escape(s.Server ?? s.Kind));
        if (s.Connection is { } connection)
        {
            Add(grid, "connection", connection == "connected"
                ? "[green]connected[/]"
                : $"[red]{Markup.Escape(connection)}[/]{(s.DisconnectedSince is { } since ? $" since {since:HH:mm:ss} ({DurationText.Format(report.CheckedAt - since)})" : string.Empty)}");
            if (connection != "connected" && s.ConnectionError is { } connectionError)
            {
                Add(grid, "why", $"[red]{Markup.Escape(connectionError)}[/]");
            }
        }

        Add(grid, "stream", Markup.Escape(s.Stream ?? "-"));
        Add(grid, "last seq", s.LastSequence.ToString("#,0", CultureInfo.InvariantCulture));
        Add(grid, "pending", s.PendingAcks is { } acks
            ? $"{acks} acks · {l.PendingChunks} chunks"
            : $"{l.PendingChunks} chunks · {l.PendingTransactions} tx");
        Add(grid, "errors", s.Errors == 0 ? "[green]0[/]" : $"[red]{s.Errors}[/]");
        if (s.LastError is { } error)
        {
            Add(grid, "last error", $"[red]{Markup.Escape(error)}[/]");
        }

        if (status.Outbox is { } outbox)
        {
            Add(grid, "outbox", $"{outbox.Relayed.ToString("#,0", CultureInfo.InvariantCulture)} relayed · "
                + (outbox.Refused == 0 ? "[green]0 refused[/]" : $"[red]{outbox.Refused.ToString("#,0", CultureInfo.InvariantCulture)} refused[/]"));
            if (outbox.LastRefusal is { } refusal)
            {
                Add(grid, "refused", $"[red]{Markup.Escape(refusal)}[/]");
            }
        }

        return grid;
    }

    private static Table TablesTable(StatusDocument status)
    {
        var table = new Table().Border(TableBorder.Simple).BorderColor(Color.Grey).Expand();
        table.AddColumn(new TableColumn("[bold]table[/]"));
        var present = Operations.Where(op => status.Tables.Any(t => t.Operation == op)).DefaultIfEmpty("insert").ToList();
        foreach (var op in present)
        {
            table.AddColumn(new TableColumn($"[bold]{op}[/]").RightAligned());
        }

        table.AddColumn(new TableColumn("[bold]bytes[/]").RightAligned());
        var byTable = status.Tables.GroupBy(t => t.Table).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        foreach (var group in byTable)
        {
            var cells = new List<string> { Markup.Escape(group.Key) };
            cells.AddRange(present.Select(op => group.Where(t => t.Operation == op).Sum(t => t.Changes)).Select(n => n == 0 ? "[grey]0[/]" : n.ToString("#,0", CultureInfo.InvariantCulture)));
            cells.Add(ByteText.Format(group.Sum(t => t.Bytes)));
            table.AddRow(cells.ToArray());
        }

        if (byTable.Count == 0)
        {
            table.AddRow(["[grey]no changes yet[/]", .. present.Select(_ => string.Empty), string.Empty]);
        }

        return table;
    }

    private static Markup VerdictLine(StatusReport report)
    {
        var (color, label) = report.Verdict switch
        {
            "healthy" => ("green", "HEALTHY"),
            "lagging" => ("yellow", "LAGGING"),
            "degraded" => ("red", "DEGRADED"),
            _ => ("red", "DOWN"),
        };
        var reasons = report.Reasons.Count == 0 ? "slot, listener and sink keep up" : string.Join("; ", report.Reasons);
        return new Markup($"[{color} bold]● {label}[/] [grey](exit {report.ExitCode})[/] {Markup.Escape(reasons)}");
    }

    private static string Bar(long value, long max)
    {
        const int Width = 10;
        var filled = max <= 0 ? 0 : (int)Math.Clamp(Math.Ceiling((double)value / max * Width), 0, Width);
        var color = filled >= 8 ? "red" : filled >= 5 ? "yellow" : "green";
        return $"[{color}]{new string('█', filled)}[/][grey]{new string('░', Width - filled)}[/]";
    }

    private static Grid KeyValueGrid()
    {
        var grid = new Grid();
        grid.AddColumn(new GridColumn().NoWrap().PadRight(2));
        grid.AddColumn();
        return grid;
    }

    private static void Add(Grid grid, string key, string valueMarkup) => grid.AddRow(new Markup($"[grey]{key}[/]"), new Markup(valueMarkup));

    private static Panel Box(string title, IRenderable content) => new Panel(content)
    {
        Header = new PanelHeader($" [bold]{title}[/] "),
        Border = BoxBorder.Rounded,
        BorderStyle = new Style(Color.Grey),
        Expand = true,
    };
}
