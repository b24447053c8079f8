namespace Cdc.Sink.Nats;

/// <summary>
/// Receives the reply to one request sent through the connection's muxed inbox. Called on the read loop:
/// must not block; the frame is valid only during the call.
/// </summary>
internal interface IReplyHandler
{
    void OnReply(ProtocolParser frame);

    /// <summary>The connection was lost before the reply came (the reply will not come).</summary>
    void OnConnectionLost(Exception error);
}
