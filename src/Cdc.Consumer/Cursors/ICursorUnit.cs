using Cdc.Consumer.Events;
using Npgsql;

namespace Cdc.Consumer.Cursors;

/// <summary>
/// The unit of work one event is handled in. With <see cref="PostgresCursorStore"/> it holds an open transaction: the
/// handler's writes through <see cref="Connection"/> and the cursor commit together or not at all.
/// </summary>
public interface ICursorUnit : IAsyncDisposable
{
    /// <summary>The connection of the unit's transaction, or null when the store keeps the cursor elsewhere.</summary>
    NpgsqlConnection? Connection { get; }

    /// <summary>The open transaction the cursor is written in, or null.</summary>
    NpgsqlTransaction? Transaction { get; }

    /// <summary>Records <paramref name="handled"/> as the consumer's position and commits the unit's effects with it.</summary>
    ValueTask CommitAsync(CdcEvent handled, CancellationToken cancellationToken = default);
}
