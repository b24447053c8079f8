using Cdc.V1;

namespace Cdc.Listener.Cli;

/// <summary>--table and --op of <c>cdc tail</c>, applied to decoded events (the consumer itself is unfiltered).</summary>
internal sealed class TailFilter(string? table, string? operation)
{
    private readonly string? _schema = table?.Contains('.', StringComparison.Ordinal) == true ? table[..table.IndexOf('.', StringComparison.Ordinal)] : null;
    private readonly string? _table = table?.Contains('.', StringComparison.Ordinal) == true ? table[(table.IndexOf('.', StringComparison.Ordinal) + 1)..] : table;

    public bool Matches(ChangeEvent change)
        => (_table is null || (change.Table == _table && (_schema is null || change.Schema == _schema)))
            && (operation is null || ChangeLine.OperationName(change.Operation) == operation);

    public string Describe()
        => (table is null ? string.Empty : $" · table {table}") + (operation is null ? string.Empty : $" · {operation} only");
}
