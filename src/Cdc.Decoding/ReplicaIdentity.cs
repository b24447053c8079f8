namespace Cdc.Decoding;

/// <summary>A table's REPLICA IDENTITY setting (relreplident), as sent in a Relation message.</summary>
public enum ReplicaIdentity : byte
{
    /// <summary>The primary key.</summary>
    Default = (byte)'d',

    /// <summary>No old values at all.</summary>
    Nothing = (byte)'n',

    /// <summary>Every column of the old row (the <c>O</c> tuple).</summary>
    Full = (byte)'f',

    /// <summary>The columns of a chosen unique index.</summary>
    Index = (byte)'i',
}
