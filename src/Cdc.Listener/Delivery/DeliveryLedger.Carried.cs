using Cdc.Sink;

namespace Cdc.Listener.Delivery;

/// <summary>Superseded messages whose content lives on in a later message: settled only with it.</summary>
public sealed partial class DeliveryLedger
{
    private readonly Lock _carriedGate = new();
    private readonly Dictionary<OutboundMessage, List<OutboundMessage>> _carried = new(ReferenceEqualityComparer.Instance);
    private int _carriedCount;

    /// <summary>
    /// Accounts a message the dedupe buffer dropped in favour of <paramref name="carrier"/>, a later change of the
    /// same row that now carries some of its values (TOASTed columns the later change left unchanged). Unlike
    /// <see cref="MarkSuperseded(OutboundMessage)"/> it counts as delivered only once the carrier is acknowledged or
    /// superseded itself: until then the slot must not be confirmed past it, or a restart would replay the carrier
    /// without those values.
    /// </summary>
    /// <remarks>Call before the carrier can be sent. Never completes a transaction by itself.</remarks>
    public void MarkSuperseded(OutboundMessage message, OutboundMessage carrier)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(carrier);
        lock (_carriedGate)
        {
            if (!_carried.TryGetValue(carrier, out var list))
            {
                list = [];
                _carried.Add(carrier, list);
            }

            list.Add(message);
            Volatile.Write(ref _carriedCount, _carried.Count);
        }
    }

    /// <summary>Settles, as superseded, what <paramref name="message"/> carried (and what those carried in turn).</summary>
    /// <returns>Whether that completed a transaction.</returns>
    private bool SettleCarried(OutboundMessage message)
    {
        if (Volatile.Read(ref _carriedCount) == 0)
        {
            return false;
        }

        List<OutboundMessage>? carried;
        lock (_carriedGate)
        {
            _carried.Remove(message, out carried);
            Volatile.Write(ref _carriedCount, _carried.Count);
        }

        var completed = false;
        foreach (var older in carried ?? [])
        {
            completed |= Settle(older, superseded: true);
        }

        return completed;
    }
}
