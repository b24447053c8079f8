using System.Buffers;
using System.Text.Json;

namespace Cdc.Sink.Nats;

/// <summary>The read side: parses server operations from the session's read pipe and dispatches them.</summary>
public sealed partial class NatsConnection
{
    private async Task ReadLoopAsync(NatsSession session, TaskCompletionSource handshake)
    {
        var parser = new ProtocolParser(session.Info.MaxPayload);
        var input = session.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(session.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var consumed = buffer.Start;
                var examined = buffer.End;
                NatsMsg? deferred = null;
                NatsSubscription? deferredTo = null;
                try
                {
                    var reader = new SequenceReader<byte>(buffer);
                    while (parser.TryRead(ref reader))
                    {
                        consumed = reader.Position;
                        if (parser.Op == ServerOp.Msg)
                        {
                            if (!Deliver(parser, out deferredTo, out deferred))
                            {
                                // The subscriber's buffer is full: wait for it outside the pipe read.
                                examined = consumed;
                                break;
                            }
                        }
                        else
                        {
                            HandleControl(session, parser, handshake);
                        }
                    }
                }
                finally
                {
                    input.AdvanceTo(consumed, examined);
                }

                if (deferred is not null && deferredTo is not null)
                {
                    try
                    {
                        await deferredTo.Writer.WriteAsync(deferred, session.Token).ConfigureAwait(false);
                    }
                    catch (System.Threading.Channels.ChannelClosedException)
                    {
                    }
                }

                if (result.IsCompleted)
                {
                    session.Fail(new NatsConnectionException($"{session.Server.Display} closed the connection"));
                    break;
                }
            }
        }
        catch (NatsException e)
        {
            session.Fail(e);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is InvalidOperationException or JsonException)
        {
            session.Fail(new NatsProtocolException($"reading from {session.Server.Display}: {e.Message}"));
        }
        finally
        {
            handshake.TrySetException(session.Ended.IsCompleted ? session.Ended.Result : new NatsConnectionException("connection closed during handshake"));
            handshake.Task.Exception?.Handle(_ => true);
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Delivers a MSG/HMSG; false when it must be awaited (subscriber full), with the copy to await.</summary>
    private bool Deliver(ProtocolParser frame, out NatsSubscription? subscription, out NatsMsg? message)
    {
        subscription = null;
        message = null;
        if (frame.Sid == MuxSid)
        {
            _mux.TryDispatch(frame);
            return true;
        }

        lock (_subscriptions)
        {
            if (!_subscriptions.TryGetValue(frame.Sid, out subscription))
            {
                // Unsubscribed while messages were in flight.
                return true;
            }
        }

        message = NatsMsg.From(frame);
        if (subscription.Writer.TryWrite(message))
        {
            message = null;
            subscription = null;
            return true;
        }

        return false;
    }

    private void HandleControl(NatsSession session, ProtocolParser frame, TaskCompletionSource handshake)
    {
        switch (frame.Op)
        {
            case ServerOp.Ping:
                _ = SendPongAsync(session);
                break;
            case ServerOp.Pong:
                session.OnPong();
                break;
            case ServerOp.Ok:
                break;
            case ServerOp.Info:
                var info = JsonSerializer.Deserialize(frame.Argument, NatsJsonContext.Default.ServerInfo)
                    ?? throw new NatsProtocolException("empty INFO");
                session.Info = info;
                frame.MaxPayload = info.MaxPayload;
                AddDiscovered(info);
                if (info.LameDuckMode)
                {
                    SinkLog.LameDuck(_logger, session.Server.Display);
                }

                break;
            case ServerOp.Err:
                var error = new NatsServerErrorException(frame.ErrorText());
                SinkLog.ServerError(_logger, session.Server.Display, error.Error, error.ClosesConnection);
                if (!handshake.Task.IsCompleted)
                {
                    handshake.TrySetException(error);
                    session.Fail(error);
                }
                else if (error.ClosesConnection)
                {
                    session.Fail(error);
                }

                break;
            default:
                break;
        }
    }

    private async Task SendPongAsync(NatsSession session)
    {
        try
        {
            await _writeLock.WaitAsync(session.Token).ConfigureAwait(false);
            try
            {
                ProtocolWriter.WritePong(session.Output);
                await session.FlushAsync(session.Token).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException or ObjectDisposedException)
        {
            // The session is ending; the reconnect takes over.
        }
    }

    private async Task WritePingAsync(NatsSession session, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            session.ExpectPong(null);
            ProtocolWriter.WritePing(session.Output);
            await session.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
