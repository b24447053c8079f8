using Cdc.Listener.Http;
using Cdc.Listener.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Cdc.Listener.Tests.Http;

/// <summary>The status sampler's change rate on a fake clock.</summary>
public sealed class StatusSamplerTests
{
    [Fact]
    public async Task Changes_per_second_are_measured_on_the_listener_clock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 5, 0, 0, TimeSpan.Zero));
        var changes = new ChangeCounters(time);

        // A connection string Npgsql refuses: the sampler then reads no slot and only samples the change count.
        var sampler = new StatusSampler(changes, new SourceProgress(), time, "Not A Key=1", passwordFile: null, "cdc", NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = sampler.RunAsync(stop.Token);

        var counter = changes.CounterFor("public.items", "insert");
        for (var i = 0; i < 50; i++)
        {
            changes.CountChange(counter, 10);
        }

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(10, sampler.Rate.PerSecond(changes.Changes, time.GetUtcNow().UtcTicks), precision: 6);

        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
