namespace Cdc.Decoding;

/// <summary>Options of a TRUNCATE, as sent in a Truncate message.</summary>
[Flags]
public enum TruncateOptions : byte
{
    None = 0,
    Cascade = 1,
    RestartIdentity = 2,
}
