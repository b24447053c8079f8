namespace Cdc.Sink.JetStream;

/// <summary>The error object of a JetStream API response or a PubAck.</summary>
public sealed record ApiError
{
    /// <summary>HTTP-like status (400, 404, 500, 503).</summary>
    public int Code { get; init; }

    /// <summary>JetStream's own code (10058 stream name in use with a different config, 10059 stream not found, 10070 wrong last msg id ...).</summary>
    public int ErrCode { get; init; }

    public string? Description { get; init; }
}
