using System.Net;
using System.Net.Sockets;
using Cdc.Listener.Source;

namespace Cdc.Listener.Tests.Source;

/// <summary>A server that refuses every connection (accepts and closes at once) stands in for a PostgreSQL that is out of connections.</summary>
public sealed class CatalogTypeResolverTests : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _refusing;
    private int _attempts;

    public CatalogTypeResolverTests()
    {
        _listener.Start();
        _refusing = RefuseAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _refusing;
        _stop.Dispose();
    }

    [Fact]
    public async Task A_failed_lookup_interrupts_the_session_instead_of_calling_the_type_unknown()
    {
        var port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        await using var resolver = new CatalogTypeResolver(() => $"Host=127.0.0.1;Port={port};Username=u;Timeout=5;Pooling=false");

        // Null would be kept by the decoder for the whole session: the type's values would silently turn to text.
        var e = Assert.Throws<ReplicationInterruptedException>(() => resolver.Resolve(16_384));
        Assert.True(e.IsTransient);
        Assert.Contains("cannot look up type 16384 in pg_type", e.Message, StringComparison.Ordinal);
        var afterFirst = Volatile.Read(ref _attempts);
        Assert.True(afterFirst >= 1);

        // Nothing was cached: the next session's lookup asks the server again.
        Assert.Throws<ReplicationInterruptedException>(() => resolver.Resolve(16_384));
        Assert.True(Volatile.Read(ref _attempts) > afterFirst);
    }

    private async Task RefuseAsync()
    {
        try
        {
            while (true)
            {
                using var socket = await _listener.AcceptSocketAsync(_stop.Token);
                Interlocked.Increment(ref _attempts);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }
}
