namespace Cdc.Sink;

/// <summary>What to do with a message larger than the server's max_payload. Never a silent drop.</summary>
public enum OversizePolicy
{
    /// <summary>Report it to <see cref="IAckHandler.OnFailed"/> with a <see cref="MessageTooLargeException"/> (the pipeline stops).</summary>
    Fail,

    /// <summary>
    /// Publish, under the same subject and message id, the headers and an empty payload plus
    /// <c>Cdc-Payload-Omitted: max_payload</c>, <c>Cdc-Payload-Size</c> and <c>Cdc-Max-Payload</c>,
    /// so a consumer knows the change happened and can fetch the row itself.
    /// </summary>
    PublishReference,
}
