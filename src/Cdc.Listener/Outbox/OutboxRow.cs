namespace Cdc.Listener.Outbox;

/// <summary>
/// An outbox row whose messages are on their way: settled once every message is acknowledged or refused. The first
/// refusal is what the row records.
/// </summary>
internal sealed class OutboxRow(OutboxTable table, string key, int messages)
{
    private int _remaining = messages;
    private string? _error;

    public OutboxTable Table { get; } = table;

    public string Key { get; } = key;

    public string? Error => Volatile.Read(ref _error);

    /// <summary>Settles one message; true for the row's last one.</summary>
    public bool Settle(string? error)
    {
        if (error is not null)
        {
            Interlocked.CompareExchange(ref _error, error, null);
        }

        return Interlocked.Decrement(ref _remaining) == 0;
    }
}
