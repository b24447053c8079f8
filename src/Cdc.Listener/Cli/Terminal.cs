using Spectre.Console;

namespace Cdc.Listener.Cli;

/// <summary>The console the interactive commands draw on: colours and cursor moves only on a terminal, plain text into pipes and files.</summary>
internal static class Terminal
{
    public static IAnsiConsole Out { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
        ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        Interactive = Console.IsOutputRedirected ? InteractionSupport.No : InteractionSupport.Detect,
    });

    /// <summary>
    /// One line of markup: styled on a terminal; into a pipe or file as plain text, never wrapped (Spectre.Console
    /// wraps at 80 columns when it cannot ask a terminal for its width), so grep sees one line per change.
    /// </summary>
    public static void MarkupLine(string markup) => MarkupLine(markup, Console.IsOutputRedirected, Console.Out);

    internal static void MarkupLine(string markup, bool redirected, TextWriter plain)
    {
        if (redirected)
        {
            plain.WriteLine(Markup.Remove(markup));
        }
        else
        {
            Out.MarkupLine(markup);
        }
    }
}
