namespace Cdc.Benchmarks;
public sealed class BenchConfig : BenchmarkDotNet.Configs.ManualConfig
{
}
