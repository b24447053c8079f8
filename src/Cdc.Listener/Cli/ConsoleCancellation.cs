using System.Runtime.InteropServices;

namespace Cdc.Listener.Cli;

/// <summary>
/// Ctrl-C and SIGTERM as a cancellation token for the interactive commands (status --watch, tail):
/// the parser's own handling is off because <c>cdc run</c> leaves signals to the generic host.
/// </summary>
internal sealed class ConsoleCancellation : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly PosixSignalRegistration _sigterm;

    public ConsoleCancellation(CancellationToken parent)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(parent);
        Console.CancelKeyPress += OnCancelKeyPress;
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            _cts.Cancel();
        });
    }

    public CancellationToken Token => _cts.Token;

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _cts.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _sigterm.Dispose();
        _cts.Dispose();
    }
}
