namespace Cdc.Decoding;

/// <summary>How one column value came in a pgoutput TupleData (the kind byte on the wire).</summary>
public enum TupleValueKind : byte
{
    /// <summary>SQL NULL.</summary>
    Null = (byte)'n',

    /// <summary>An unchanged TOASTed value: not sent, never to be reported as null.</summary>
    UnchangedToast = (byte)'u',

    /// <summary>Text output format.</summary>
    Text = (byte)'t',

    /// <summary>Binary send format (the <c>binary</c> option, PostgreSQL 14+).</summary>
    Binary = (byte)'b',
}
