extern alias consumer;
using System.Globalization;
using System.Text;
using System.Text.Json;
using consumer::Cdc.Consumer.Events;
using Spectre.Console;

namespace Cdc.Listener.Cli;

/// <summary>How <c>cdc tail</c> prints an outbox message: one human line, or one JSON line.</summary>
internal static class OutboxLine
{
    private const int PreviewChars = 200;

    public static string Human(CdcOutboxMessage message)
    {
        var line = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"[grey]#{message.StreamSequence,-7} {message.Timestamp.ToUniversalTime():HH:mm:ss.fff}[/] [blue bold]OUTBOX[/] [bold]{Markup.Escape(message.Table)}[/]")
            .Append(' ').Append(Markup.Escape(message.Subject));
        if (message.Type is { } type)
        {
            line.Append(" [grey]type[/]=").Append(Markup.Escape(type));
        }

        if (message.AggregateId is { } aggregate)
        {
            line.Append(" [grey]aggregate[/]=").Append(Markup.Escape(aggregate));
        }

        var text = Text(message.Payload.Span);
        line.Append(": ").Append(Markup.Escape(text.Length > PreviewChars ? text[..PreviewChars] + "…" : text));
        return line.ToString();
    }

    /// <summary><c>{"seq","subject","outbox":{"table","id","type","aggregateId","payload"}}</c>; a payload that is not UTF-8 as base64 in <c>payloadBase64</c>.</summary>
    public static string Json(CdcOutboxMessage message)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("seq", message.StreamSequence);
            writer.WriteString("subject", message.Subject);
            writer.WriteStartObject("outbox");
            writer.WriteString("table", message.Table);
            writer.WriteString("id", message.OutboxId);
            writer.WriteString("type", message.Type);
            writer.WriteString("aggregateType", message.AggregateType);
            writer.WriteString("aggregateId", message.AggregateId);
            if (IsUtf8(message.Payload.Span))
            {
                writer.WriteString("payload", message.Payload.Span);
            }
            else
            {
                writer.WriteBase64String("payloadBase64", message.Payload.Span);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string Text(ReadOnlySpan<byte> payload)
        => IsUtf8(payload) ? Encoding.UTF8.GetString(payload) : "(" + payload.Length.ToString(CultureInfo.InvariantCulture) + " bytes)";

    private static bool IsUtf8(ReadOnlySpan<byte> payload) => System.Text.Unicode.Utf8.IsValid(payload);
}
