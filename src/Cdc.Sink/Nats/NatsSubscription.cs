using System.Threading.Channels;

namespace Cdc.Sink.Nats;

/// <summary>
/// A subscription whose messages are buffered in a bounded channel. When the channel is full the
/// connection's reader waits (the server sees a slow consumer rather than the client dropping messages).
/// Re-subscribed automatically after a reconnect.
/// </summary>
public sealed class NatsSubscription : IAsyncDisposable
{
    private readonly NatsConnection _connection;
    private readonly Channel<NatsMsg> _messages;

    internal NatsSubscription(NatsConnection connection, long sid, string subject, string? queue, int capacity)
    {
        _connection = connection;
        Sid = sid;
        Subject = subject;
        Queue = queue;
        _messages = Channel.CreateBounded<NatsMsg>(new BoundedChannelOptions(capacity)
        {
            SingleReader = false,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public long Sid { get; }

    public string Subject { get; }

    public string? Queue { get; }

    public ChannelReader<NatsMsg> Messages => _messages.Reader;

    internal ChannelWriter<NatsMsg> Writer => _messages.Writer;

    /// <summary>The next message, or null when none arrives within <paramref name="timeout"/>.</summary>
    public async Task<NatsMsg?> NextAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await _messages.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public ValueTask UnsubscribeAsync(CancellationToken cancellationToken = default) =>
        _connection.UnsubscribeAsync(this, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await UnsubscribeAsync().ConfigureAwait(false);
        }
        catch (NatsException)
        {
            // The connection is gone: nothing to unsubscribe from.
        }
    }

    internal void Complete() => _messages.Writer.TryComplete();
}
