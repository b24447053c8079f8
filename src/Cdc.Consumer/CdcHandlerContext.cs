using Npgsql;

namespace Cdc.Consumer;

/// <summary>What a handler gets besides the event.</summary>
/// <param name="ConsumerName">The consumer's name.</param>
/// <param name="Attempt">1 on the first try, then counting retries.</param>
/// <param name="Connection">With <see cref="Cursors.PostgresCursorStore"/>: the connection whose transaction also writes the cursor. Write your effects here.</param>
/// <param name="Transaction">With <see cref="Cursors.PostgresCursorStore"/>: the open transaction, committed with the cursor after the handler returns.</param>
public sealed record CdcHandlerContext(string ConsumerName, int Attempt, NpgsqlConnection? Connection, NpgsqlTransaction? Transaction);

/// <summary>Handles one event; throwing makes it a failure (retried, then recorded and skipped or stopped on).</summary>
public delegate ValueTask CdcHandler(Events.CdcEvent evt, CdcHandlerContext context, CancellationToken cancellationToken);
