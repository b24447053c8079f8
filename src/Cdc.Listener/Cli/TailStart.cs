namespace Cdc.Listener.Cli;

/// <summary>Where <c>cdc tail</c> starts reading the stream.</summary>
internal abstract record TailStart
{
    /// <summary>Only messages stored from now on (the default).</summary>
    public sealed record New : TailStart;

    /// <summary>Everything the stream still holds.</summary>
    public sealed record FromStart : TailStart;

    public sealed record FromSequence(ulong Sequence) : TailStart;

    public sealed record Since(DateTimeOffset Time) : TailStart;
}
