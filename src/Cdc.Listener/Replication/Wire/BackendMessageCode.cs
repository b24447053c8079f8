namespace Cdc.Listener.Replication.Wire;

/// <summary>
/// The backend (server to client) message types the replication connection reads
/// (https://www.postgresql.org/docs/current/protocol-message-formats.html).
/// </summary>
internal enum BackendMessageCode : byte
{
    Authentication = (byte)'R',
    BackendKeyData = (byte)'K',
    CommandComplete = (byte)'C',
    CopyBothResponse = (byte)'W',
    CopyData = (byte)'d',
    CopyDone = (byte)'c',
    CopyOutResponse = (byte)'H',
    DataRow = (byte)'D',
    EmptyQueryResponse = (byte)'I',
    ErrorResponse = (byte)'E',
    NegotiateProtocolVersion = (byte)'v',
    NoticeResponse = (byte)'N',
    ParameterStatus = (byte)'S',
    ReadyForQuery = (byte)'Z',
    RowDescription = (byte)'T',
}

/// <summary>What a CopyData message of the streaming replication protocol carries (first byte of its body).</summary>
internal enum ReplicationMessageCode : byte
{
    /// <summary>XLogData: walStart, walEnd, server clock, then the output plugin's message.</summary>
    XLogData = (byte)'w',

    /// <summary>Primary keepalive: walEnd, server clock, reply requested.</summary>
    PrimaryKeepalive = (byte)'k',
}

/// <summary>The Authentication ('R') request codes.</summary>
internal enum AuthenticationCode
{
    Ok = 0,
    KerberosV5 = 2,
    CleartextPassword = 3,
    Md5Password = 5,
    Gss = 7,
    GssContinue = 8,
    Sspi = 9,
    Sasl = 10,
    SaslContinue = 11,
    SaslFinal = 12,
}
