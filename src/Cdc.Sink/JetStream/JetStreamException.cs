namespace Cdc.Sink.JetStream;

/// <summary>A JetStream API or publish error, with the server's codes.</summary>
public class JetStreamException : SinkException
{
    public JetStreamException(int code, int errCode, string? description, string? context = null)
        : base($"JetStream error {code}/{errCode}{(context is null ? string.Empty : " (" + context + ")")}: {description}")
    {
        Code = code;
        ErrCode = errCode;
        Description = description;
    }

    /// <summary>The error of an API response or a PubAck.</summary>
    public JetStreamException(ApiError error, string? context)
        : this(error.Code, error.ErrCode, error.Description, context)
    {
    }

    /// <summary>HTTP-like status (400, 404, 500, 503).</summary>
    public int Code { get; }

    /// <summary>JetStream's code (10058, 10059, 10060 ...).</summary>
    public int ErrCode { get; }

    public string? Description { get; }

    /// <summary>Server-side unavailability (no leader yet, 503 from the API) may pass.</summary>
    public override bool IsTransient => Code == 503 || ErrCode == 10008;

    /// <summary>10070: <c>Nats-Expected-Last-Msg-Id</c> did not match (an earlier message of the chain is missing).</summary>
    public bool IsWrongLastMessageId => ErrCode == 10070;

    /// <summary>10059: stream not found.</summary>
    public bool IsStreamNotFound => ErrCode == 10059;
}

/// <summary>A publish to a subject no stream listens on (the server answered 503 no responders).</summary>
public sealed class JetStreamNoStreamException : JetStreamException
{
    public JetStreamNoStreamException(string subject)
        : base(503, 0, $"no stream is bound to subject '{subject}' (no responders): the stream was deleted, or nats-server did not load it when it "
            + "started (its log then says why, e.g. 'Error recreating stream ... insufficient storage resources' when the disk of its store directory is full)")
    {
        Subject = subject;
    }

    public string Subject { get; }

    /// <summary>Usually a configuration error; during a cluster leader change it passes (the writer retries for a while).</summary>
    public override bool IsTransient => false;
}
