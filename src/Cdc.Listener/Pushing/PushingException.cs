namespace Cdc.Listener.Pushing;

/// <summary>
/// The root of errors raised by the delivery state (pusher, LSN tracker). Every one of them is a bug in the
/// caller or the sink, never a transient condition: the pipeline must stop rather than guess.
/// </summary>
public class PushingException : Exception
{
    public PushingException(string message)
        : base(message)
    {
    }

    public PushingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PushingException()
    {
    }
}
