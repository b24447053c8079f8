namespace Cdc.Listener.Configuration;

/// <summary>What a configuration key holds, and so which syntax its value is read in.</summary>
public enum SettingKind
{
    /// <summary>Free text (names, URLs, connection strings).</summary>
    Text,

    /// <summary>true/false, yes/no, on/off, 1/0.</summary>
    Boolean,

    /// <summary>A whole number.</summary>
    Integer,

    /// <summary>A byte count: plain bytes or with a unit (64MiB, 1 GiB). Properties named <c>...Bytes</c>.</summary>
    Size,

    /// <summary>250ms, 5s, 2m, or hh:mm:ss.</summary>
    Duration,

    /// <summary>One of the names of an enum.</summary>
    Choice,

    /// <summary>A list or map: any key below it (<c>Cdc:Tables:0</c>) belongs to it.</summary>
    Collection,
}
