namespace Cdc.Sink.Nats;

/// <summary>Operations the server sends.</summary>
internal enum ServerOp : byte
{
    Info,
    Msg,
    Ping,
    Pong,
    Ok,
    Err,
}
