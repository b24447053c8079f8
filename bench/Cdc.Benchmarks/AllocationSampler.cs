using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Cdc.Benchmarks;

/// <summary>
/// <c>--profile ... --allocations</c>: samples the runtime's allocation ticks (one event per ~100 KB allocated, naming
/// the type that crossed the mark) and prints the types that allocate most, to find what a path allocates per row.
/// </summary>
public sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytesByType = new(StringComparer.Ordinal);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is not { } names)
        {
            return;
        }

        var type = eventData.Payload![names.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(eventData.Payload[names.IndexOf("AllocationAmount64")], System.Globalization.CultureInfo.InvariantCulture);
        _bytesByType.AddOrUpdate(type, amount, (_, total) => total + amount);
    }

    public void Report(TextWriter log, long rows)
    {
        foreach (var (type, bytes) in _bytesByType.OrderByDescending(p => p.Value).Take(12))
        {
            log.WriteLine($"  {bytes / (double)rows,8:F2} B/row  {type}");
        }
    }
}
