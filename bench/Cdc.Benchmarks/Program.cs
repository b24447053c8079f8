using BenchmarkDotNet.Running;
using Cdc.Benchmarks;
using Cdc.Benchmarks.Capture;

if (args.Contains("--capture"))
{
    await Capturer.CaptureAllAsync(Console.Out).ConfigureAwait(false);
    return 0;
}

await Capturer.EnsureCapturedAsync(Console.Out).ConfigureAwait(false);
if (args.Contains("--profile"))
{
    return await ProfileLoop.RunAsync(args, Console.Out).ConfigureAwait(false);
}

if (args.Contains("--check"))
{
    return await SelfCheck.RunAsync(Console.Out).ConfigureAwait(false);
}

BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run(args, new BenchConfig());
return 0;
