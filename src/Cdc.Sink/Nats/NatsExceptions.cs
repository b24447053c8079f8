namespace Cdc.Sink.Nats;

/// <summary>Base of NATS client errors.</summary>
public class NatsException : SinkException
{
    public NatsException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The connection is down or was lost (the operation may succeed after a reconnect).</summary>
public sealed class NatsConnectionException : NatsException
{
    public NatsConnectionException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    public override bool IsTransient => true;
}

/// <summary>A request got no reply in time.</summary>
public sealed class NatsTimeoutException : NatsException
{
    public NatsTimeoutException(string message)
        : base(message)
    {
    }

    public override bool IsTransient => true;
}

/// <summary>A request found no subscriber (the server answered with status 503).</summary>
public sealed class NatsNoRespondersException : NatsException
{
    public NatsNoRespondersException(string subject)
        : base($"no responders for '{subject}'")
    {
        Subject = subject;
    }

    public string Subject { get; }
}

/// <summary>The server sent bytes that break the protocol (or exceed a limit).</summary>
public sealed class NatsProtocolException : NatsException
{
    public NatsProtocolException(string message)
        : base(message)
    {
    }

    public override bool IsTransient => true;
}

/// <summary>An <c>-ERR</c> from the server.</summary>
public sealed class NatsServerErrorException : NatsException
{
    public NatsServerErrorException(string error)
        : base($"nats-server error: {error}")
    {
        Error = error;
        ClosesConnection = ServerErrors.ClosesConnection(error);
        IsAuthorization = ServerErrors.IsAuthorization(error);
    }

    /// <summary>The error text without the quotes.</summary>
    public string Error { get; }

    /// <summary>The server closes the connection after this error.</summary>
    public bool ClosesConnection { get; }

    /// <summary>Bad or missing credentials (retrying with the same ones will not help).</summary>
    public bool IsAuthorization { get; }

    public override bool IsTransient => ClosesConnection && !IsAuthorization;
}
