using System.Net;
using System.Net.Sockets;

namespace Cdc.Testing;

/// <summary>
/// A loopback TCP proxy in front of a server that can cut every connection at once (reset, as when a
/// network path fails), to test reconnects without stopping the server.
/// </summary>
public sealed class TcpDropProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly List<Link> _links = [];
    private readonly Task _accepting;
    private int _drops;

    public TcpDropProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The port new connections go to (those open now stay where they are): another server behind the same address.</summary>
    public int TargetPort
    {
        get => Volatile.Read(ref _targetPort);
        set => Volatile.Write(ref _targetPort, value);
    }

    /// <summary>Connections cut so far.</summary>
    public int Drops => Volatile.Read(ref _drops);

    /// <summary>Resets every open connection (both sides see a broken connection).</summary>
    public void DropAll()
    {
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                try
                {
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Already closed by its other side.
                }

                Interlocked.Increment(ref _drops);
            }

            _sockets.Clear();
        }
    }

    /// <summary>
    /// While true, a new connection is closed as soon as it is accepted: the server is unreachable (an outage seen from
    /// the client) while it keeps running.
    /// </summary>
    public bool Refusing { get; set; }

    /// <summary>
    /// From now on the bytes of the connections open now are read and dropped in both directions while they stay
    /// open: a peer that went silent without closing (a hung server, a firewall dropping packets), which only a
    /// receive timeout notices. Connections made later pass normally (the path came back).
    /// </summary>
    public void Blackhole()
    {
        lock (_sockets)
        {
            foreach (var link in _links)
            {
                link.Blackholed = true;
            }

            _links.Clear();
        }
    }

    /// <summary>
    /// From now on what the server sends on the connections open now is dropped, while what the client sends still
    /// reaches it: the server acts on requests whose replies are lost (PubAcks of stored messages).
    /// </summary>
    public void BlackholeReplies()
    {
        lock (_sockets)
        {
            foreach (var link in _links)
            {
                link.RepliesBlackholed = true;
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (Refusing)
            {
                client.Close();
                continue;
            }

            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, TargetPort, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                client.Close();
                server.Dispose();
                continue;
            }

            var link = new Link();
            lock (_sockets)
            {
                _sockets.Add(client);
                _sockets.Add(server);
                _links.Add(link);
            }

            _ = PumpAsync(client, server, link, toClient: false);
            _ = PumpAsync(server, client, link, toClient: true);
        }
    }

    private async Task PumpAsync(Socket from, Socket to, Link link, bool toClient)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                if (!link.Blackholed && !(toClient && link.RepliesBlackholed))
                {
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Cut by DropAll or the other side: close both so neither waits.
            from.Close();
            to.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private sealed class Link
    {
        public volatile bool Blackholed;
        public volatile bool RepliesBlackholed;
    }
}
