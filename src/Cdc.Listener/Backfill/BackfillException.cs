namespace Cdc.Listener.Backfill;

/// <summary>A backfill that cannot go on as requested (table not published, key gone); the stream is not affected.</summary>
public sealed class BackfillException(string message) : CdcException(message, isTransient: false);
