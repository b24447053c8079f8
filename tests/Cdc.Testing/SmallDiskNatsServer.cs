using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;

namespace Cdc.Testing;

/// <summary>
/// A nats-server (image <c>cdc-local/nats:2.9</c>, built by docker/build-images) whose JetStream store directory is a
/// small tmpfs, so a test can fill the disk for real (ENOSPC) and free it again. nats-server runs under a shell loop in
/// the container, so <see cref="KillServerAsync"/> restarts it without losing the tmpfs (a container restart would).
/// </summary>
public sealed class SmallDiskNatsServer : IAsyncDisposable
{
    public const string Image = "cdc-local/nats:2.9";
    private const string Filler = "/data/filler";

    private readonly IContainer _container;

    private SmallDiskNatsServer(IContainer container, int port)
    {
        _container = container;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    /// <summary>Starts the container with a store directory of <paramref name="diskMegabytes"/> MiB.</summary>
    public static async Task<SmallDiskNatsServer> StartAsync(int diskMegabytes = 16)
    {
        DockerEnvironment.Apply();
        var port = FreePort.Next();
        var container = new ContainerBuilder(Image)
            .WithPortBinding(port, 4222)
            .WithEntrypoint("/bin/sh")
            .WithCommand("-c", "while true; do nats-server --jetstream --store_dir /data/jetstream; echo \"nats-server exited $?\"; sleep 0.3; done")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("Server is ready"))
            .WithCreateParameterModifier(p =>
            {
                var host = p.HostConfig ?? throw new InvalidOperationException("Testcontainers created no host configuration");
                host.Tmpfs = new Dictionary<string, string> { ["/data"] = $"size={diskMegabytes}m,uid=100,gid=101" };
                foreach (var bindings in host.PortBindings?.Values ?? [])
                {
                    foreach (var binding in bindings)
                    {
                        binding.HostIP = "127.0.0.1";
                    }
                }
            })
            .Build();
        try
        {
            await container.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e.Message.Contains("No such image", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("pull", StringComparison.OrdinalIgnoreCase))
        {
            await container.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"image {Image} is missing: run docker/build-images", e);
        }

        return new SmallDiskNatsServer(container, port);
    }

    /// <summary>Another file takes every free byte of the store directory's disk.</summary>
    public Task FillDiskAsync() => ExecAsync($"dd if=/dev/zero of={Filler} bs=64k 2>/dev/null; df -k /data | tail -1");

    /// <summary>The operator frees the disk.</summary>
    public Task FreeDiskAsync() => ExecAsync($"rm -f {Filler}; df -k /data | tail -1");

    /// <summary>
    /// SIGKILLs nats-server (the loop starts it again on the same store directory) and waits until it accepts
    /// connections. A nats-server 2.9 stuck on a full disk does not stop on SIGTERM.
    /// </summary>
    public async Task KillServerAsync()
    {
        await ExecAsync("kill -9 $(pidof nats-server)").ConfigureAwait(false);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await _container.ExecAsync(["/bin/sh", "-c", "pidof nats-server"]).ConfigureAwait(false)).ExitCode != 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("nats-server did not start again within 30 s:\n" + await LogAsync().ConfigureAwait(false));
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false); // listening
    }

    /// <summary>The server's log so far (stdout and stderr of the container).</summary>
    public async Task<string> LogAsync()
    {
        var (stdout, stderr) = await _container.GetLogsAsync().ConfigureAwait(false);
        return stdout + stderr;
    }

    private async Task<string> ExecAsync(string script)
    {
        var result = await _container.ExecAsync(["/bin/sh", "-c", script]).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{script}' in the NATS container exited {result.ExitCode}: {result.Stderr}");
        }

        return result.Stdout;
    }

    public async ValueTask DisposeAsync() => await _container.DisposeAsync().ConfigureAwait(false);
}
