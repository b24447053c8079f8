using BenchmarkDotNet.Attributes;
using Cdc.Benchmarks.Capture;

namespace Cdc.Benchmarks;

/// <summary>10,000 transactions of 5 inserts into a 6-column table (~155 bytes of pgoutput per row).</summary>
public class FiveRowBenchmarks : ScenarioBenchmarks
{
    private const int Rows = Scenario.FiveRowSessionRows;

    protected override Scenario Scenario => Scenario.FiveRow;

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
