namespace Cdc.Listener.Delivery;

/// <summary>
/// The root of errors raised by the delivery state (ledger, LSN tracker). Every one of them is a bug in the
/// caller or the sink, never a transient condition: the pipeline must stop rather than guess.
/// </summary>
public class DeliveryException : CdcException
{
    public DeliveryException(string message)
        : base(message, isTransient: false)
    {
    }

    public DeliveryException(string message, Exception innerException)
        : base(message, isTransient: false, innerException)
    {
    }

    public DeliveryException()
        : base("The delivery ledger was used out of order", isTransient: false)
    {
    }
}
