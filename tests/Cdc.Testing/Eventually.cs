namespace Cdc.Testing;

/// <summary>Bounded waiting for progress in tests: a wait that cannot succeed fails at once, never hangs.</summary>
public static class Eventually
{
    /// <summary>
    /// Polls <paramref name="condition"/> until it holds. Fails after <paramref name="timeout"/>, or as soon as
    /// <paramref name="worker"/> (the task that should make progress) has faulted or ended.
    /// </summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, Task? worker = null, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (worker is { IsCompleted: true })
            {
                await worker.ConfigureAwait(false); // rethrows the worker's exception
                throw new InvalidOperationException($"waiting for {what}, but the worker ended. {diagnostics?.Invoke()}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {timeout} for {what}. {diagnostics?.Invoke()}");
            }

            await Task.Delay(20).ConfigureAwait(false);
        }
    }
}
