using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Cdc.Testing;

/// <summary>
/// The real <c>cdc</c> executable (cdc.dll next to the test assembly) run as a child process, its
/// output captured, stoppable with SIGTERM (graceful) or SIGKILL (crash).
/// </summary>
public sealed class CdcProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(string Text, TaskCompletionSource Signal)> _waiters = [];

    private CdcProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "cdc.dll");

    public static CdcProcess Start(IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(DllPath);
        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_NOLOGO"] = "1";

        // Tests of streaming count exactly what they wrote: without an initial snapshot unless a test asks for one
        // (--snapshot or its own CDC__SNAPSHOT, both of which win over this).
        psi.Environment["CDC__SNAPSHOT"] = "never";
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                psi.Environment[k] = v;
            }
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var cdc = new CdcProcess(process);
        process.OutputDataReceived += (_, e) => cdc.Append(e.Data);
        process.ErrorDataReceived += (_, e) => cdc.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cdc;
    }

    /// <summary>Runs cdc to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> arguments, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        await using var cdc = Start(arguments, environment);
        var exited = await cdc.WaitForExitAsync(timeout).ConfigureAwait(false);
        if (!exited)
        {
            throw new TimeoutException($"cdc {string.Join(' ', arguments)} did not exit within {timeout}:\n{cdc.Output}");
        }

        return (cdc.ExitCode, cdc.Output);
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 4_000_000)
            {
                _output.AppendLine(line);
            }

            foreach (var (text, signal) in _waiters)
            {
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    signal.TrySetResult();
                }
            }
        }
    }

    /// <summary>Waits until a line containing <paramref name="text"/> was printed.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        TaskCompletionSource signal;
        lock (_output)
        {
            if (_output.ToString().Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((text, signal));
        }

        var exited = _process.WaitForExitAsync();
        var done = await Task.WhenAny(signal.Task, exited, Task.Delay(timeout)).ConfigureAwait(false);
        if (done != signal.Task)
        {
            throw new TimeoutException($"cdc did not print '{text}' ({(done == exited ? "it exited" : "timeout")}):\n{Output}");
        }
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM: a graceful stop.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            _ = SysKill(_process.Id, 15);
        }
    }

    /// <summary>SIGKILL: a crash, nothing flushed.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _ = SysKill(_process.Id, 9);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        _process.Dispose();
    }
}
