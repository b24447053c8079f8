using System.Globalization;
using System.Text;

namespace Cdc.Sink.Tests.Support;

internal static class Messages
{
    public static OutboundMessage Row(string table, int index, int payloadBytes = 0, MessageKind kind = MessageKind.WriteTable, string prefix = "cdc.db.public")
    {
        var text = $"{table}:{index}";
        var payload = payloadBytes > 0 ? Encoding.UTF8.GetBytes(text.PadRight(payloadBytes, '.')) : Encoding.UTF8.GetBytes(text);
        return new OutboundMessage
        {
            Kind = kind,
            Table = table,
            Subject = kind == MessageKind.MigrateTable ? $"{prefix}.{table}._schema" : $"{prefix}.{table}",
            MessageId = $"slot:{table}:{index.ToString("D8", CultureInfo.InvariantCulture)}",
            Payload = payload,
            Headers = [new("Cdc-Table", table), new("Cdc-Index", index.ToString(CultureInfo.InvariantCulture))],
            State = index,
        };
    }
}
