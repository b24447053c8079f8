using System.Buffers;
using Cdc.Sink.JetStream;
using NATS.Client.Core;

namespace Cdc.Sink;

/// <summary>
/// The one wildcard subscription (<c>&lt;prefix&gt;.&gt;</c>) that receives the PubAcks of every publish: each publish
/// has the reply subject <c>&lt;prefix&gt;.&lt;token&gt;</c>. Replies are parsed on NATS.Net's reader, without a
/// channel hop or a message object, and handed to the writer by token. The prefix is our own, not <c>_INBOX.</c>
/// (NATS.Net's request/reply owns that).
/// </summary>
internal sealed class AckSubscription : NatsSubBase
{
    private static readonly byte[] NoResponders = " 503"u8.ToArray();
    private readonly IPubAckReceiver _receiver;
    private readonly int _tokenStart;

    public AckSubscription(INatsConnection connection, string prefix, IPubAckReceiver receiver)
        : base(connection, connection.SubscriptionManager, prefix + ".>", queueGroup: null, opts: null)
    {
        _receiver = receiver;
        _tokenStart = prefix.Length + 1;
    }

    protected override ValueTask ReceiveInternalAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headersBuffer, ReadOnlySequence<byte> payloadBuffer)
    {
        if (subject.Length <= _tokenStart || !long.TryParse(subject.AsSpan(_tokenStart), out var token))
        {
            return ValueTask.CompletedTask;
        }

        if (payloadBuffer.IsEmpty && headersBuffer is { Length: >= 12 } headers && IsNoResponders(headers))
        {
            _receiver.OnNoResponders(token);
        }
        else
        {
            _receiver.OnPubAck(token, PubAck.Parse(payloadBuffer));
        }

        return ValueTask.CompletedTask;
    }

    protected override void TryComplete()
    {
    }

    /// <summary>A status reply: <c>NATS/1.0 503</c> (nobody listens on the subject: no stream bound to it).</summary>
    private static bool IsNoResponders(ReadOnlySequence<byte> headers)
    {
        Span<byte> status = stackalloc byte[4];
        headers.Slice(8, 4).CopyTo(status);
        return status.SequenceEqual(NoResponders);
    }
}

/// <summary>Where <see cref="AckSubscription"/> delivers replies (called on NATS.Net's reader: must not block).</summary>
internal interface IPubAckReceiver
{
    void OnPubAck(long token, PubAck ack);

    void OnNoResponders(long token);
}
