using Cdc.Benchmarks.Capture;
using Cdc.Decoding;

namespace Cdc.Benchmarks.Replay;

/// <summary>Our decoder on captured messages already in memory: TransactionAssembler.Append then ChangeDecoder.Decode.</summary>
public static class InMemoryReplay
{
    public static readonly PgOutputOptions Options = new() { ProtocolVersion = 1 };

    /// <summary>
    /// One replication session: a fresh assembler and decoder (the server resends Relation messages per session)
    /// given the captured messages <paramref name="passes"/> times, as the fake server sends them.
    /// </summary>
    public static void Run(IReadOnlyList<CapturedMessage> messages, IChangeHandler handler, int passes)
    {
        using var assembler = new TransactionAssembler(Options);
        var decoder = new ChangeDecoder(Options);
        for (var pass = 0; pass < passes; pass++)
        {
            for (var i = 0; i < messages.Count; i++)
            {
                var message = messages[i];
                using var transaction = assembler.Append(message.Data, message.WalStart, message.WalEnd);
                if (transaction is not null)
                {
                    decoder.Decode(transaction, handler);
                }
            }
        }
    }
}
