using Microsoft.Extensions.Logging;

namespace Cdc.Listener.Cli;

/// <summary>Keeps the warnings the start-up checks log, for <c>cdc check</c> to print as findings.</summary>
internal sealed class CollectingLogger : ILogger
{
    private readonly List<string> _warnings = [];

    public IReadOnlyList<string> Warnings => _warnings;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            _warnings.Add(formatter(state, exception));
        }
    }
}
