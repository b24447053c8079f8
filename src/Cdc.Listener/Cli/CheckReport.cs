using Cdc.Listener.Hosting;

namespace Cdc.Listener.Cli;

/// <summary>
/// The lines of <c>cdc check</c>, one per finding: <c>ok</c>, <c>plan</c> (what <c>cdc run</c> would create or
/// change), <c>warn</c> (works, but look) and <c>FAIL</c> (would stop <c>cdc run</c>); then a verdict and exit code.
/// </summary>
internal sealed class CheckReport(TextWriter output)
{
    private int _failures;
    private int _warnings;

    public void Ok(string subject, string text) => Write("ok", subject, text);

    public void Plan(string subject, string text) => Write("plan", subject, text);

    public void Warn(string subject, string text)
    {
        _warnings++;
        Write("warn", subject, text);
    }

    public void Fail(string subject, string text)
    {
        _failures++;
        Write("FAIL", subject, text);
    }

    /// <summary>Writes the verdict; 0 when <c>cdc run</c> would start, 1 when something would stop it.</summary>
    public int Finish()
    {
        var exitCode = _failures == 0 ? ExitCodes.Ok : ExitCodes.Fatal;
        var verdict = _failures == 0
            ? $"cdc run would start{(_warnings > 0 ? $" ({_warnings} warning{(_warnings == 1 ? "" : "s")})" : "")}"
            : $"cdc run would stop: {_failures} problem{(_failures == 1 ? "" : "s")} above";
        output.WriteLine($"{verdict} (exit {exitCode}); nothing was changed");
        return exitCode;
    }

    private void Write(string status, string subject, string text) => output.WriteLine($"{status,-4}  {subject,-11} {text}");
}
