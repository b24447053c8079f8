using System.Collections.Concurrent;

namespace Cdc.Sink.Tests.Support;

/// <summary>Records every outcome; fails a test when a message is reported twice.</summary>
internal sealed class RecordingAckHandler : IAckHandler
{
    private readonly ConcurrentDictionary<string, int> _reports = new();
    private readonly ConcurrentQueue<(OutboundMessage Message, ulong Sequence)> _acked = new();
    private readonly ConcurrentQueue<(OutboundMessage Message, Exception Error)> _failed = new();

    public IReadOnlyCollection<(OutboundMessage Message, ulong Sequence)> Acked => _acked;

    public IReadOnlyCollection<(OutboundMessage Message, Exception Error)> Failed => _failed;

    public int Reported => _acked.Count + _failed.Count;

    private int _doubleReports;

    public int DoubleReports => Volatile.Read(ref _doubleReports);

    public void OnAcked(OutboundMessage message, ulong streamSequence)
    {
        Count(message);
        _acked.Enqueue((message, streamSequence));
    }

    public void OnFailed(OutboundMessage message, Exception error)
    {
        Count(message);
        _failed.Enqueue((message, error));
    }

    /// <summary>Waits (at most a minute) until this many messages have been reported.</summary>
    public Task WaitReportedAsync(int count) =>
        Cdc.Testing.Eventually.UntilAsync(() => Reported >= count, TimeSpan.FromSeconds(60), $"{count} messages reported");

    private void Count(OutboundMessage message)
    {
        if (_reports.AddOrUpdate(message.MessageId, 1, (_, n) => n + 1) > 1)
        {
            Interlocked.Increment(ref _doubleReports);
        }
    }
}
