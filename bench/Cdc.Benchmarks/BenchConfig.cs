using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using Perfolizer.Horology;

namespace Cdc.Benchmarks;

/// <summary>
/// A short job (1 launch, 3 warmup and 10 measured iterations of ~0.5 s) so the whole run stays within minutes on 2 cores;
/// allocations per row from the MemoryDiagnoser; ratios against the Npgsql baseline shown as "Nx faster".
/// </summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        Add(DefaultConfig.Instance);
        // The minimum iteration time keeps the pilot from settling on one fast invocation per iteration.
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10)
            .WithMinIterationTime(TimeInterval.FromMilliseconds(250)).WithId("Decoder"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(new RowsPerSecondColumn());
        WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared));
        WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend));
    }
}
