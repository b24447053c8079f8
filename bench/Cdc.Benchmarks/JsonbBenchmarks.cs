using BenchmarkDotNet.Attributes;
using Cdc.Benchmarks.Capture;

namespace Cdc.Benchmarks;

/// <summary>4 rows each carrying a ~1 MB jsonb document, one per transaction.</summary>
public class JsonbBenchmarks : ScenarioBenchmarks
{
    private const int Rows = Scenario.JsonbSessionRows;

    protected override Scenario Scenario => Scenario.Jsonb;

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
