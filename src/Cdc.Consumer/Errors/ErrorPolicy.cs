namespace Cdc.Consumer.Errors;

/// <summary>What the consumer does once the handler has failed on an event <see cref="RetryOptions.MaxAttempts"/> times and the failure is recorded.</summary>
public enum ErrorPolicy
{
    /// <summary>Move the cursor past the event and go on with the next one.</summary>
    Skip,

    /// <summary>Stop with <see cref="CdcHandlerFailedException"/>, the cursor before the event.</summary>
    Stop,
}
