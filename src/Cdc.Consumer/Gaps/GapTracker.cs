namespace Cdc.Consumer.Gaps;

/// <summary>
/// Follows the stream sequences a consumer reads and finds the ones it never got. Unfiltered, every sequence of the
/// stream comes to the consumer, so any jump is a gap. Filtered, jumps are normal (other subjects), so a jump is a gap
/// only as far as the stream's first sequence has moved past what was expected (purged, expired, limited away).
/// </summary>
internal sealed class GapTracker(
    string consumer,
    bool filtered,
    Func<CancellationToken, ValueTask<StreamBounds>> bounds,
    Func<CdcGap, CancellationToken, ValueTask> report)
{
    private ulong _next;

    /// <summary>The next sequence expected, 0 before the first.</summary>
    public ulong Next => _next;

    /// <summary>Starting after <paramref name="cursor"/> (0: from the stream's start, nothing can be missing).</summary>
    public async ValueTask StartAsync(ulong cursor, CancellationToken cancellationToken)
    {
        if (cursor == 0)
        {
            return;
        }

        _next = cursor + 1;
        var (first, last) = await bounds(cancellationToken).ConfigureAwait(false);
        if (cursor > last)
        {
            // Reading would wait for sequences the stream may never reach, and pass over everything below them.
            throw new CdcCursorAheadOfStreamException(
                $"consumer '{consumer}' is at stream sequence {cursor} but the stream's last sequence is {last}: the stream was recreated or purged to a lower sequence; reset the cursor after checking what was missed",
                cursor, last);
        }

        if (first > _next)
        {
            await report(new CdcGap(consumer, _next, first - 1), cancellationToken).ConfigureAwait(false);
            _next = first;
        }
    }

    public async ValueTask ObserveAsync(ulong sequence, CancellationToken cancellationToken)
    {
        if (_next != 0 && sequence > _next)
        {
            var last = sequence - 1;
            if (filtered)
            {
                var first = (await bounds(cancellationToken).ConfigureAwait(false)).First;
                last = first == 0 ? 0 : Math.Min(last, first - 1);
            }

            if (last >= _next)
            {
                await report(new CdcGap(consumer, _next, last), cancellationToken).ConfigureAwait(false);
            }
        }

        if (sequence >= _next)
        {
            _next = sequence + 1;
        }
    }
}

/// <summary>The stream's first and last sequence.</summary>
internal readonly record struct StreamBounds(ulong First, ulong Last);
