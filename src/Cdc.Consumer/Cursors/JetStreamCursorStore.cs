using Cdc.Consumer.Events;
using NATS.Client.JetStream;
using Npgsql;

namespace Cdc.Consumer.Cursors;

/// <summary>
/// The cursor is a JetStream durable consumer named after the consumer: each handled event is acknowledged (double ack,
/// so the server has it before the next event), and a restart resumes after the last acknowledged one. Events are
/// handled strictly in order (one unacknowledged message at a time); after a crash the event that was in hand comes again
/// once <see cref="AckWait"/> has passed, so the handler must be idempotent for that one event.
/// </summary>
public sealed class JetStreamCursorStore : ICursorStore
{
    /// <summary>How long the server waits for an ack before delivering the event again (default 30 s).</summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Not used: JetStream positions the durable consumer itself.</summary>
    public ValueTask<ulong> LoadAsync(string consumer, CancellationToken cancellationToken = default) => ValueTask.FromResult(0UL);

    public ValueTask<ICursorUnit> BeginAsync(string consumer, CancellationToken cancellationToken = default)
        => ValueTask.FromResult<ICursorUnit>(AckUnit.Instance);

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    private sealed class AckUnit : ICursorUnit
    {
        public static readonly AckUnit Instance = new();

        public NpgsqlConnection? Connection => null;

        public NpgsqlTransaction? Transaction => null;

        public async ValueTask CommitAsync(CdcEvent handled, CancellationToken cancellationToken = default)
        {
            var message = handled.JetStreamMessage
                ?? throw new CdcConsumerException($"event {handled.StreamSequence} was not read from a JetStream consumer: nothing to acknowledge");
            await message.AckAsync(new AckOpts { DoubleAck = true }, cancellationToken).ConfigureAwait(false);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
