using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Cdc.Testing;

/// <summary>
/// A throwaway nats-server process with JetStream (file storage) on 127.0.0.1, from the Debian
/// package. Restartable on the same port and store directory.
/// </summary>
public sealed class NatsServer : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/nats-server";

    private readonly string _configFile;
    private readonly StringBuilder _log = new();
    private Process? _process;
    private bool _disposed;

    private NatsServer(string root, int port, string? extraConfig)
    {
        Root = root;
        Port = port;
        StoreDirectory = Path.Combine(root, "jetstream");
        _configFile = Path.Combine(root, "nats.conf");
        ExtraConfig = extraConfig;
    }

    public string Root { get; }

    public int Port { get; }

    public string StoreDirectory { get; }

    public string? ExtraConfig { get; }

    /// <summary>
    /// Settings added inside the <c>jetstream</c> block at the next (re)start, e.g. <c>max_file_store: 262144</c>:
    /// a server that runs out of JetStream storage.
    /// </summary>
    public string? JetStreamLimits { get; set; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Starts a server. <paramref name="extraConfig"/> is appended to the generated config file
    /// (authorization, tls, cluster blocks, limits).
    /// </summary>
    public static async Task<NatsServer> StartAsync(string? extraConfig = null, int? port = null, string? root = null)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"nats-server is not installed ({Binary}): apt-get install -y nats-server");
        }

        root ??= Path.Combine(Path.GetTempPath(), "cdc-test-nats-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var server = new NatsServer(root, port ?? FreePort.Next(), extraConfig);
        await server.StartExistingAsync().ConfigureAwait(false);
        return server;
    }

    public async Task StartExistingAsync()
    {
        if (IsRunning)
        {
            return;
        }

        var config = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"listen: 127.0.0.1:{Port}")
            .AppendLine(CultureInfo.InvariantCulture, $"jetstream {{ store_dir: \"{StoreDirectory}\"{(JetStreamLimits is null ? string.Empty : ", " + JetStreamLimits)} }}")
            .AppendLine(ExtraConfig ?? string.Empty)
            .ToString();
        await File.WriteAllTextAsync(_configFile, config).ConfigureAwait(false);

        var psi = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(_configFile);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start nats-server");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await FreePort.WaitListeningAsync(Port, TimeSpan.FromSeconds(20), ReadLog).ConfigureAwait(false);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.Length < 1_000_000)
            {
                _log.AppendLine(line);
            }
        }
    }

    public string ReadLog()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    /// <summary>Kills the process (SIGKILL): the store stays for a restart.</summary>
    public async Task KillAsync()
    {
        if (_process is { } p)
        {
            try
            {
                p.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }

            await p.WaitForExitAsync().ConfigureAwait(false);
            p.Dispose();
            _process = null;
        }
    }

    public async Task RestartAsync()
    {
        await KillAsync().ConfigureAwait(false);
        await StartExistingAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await KillAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
