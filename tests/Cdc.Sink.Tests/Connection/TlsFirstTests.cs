using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Cdc.Sink.Connection;
using Cdc.Sink.Tests.Support;

namespace Cdc.Sink.Tests.Connection;

/// <summary>
/// TLS first (server option <c>handshake_first</c>, nats-server 2.10.4+; the Debian nats-server 2.9.10 lacks it):
/// a loopback server that starts the TLS handshake before it says anything, as such a server does, and only then
/// speaks the NATS protocol (INFO, then PONG to the client's PING).
/// </summary>
public sealed class TlsFirstTests
{
    [Fact]
    public async Task TlsMode_first_starts_the_handshake_before_the_server_sends_INFO()
    {
        using var certs = new TestCertificates();
        using var certificate = X509Certificate2.CreateFromPemFile(certs.ServerCertFile, certs.ServerKeyFile);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var server = ServeOneAsync(listener, certificate);
            await using var connection = NatsOptsFactory.Connect(new NatsOptions
            {
                Urls = [$"tls://127.0.0.1:{port}"],
                TlsMode = NatsTlsMode.TlsFirst,
                TlsCaFile = certs.CaFile,
                MaxReconnectAttempts = 0,
            });

            await connection.ConnectAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            var firstClientLine = await server.WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal("test-tls-first", connection.ServerInfo?.Id);
            Assert.StartsWith("CONNECT {", firstClientLine, StringComparison.Ordinal);
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>TLS handshake first, then INFO; returns the client's first protocol line (read over TLS).</summary>
    private static async Task<string> ServeOneAsync(TcpListener listener, X509Certificate2 certificate)
    {
        using var socket = await listener.AcceptTcpClientAsync();
        await using var tls = new SslStream(socket.GetStream());
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
        var info = """INFO {"server_id":"test-tls-first","server_name":"tls-first","version":"2.10.4","proto":1,"headers":true,"max_payload":1048576,"tls_required":true,"tls_available":true}""" + "\r\n";
        await tls.WriteAsync(Encoding.ASCII.GetBytes(info));
        using var reader = new StreamReader(tls, Encoding.ASCII, leaveOpen: true);
        var first = await reader.ReadLineAsync() ?? string.Empty;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("PING", StringComparison.Ordinal))
            {
                await tls.WriteAsync("PONG\r\n"u8.ToArray());
                await tls.FlushAsync();
                break;
            }
        }

        // Stay up until the client has read the PONG.
        await Task.Delay(500);
        return first;
    }
}
