using System.CommandLine;
using Cdc.Listener.Hosting;

namespace Cdc.Listener.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("cdc: change data capture from PostgreSQL (pgoutput) to NATS JetStream.");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(TailCommand.Create());
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(BackfillCommand.Create());

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Bad input is exit 2 (as a bad setting is), in one line per problem; 1 is for a sidecar that stopped.
            var command = parse.CommandResult.Command == root ? "cdc" : "cdc " + parse.CommandResult.Command.Name;
            foreach (var error in parse.Errors)
            {
                var message = string.Join(' ', error.Message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                await Console.Error.WriteLineAsync($"{command}: {message}").ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync($"{command}: see '{command} --help'").ConfigureAwait(false);
            return ExitCodes.BadConfiguration;
        }

        // The generic host handles SIGTERM and Ctrl-C (graceful stop with in-flight acks); the parser must not.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await parse.InvokeAsync(invocation).ConfigureAwait(false);
    }
}
