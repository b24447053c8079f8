using System.Globalization;
using System.Text;
using NATS.Client.Core;

namespace Cdc.Sink;

/// <summary>
/// Publishing a batch: the window's room, each message checked and sized, one core NATS publish with its reply token.
/// </summary>
public sealed partial class StreamingBatchWriter
{
    private async Task PublishBatchAsync(MessageKind kind, CancellationToken cancellationToken)
    {
        if (_lastKind is { } last && last != kind)
        {
            // A block of another kind starts only when the previous block is stored.
            await _window.WaitEmptyAsync(cancellationToken).ConfigureAwait(false);
        }

        _lastKind = kind;
        await _publishLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        var locked = true;
        try
        {
            await RecoverIfNeededAsync(cancellationToken).ConfigureAwait(false);
            while (_batchDone < _batch.Count)
            {
                while (!_window.HasRoom)
                {
                    // Window full: let acks (or a recovery) happen while waiting.
                    _publishLock.Release();
                    locked = false;
                    await _window.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
                    await _publishLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                    locked = true;
                    await RecoverIfNeededAsync(cancellationToken).ConfigureAwait(false);
                }

                // From here the message is in the window or reported (what is left of the batch when the
                // loop stops is reported by DisposeAsync). Only this loop adds to the window: the room stays.
                var pending = Prepare(_batch[_batchDone++]);
                if (pending is null)
                {
                    continue;
                }

                _window.Add(pending);
                await PublishAsync(pending, first: false, cancellationToken).ConfigureAwait(false);
            }

            _batch.Clear();
            _batchDone = 0;
        }
        finally
        {
            if (locked)
            {
                _publishLock.Release();
            }
        }
    }

    /// <summary>
    /// Checks and sizes the message; applies the oversize policy. Null when the message was failed:
    /// too large, or not publishable at all (subject, message id or headers NATS cannot carry).
    /// </summary>
    private PendingMessage? Prepare(OutboundMessage message)
    {
        int headerLength;
        try
        {
            if (!ReferenceEquals(message.Subject, _validSubject))
            {
                WireFormat.ValidateSubject(message.Subject);
                _validSubject = message.Subject;
            }

            headerLength = _headerBlockSize.Of(message.MessageId, message.Headers);
        }
        catch (ArgumentException e)
        {
            var error = new InvalidMessageException(message.MessageId, message.Subject, e);
            SinkLog.PublishFailed(_logger, message.MessageId, message.Subject, error.Message);
            ReportFailed(message, error);
            return null;
        }

        var max = MaxPayload;
        var size = headerLength + message.Payload.Length;
        if (size + ChainHeaderLength() <= max)
        {
            return new PendingMessage(message, message.Payload, message.Headers, size);
        }

        SinkLog.MessageTooLarge(_logger, message.MessageId, message.Subject, size, max, _options.OversizePolicy.ToString());
        if (_options.OversizePolicy == OversizePolicy.PublishReference)
        {
            var headers = new List<KeyValuePair<string, string>>(message.Headers ?? [])
            {
                new("Cdc-Payload-Omitted", "max_payload"),
                new("Cdc-Payload-Size", message.Payload.Length.ToString(CultureInfo.InvariantCulture)),
                new("Cdc-Max-Payload", max.ToString(CultureInfo.InvariantCulture)),
            };
            headers.AddRange(DescribeOmitted(message));
            var referenceSize = WireFormat.HeaderBlockLength(message.MessageId, headers);
            if (referenceSize + ChainHeaderLength() <= max)
            {
                return new PendingMessage(message, ReadOnlyMemory<byte>.Empty, headers, referenceSize);
            }
        }

        ReportFailed(message, new MessageTooLargeException(message.Subject, size, max));
        return null;
    }

    private IReadOnlyList<KeyValuePair<string, string>> DescribeOmitted(OutboundMessage message)
    {
        try
        {
            return _options.DescribeOmitted?.Invoke(message) ?? [];
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The reference still goes out with the standard headers: the describer only adds detail.
            SinkLog.PublishFailed(_logger, message.MessageId, message.Subject, "describing the omitted payload failed: " + e.Message);
            return [];
        }
    }

    private long MaxPayload => _connection.ServerInfo?.MaxPayload is > 0 and var max ? max : 1024 * 1024;

    private int ChainHeaderLength() => _options.ChainPublishes ? _chainTailLength : 0;

    /// <summary>
    /// Publishes one message with a fresh reply token (the reply to an earlier publish of it is ignored from now on).
    /// <paramref name="first"/>: the first message of a republish, sent without <c>Nats-Expected-Last-Msg-Id</c>
    /// (everything before it is acknowledged). Holds the publish lock.
    /// </summary>
    private async ValueTask PublishAsync(PendingMessage pending, bool first, CancellationToken cancellationToken)
    {
        var message = pending.Message;
        var headers = _headers.For(message.MessageId, pending.Headers, _options.ChainPublishes && !first ? _chainTail : null);

        if (pending.Token == 0)
        {
            pending.PreviousId = _chainTail;
            pending.Ordinal = ++_published;
        }

        if (!ReferenceEquals(_chainTail, message.MessageId))
        {
            _chainTail = message.MessageId;

            // The id passed HeaderBlockSize's checks as this message's Nats-Msg-Id value.
            _chainTailLength = WireFormat.ExpectedLastMessageIdHeader.Length + 4 + Encoding.UTF8.GetByteCount(message.MessageId);
        }

        // A new token: a reply to an earlier publish of this message no longer finds it.
        var token = ++_nextToken;
        pending.Token = token;
        _byToken.Add(token, pending);
        try
        {
            var publish = _connection.PublishAsync(
                message.Subject,
                pending.Payload,
                headers,
                ReplySubject(token),
                NatsRawSerializer<ReadOnlyMemory<byte>>.Default,
                cancellationToken: cancellationToken);
            if (!publish.IsCompletedSuccessfully)
            {
                await publish.ConfigureAwait(false);
            }
        }
        catch (NatsPayloadTooLargeException)
        {
            // max_payload of the server we reconnected to is smaller than the one the message was sized for.
            _byToken.TryRemove(token, out _);
            Fail(pending, new MessageTooLargeException(message.Subject, pending.Size, MaxPayload));
        }
        catch (NatsException e)
        {
            // The message is in the window: the next recovery republishes it in order.
            RequestResend(e.Message, delay: true);
        }
    }

    /// <summary><c>&lt;prefix&gt;.&lt;token&gt;</c>, formatted on the stack: the string is the one allocation.</summary>
    private string ReplySubject(long token)
    {
        Span<char> subject = stackalloc char[64]; // a 21-character prefix, a dot and at most 19 digits
        _replyPrefix.CopyTo(subject);
        subject[_replyPrefix.Length] = '.';
        token.TryFormat(subject[(_replyPrefix.Length + 1)..], out var digits, default, CultureInfo.InvariantCulture);
        return new string(subject[..(_replyPrefix.Length + 1 + digits)]);
    }
}
