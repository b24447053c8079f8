using System.Net;
using System.Net.Sockets;
using Cdc.Listener.Replication;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cdc.Listener.Tests.Replication;

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
    public async Task A_failed_lookup_pauses_further_lookups_instead_of_trying_for_every_value()
    {
        var time = new ManualTime();
        var port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        await using var resolver = new CatalogTypeResolver($"Host=127.0.0.1;Port={port};Username=u;Timeout=5;Pooling=false", NullLogger.Instance, time);

        Assert.Null(resolver.Resolve(16_384));
        var afterFirst = Volatile.Read(ref _attempts);
        Assert.True(afterFirst >= 1);

        // Within the pause: neither this type nor another one tries the server again.
        time.Advance(CatalogTypeResolver.RetryAfterFailure - TimeSpan.FromSeconds(1));
        for (var i = 0; i < 100; i++)
        {
            Assert.Null(resolver.Resolve(16_384 + (uint)(i % 3)));
        }

        Assert.Equal(afterFirst, Volatile.Read(ref _attempts));

        // After it, the next lookup tries again.
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(resolver.Resolve(16_384));
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

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = 1;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
