namespace Cdc.Sink.Connection;

/// <summary>Reads a user NKey seed (<c>SU...</c>) from a file: a bare seed, as <c>nk -gen user</c> writes it, or a decorated one.</summary>
internal static class NKeySeedFile
{
    public static async ValueTask<string> ReadAsync(string path, CancellationToken cancellationToken)
    {
        foreach (var line in await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false))
        {
            var text = line.Trim();
            if (text.StartsWith("SU", StringComparison.Ordinal))
            {
                return text;
            }
        }

        throw new SinkConfigurationException("Nats:NKeySeedFile", $"file '{path}' holds no user seed (a line starting with SU)");
    }
}
