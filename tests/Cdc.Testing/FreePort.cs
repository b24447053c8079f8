using System.Net;
using System.Net.Sockets;

namespace Cdc.Testing;

/// <summary>Finds a TCP port on 127.0.0.1 that nothing listens on right now.</summary>
public static class FreePort
{
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A port never handed out before in this process: a server a test killed must not find its port
    /// taken by another test's server, or a client reconnecting to it would talk to the wrong server.
    /// </summary>
    public static int Next()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>Waits until something accepts connections on the port, or throws after the timeout.</summary>
    public static async Task WaitListeningAsync(int port, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new TimeoutException($"nothing listens on 127.0.0.1:{port} after {timeout}. {diagnostics?.Invoke()}", e);
            }
        }
    }
}
