using Cdc.Listener.Cli;
using Cdc.Listener.Hosting;
using Cdc.Listener.Http;

namespace Cdc.Listener.Tests.Cli;

/// <summary>The verdict of <c>cdc status</c>: never healthy while the sink cannot deliver or health cannot be judged.</summary>
public sealed class StatusVerdictTests
{
    private static readonly StatusThresholds Thresholds = new(TimeSpan.FromSeconds(30), 1L << 30);

    private static SidecarReport Sidecar(string? connection, string? error = null) => new()
    {
        Url = "http://127.0.0.1:8089/status",
        Running = true,
        Status = new StatusDocument
        {
            Slot = "cdc",
            Publication = "cdc",
            Database = "shop",
            Listener = new ListenerSection
            {
                State = "streaming",
                StartedAt = DateTimeOffset.UnixEpoch,
                UptimeSeconds = 1,
                ChangesPerSecond = 0,
                Changes = 0,
                Bytes = 0,
                Transactions = 0,
                InFlightBytes = 0,
                MaxInFlightBytes = 1,
                PendingChunks = 0,
                PendingTransactions = 0,
                ConfirmedFlushLsn = "0/0",
                LastReceivedLsn = "0/0",
                ProtocolVersion = 4,
                Reconnects = 0,
                SkippedTransactions = 0,
            },
            Sink = new SinkSection
            {
                Kind = "nats",
                Server = "nats://127.0.0.1:4222",
                Connection = connection,
                ConnectionError = error,
                DisconnectedSince = connection == "disconnected" ? new DateTimeOffset(2026, 12, 7, 2, 0, 0, TimeSpan.Zero) : null,
                LastSequence = 0,
                Errors = 0,
                DuplicateAcks = 0,
            },
            Tables = [],
        },
    };

    [Fact]
    public void A_streaming_sidecar_with_a_connected_sink_is_healthy()
        => Assert.Equal(("healthy", 0), Verdict(StatusVerdict.Decide(Sidecar("connected"), null, Thresholds)));

    [Fact]
    public void A_sidecar_that_does_not_report_its_connection_is_judged_as_before()
        => Assert.Equal(("healthy", 0), Verdict(StatusVerdict.Decide(Sidecar(null), null, Thresholds)));

    [Fact]
    public void A_disconnected_sink_is_degraded_with_since_when_and_why()
    {
        var (verdict, exitCode, reasons) = StatusVerdict.Decide(Sidecar("disconnected", "connection refused"), null, Thresholds);

        Assert.Equal(("degraded", ExitCodes.Degraded), (verdict, exitCode));
        Assert.Equal("the sink is not connected to nats://127.0.0.1:4222 since 2026-12-07 02:00:00 UTC: connection refused", Assert.Single(reasons));
    }

    [Fact]
    public void Postgres_unreadable_with_the_given_connection_is_degraded_not_healthy()
    {
        var (verdict, exitCode, reasons) = StatusVerdict.Decide(Sidecar("connected"), null, Thresholds, "28P01: password authentication failed for user \"cdc\"");

        Assert.Equal(("degraded", ExitCodes.Degraded), (verdict, exitCode));
        Assert.StartsWith("PostgreSQL cannot be read with --connection: 28P01", Assert.Single(reasons), StringComparison.Ordinal);
    }

    private static (string, int) Verdict((string Verdict, int ExitCode, IReadOnlyList<string> Reasons) result) => (result.Verdict, result.ExitCode);
}
