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

    [Benchmark(OperationsPerInvoke = Rows, Description = "Ours, socket")]
    public Task OursSocket() => OursViaSocketAsync();

    [Benchmark(OperationsPerInvoke = Rows, Description = "Ours, own socket reader (prototype)")]
    public Task OursOwnReader() => OursOwnReaderAsync();

    [Benchmark(OperationsPerInvoke = Rows, Description = "Transport only (raw XLogData copy)")]
    public Task Transport() => TransportOnlyAsync();

    [Benchmark(OperationsPerInvoke = Rows, Description = "Ours, in memory")]
    public void OursMemory() => OursInMemory();

    [Benchmark(OperationsPerInvoke = Rows, Description = "Ours + protobuf, in memory")]
    public void OursProtobuf() => OursWithProtobufInMemory();
}
