namespace Cdc.Sink;

/// <summary>The message ids the destination holds on some subjects, read back on start (e.g. to finish clean-up the last run left undone).</summary>
public interface IStreamMessageIds
{
    /// <summary>
    /// The <c>Nats-Msg-Id</c> of every stored message on <paramref name="subjectFilter"/> (NATS wildcards) among the
    /// stream's last <paramref name="maxScan"/> sequences, oldest first.
    /// </summary>
    Task<IReadOnlyList<string>> ReadMessageIdsAsync(string subjectFilter, int maxScan, CancellationToken cancellationToken = default);
}
