namespace Cdc.Decoding.Protocol;

/// <summary>
/// The first byte of every pgoutput message.
/// See https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
/// </summary>
internal enum PgOutputMessageType : byte
{
    Begin = (byte)'B',
    Commit = (byte)'C',
    Origin = (byte)'O',
    Relation = (byte)'R',
    Type = (byte)'Y',
    Insert = (byte)'I',
    Update = (byte)'U',
    Delete = (byte)'D',
    Truncate = (byte)'T',

    /// <summary>Logical decoding message, PostgreSQL 14+ with <c>messages</c> on.</summary>
    Message = (byte)'M',

    /// <summary>Protocol 2+ (PostgreSQL 14+), <c>streaming</c> on.</summary>
    StreamStart = (byte)'S',

    /// <summary>Protocol 2+.</summary>
    StreamStop = (byte)'E',

    /// <summary>Protocol 2+.</summary>
    StreamCommit = (byte)'c',

    /// <summary>Protocol 2+; protocol 4 (PostgreSQL 16+) with <c>streaming = parallel</c> adds the abort LSN and time.</summary>
    StreamAbort = (byte)'A',

    /// <summary>Protocol 3+ (PostgreSQL 15+), <c>two_phase</c> on.</summary>
    BeginPrepare = (byte)'b',

    /// <summary>Protocol 3+.</summary>
    Prepare = (byte)'P',

    /// <summary>Protocol 3+.</summary>
    CommitPrepared = (byte)'K',

    /// <summary>Protocol 3+.</summary>
    RollbackPrepared = (byte)'r',

    /// <summary>Protocol 3+, streaming and two-phase.</summary>
    StreamPrepare = (byte)'p',
}
