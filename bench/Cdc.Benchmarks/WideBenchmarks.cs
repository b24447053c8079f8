using BenchmarkDotNet.Attributes;
using Cdc.Benchmarks.Capture;

namespace Cdc.Benchmarks;

/// <summary>2,000 rows of 50 columns of mixed types (~1,000 bytes of pgoutput per row), 5 per transaction.</summary>
public class WideBenchmarks : ScenarioBenchmarks
{
    private const int Rows = Scenario.WideSessionRows;

    protected override Scenario Scenario => Scenario.Wide;

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows, Description = "Npgsql PgOutput, socket")]
    public Task Npgsql() => NpgsqlViaSocketAsync();

    [Benchmark(OperationsPerInvoke = Rows, Description = "Ours, socket (listener path)")]
    public Task OursSocket() => OursViaListenerPathAsync();

    [Benchmark(OperationsPerInvoke = Rows, Description = "Transport only, Npgsql raw XLogData")]
    public Task NpgsqlTransport() => NpgsqlTransportOnlyAsync();

    [Benchmark(OperationsPerInvoke = Rows, Description = "Ours, in memory")]
    public void OursMemory() => OursInMemory();

    [Benchmark(OperationsPerInvoke = Rows, Description = "Ours + protobuf, in memory")]
    public void OursProtobuf() => OursWithProtobufInMemory();
}
