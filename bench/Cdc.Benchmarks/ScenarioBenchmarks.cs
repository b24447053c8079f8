using BenchmarkDotNet.Attributes;
using Cdc.Benchmarks.Baseline;
using Cdc.Benchmarks.Capture;
using Cdc.Benchmarks.FakeServer;
using Cdc.Benchmarks.Replay;

namespace Cdc.Benchmarks;

/// <summary>
/// The ways one captured scenario is decoded, plus the transport floor (the socket path without decoding). Subclasses declare the benchmarks so each can state its
/// OperationsPerInvoke (= rows of one session, a constant the capture is checked against).
/// </summary>
public abstract class ScenarioBenchmarks
{
    private readonly ColumnReadingHandler _reader = new();
    private readonly EncodingHandler _encoder = new();
    private IReadOnlyList<CapturedMessage> _messages = [];
    private FakeReplicationServer? _server;

    protected abstract Scenario Scenario { get; }

    private FakeReplicationServer Server => _server ?? throw new InvalidOperationException("GlobalSetup did not run");

    [GlobalSetup]
    public void Setup()
    {
        _messages = CaptureFile.Read(Scenario.FilePath);
        var rows = _messages.Count(m => m.Type == (byte)'I');
        if (rows != Scenario.Rows)
        {
            throw new InvalidOperationException($"{Scenario.FilePath} holds {rows} rows, the benchmark declares {Scenario.Rows}: recapture with --capture");
        }

        _server = new FakeReplicationServer(_messages, Scenario.Passes);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_server is { } server)
        {
            var failures = server.Failures;
            await server.DisposeAsync().ConfigureAwait(false);
            if (failures != 0)
            {
                throw new InvalidOperationException($"the fake server failed {failures} streams");
            }
        }
    }

    protected async Task NpgsqlViaSocketAsync()
    {
        var tally = await NpgsqlPgOutputReplay.RunAsync(Server.ConnectionString, Scenario.SessionTransactions).ConfigureAwait(false);
        Check(tally.Rows);
    }

    protected async Task OursViaListenerPathAsync()
    {
        _reader.Reset();
        await ListenerPathReplay.RunAsync(Server.ConnectionString, Scenario.SessionTransactions, _reader).ConfigureAwait(false);
        Check(_reader.Tally.Rows);
    }

    protected async Task NpgsqlTransportOnlyAsync()
    {
        var bytes = await NpgsqlTransportReplay.RunTransportOnlyAsync(Server.ConnectionString, Scenario.SessionTransactions).ConfigureAwait(false);
        if (bytes == 0)
        {
            throw new InvalidOperationException("no bytes streamed");
        }
    }

    protected void OursInMemory()
    {
        _reader.Reset();
        InMemoryReplay.Run(_messages, _reader, Scenario.Passes);
        Check(_reader.Tally.Rows);
    }

    protected void OursWithProtobufInMemory()
    {
        _encoder.Reset();
        InMemoryReplay.Run(_messages, _encoder, Scenario.Passes);
        Check(_encoder.Tally.Rows);
    }

    private void Check(long rows)
    {
        if (rows != Scenario.SessionRows)
        {
            throw new InvalidOperationException($"{Scenario}: decoded {rows} rows, expected {Scenario.SessionRows}");
        }
    }
}
