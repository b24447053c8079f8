namespace Cdc.Listener.Delivery;

/// <summary>What one ack did to its chunk.</summary>
internal enum ChunkAckOutcome
{
    /// <summary>Other messages of the chunk are still outstanding.</summary>
    Partial,

    /// <summary>This ack was the chunk's last outstanding one.</summary>
    Completed,

    /// <summary>The message (or the whole chunk) was already acknowledged.</summary>
    Duplicate,
}
