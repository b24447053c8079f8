using System.CommandLine;
using Cdc.Listener.Cli;

namespace Cdc.Listener;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("cdc: change data capture from PostgreSQL (pgoutput) to NATS JetStream.");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(TailCommand.Create());

        // The generic host handles SIGTERM and Ctrl-C (graceful stop with in-flight acks); the parser must not.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await root.Parse(args).InvokeAsync(invocation).ConfigureAwait(false);
    }
}
