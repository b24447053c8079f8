using System.Buffers;
using Cdc.Decoding.Protocol;
using Cdc.Decoding.Protocol.Messages;

namespace Cdc.Decoding.Tests.Support;

/// <summary>Parses any pgoutput message with its own parser and describes every field, to compare two parses.</summary>
internal static class MessageDescriber
{
    public static string Describe(ReadOnlySequence<byte> message, bool streamed, PgOutputOptions options)
    {
        var reader = new PgReader(message, new Lsn(0x10), options);
        var newRow = new TupleData();
        var oldRow = new TupleData();
        var ids = new uint[1];
        switch ((char)reader.MessageType)
        {
            case 'B': return BeginMessage.Read(ref reader).ToString();
            case 'C': return CommitMessage.Read(ref reader).ToString();
            case 'O': return OriginMessage.Read(ref reader).ToString();
            case 'R':
                var r = RelationMessage.Read(ref reader, streamed);
                return $"{r} [{string.Join(", ", r.Columns)}]";
            case 'Y': return TypeMessage.Read(ref reader, streamed).ToString();
            case 'I':
                var i = InsertMessage.Read(ref reader, streamed, newRow);
                return $"{i} N{Row(newRow)}";
            case 'U':
                var u = UpdateMessage.Read(ref reader, streamed, oldRow, newRow);
                return $"{u} O{(u.HasOldRow ? Row(oldRow) : "-")} N{Row(newRow)}";
            case 'D':
                var d = DeleteMessage.Read(ref reader, streamed, oldRow);
                return $"{d} O{Row(oldRow)}";
            case 'T':
                var t = TruncateMessage.Read(ref reader, streamed, ref ids);
                return $"{t} [{string.Join(",", ids.Take(t.RelationCount))}]";
            case 'M':
                var m = LogicalDecodingMessage.Read(ref reader, streamed, new CopyBuffer());
                return $"{m.Xid} {m.Transactional} {m.MessageLsn} {m.Prefix} {Convert.ToHexString(m.Content.Span)}";
            case 'S': return StreamStartMessage.Read(ref reader).ToString();
            case 'E': return StreamStopMessage.Read(ref reader).ToString();
            case 'c': return StreamCommitMessage.Read(ref reader).ToString();
            case 'A': return StreamAbortMessage.Read(ref reader).ToString();
            case 'b': return BeginPrepareMessage.Read(ref reader).ToString();
            case 'P': return PrepareMessage.Read(ref reader).ToString();
            case 'p': return StreamPrepareMessage.Read(ref reader).ToString();
            case 'K': return CommitPreparedMessage.Read(ref reader).ToString();
            case 'r': return RollbackPreparedMessage.Read(ref reader).ToString();
            default: throw reader.Error("unknown message type");
        }
    }

    private static string Row(TupleData tuple) => "[" + string.Join(",", RecordingHandler.Values(tuple)!) + "]";
}
