namespace Cdc.Consumer.Cursors;

/// <summary>
/// Where a consumer's position (the stream sequence of the last handled event) is kept. Implementations:
/// <see cref="JetStreamCursorStore"/> (a durable consumer, acks are the cursor), <see cref="PostgresCursorStore"/> (a table in
/// the consumer's own database, written in the handler's transaction) and <see cref="PeriodicCursorStore"/> (asynchronous
/// writes every period, for idempotent handlers).
/// </summary>
public interface ICursorStore
{
    /// <summary>The stream sequence of the consumer's last handled event, 0 when it has none yet.</summary>
    ValueTask<ulong> LoadAsync(string consumer, CancellationToken cancellationToken = default);

    /// <summary>Opens the unit of work one event is handled in; disposing it without <see cref="ICursorUnit.CommitAsync"/> undoes it.</summary>
    ValueTask<ICursorUnit> BeginAsync(string consumer, CancellationToken cancellationToken = default);

    /// <summary>Writes any cursor position held back (asynchronous stores); a no-op for the others.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);
}
