extern alias consumer;
using Cdc.V1;
using consumer::Cdc.Consumer.Events;

namespace Cdc.Listener.Cli;

/// <summary>--table and --op of <c>cdc tail</c>, applied to decoded events (the consumer itself is unfiltered).</summary>
internal sealed class TailFilter(string? table, string? operation)
{
    private readonly string? _schema = table?.Contains('.', StringComparison.Ordinal) == true ? table[..table.IndexOf('.', StringComparison.Ordinal)] : null;
    private readonly string? _table = table?.Contains('.', StringComparison.Ordinal) == true ? table[(table.IndexOf('.', StringComparison.Ordinal) + 1)..] : table;

    public bool Matches(ChangeEvent change)
        => (_table is null || (change.Table == _table && (_schema is null || change.Schema == _schema)))
            && (operation is null || ChangeLine.OperationName(change.Operation) == operation);

    /// <summary>An outbox message: shown without --op, and with --table when it names the outbox table.</summary>
    public bool Matches(CdcOutboxMessage message)
    {
        if (operation is not null)
        {
            return false;
        }

        if (_table is null)
        {
            return true;
        }

        var dot = message.Table.IndexOf('.', StringComparison.Ordinal);
        return message.Table[(dot + 1)..] == _table && (_schema is null || message.Table[..Math.Max(dot, 0)] == _schema);
    }

    public string Describe()
        => (table is null ? string.Empty : $" · table {table}") + (operation is null ? string.Empty : $" · {operation} only");
}
