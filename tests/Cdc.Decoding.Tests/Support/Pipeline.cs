using System.Buffers;

namespace Cdc.Decoding.Tests.Support;

/// <summary>Runs messages through a TransactionAssembler and a ChangeDecoder, as the listener does.</summary>
public sealed class Pipeline : IDisposable
{
    public Pipeline(PgOutputOptions options, ITypeResolver? resolver = null)
    {
        Options = options;
        Assembler = new TransactionAssembler(options);
        Decoder = new ChangeDecoder(options, resolver);
    }

    public PgOutputOptions Options { get; }

    public TransactionAssembler Assembler { get; }

    public ChangeDecoder Decoder { get; }

    public RecordingHandler Handler { get; } = new();

    public List<(uint Xid, Lsn EndLsn, int Changes, bool Spilled)> Transactions { get; } = [];

    public void Feed(byte[] message, ulong lsn = 0) => Feed(new ReadOnlySequence<byte>(message), lsn);

    public void Feed(ReadOnlySequence<byte> message, ulong lsn = 0)
    {
        using var tx = Assembler.Append(message, lsn, lsn);
        if (tx is not null)
        {
            Transactions.Add((tx.Xid, tx.EndLsn, tx.ChangeCount, tx.IsSpilled));
            Decoder.Decode(tx, Handler);
        }
    }

    public void FeedAll(IEnumerable<CapturedMessage> messages)
    {
        foreach (var m in messages)
        {
            Feed(m.Data, m.Lsn);
        }
    }

    public void Dispose() => Assembler.Dispose();
}
