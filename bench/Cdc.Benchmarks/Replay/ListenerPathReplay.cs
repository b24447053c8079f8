using System.IO.Pipelines;
using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Source;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cdc.Benchmarks.Replay;

/// <summary>
/// The listener's own path up to the decoder: <see cref="ReplicationSession"/> (our connection) copies each
/// XLogData message into a <see cref="Pipe"/> as an <see cref="XLogFrame"/>, and a second task reads the frames,
/// appends and decodes them — the reading and the decoding run on two cores, as in <c>cdc run</c>.
/// </summary>
public static class ListenerPathReplay
{
    public static async Task RunAsync(string connectionString, int transactions, IChangeHandler handler, CancellationToken cancellationToken = default)
    {
        var options = new CdcOptions { Connection = connectionString, Slot = "bench", Publication = "bench" };
        var session = new ReplicationSession(options, InMemoryReplay.Options, NullLogger.Instance);
        await using (session.ConfigureAwait(false))
        {
            await session.OpenAsync(cancellationToken).ConfigureAwait(false);
            var handOff = new DecoderHandOff();
            var pipe = XLogFrame.CreatePipe(handOff);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var reading = Task.Run(async () =>
            {
                try
                {
                    await session.StreamAsync(pipe.Writer, handOff, Lsn.Invalid, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                finally
                {
                    await pipe.Writer.CompleteAsync().ConfigureAwait(false);
                }
            }, CancellationToken.None);

            var committed = await DecodeAsync(pipe.Reader, transactions, handler, cancellationToken).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await reading.ConfigureAwait(false);
            if (committed != transactions)
            {
                throw new InvalidOperationException($"the stream ended after {committed} of {transactions} transactions");
            }
        }
    }

    private static async Task<int> DecodeAsync(PipeReader frames, int transactions, IChangeHandler handler, CancellationToken cancellationToken)
    {
        using var assembler = new TransactionAssembler(InMemoryReplay.Options);
        var decoder = new ChangeDecoder(InMemoryReplay.Options);
        var committed = 0;
        try
        {
            while (committed < transactions)
            {
                var result = await frames.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (committed < transactions && XLogFrame.TryRead(ref buffer, out var frame))
                {
                    using var transaction = assembler.Append(frame.Bytes, frame.WalStart, frame.WalEnd);
                    if (transaction is not null)
                    {
                        decoder.Decode(transaction, handler);
                        committed++;
                    }
                }

                frames.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        finally
        {
            await frames.CompleteAsync().ConfigureAwait(false);
        }

        return committed;
    }
}
