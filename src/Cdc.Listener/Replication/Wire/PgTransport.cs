using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Npgsql;

namespace Cdc.Listener.Replication.Wire;

/// <summary>
/// Opens the byte stream to a PostgreSQL server: TCP (with keepalives) or a Unix socket, then, when asked, the
/// SSLRequest and TLS with the certificate checks of the SSL Mode
/// (https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION).
/// </summary>
internal static class PgTransport
{
    private const byte SslAccepted = (byte)'S';
    private const byte SslRefused = (byte)'N';

    /// <summary>Npgsql's convention: a host that is an absolute path is the directory of a Unix socket.</summary>
    public static bool IsUnixSocket(string host) => host.StartsWith('/');

    public static async Task<Stream> ConnectAsync(ReplicationConnectionSettings settings, string host, int port, bool useSsl, CancellationToken cancellationToken)
    {
        var socket = await OpenSocketAsync(settings, host, port, cancellationToken).ConfigureAwait(false);
        var stream = new NetworkStream(socket, ownsSocket: true);
        if (!useSsl)
        {
            return stream;
        }

        try
        {
            return await NegotiateTlsAsync(settings, host, stream, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<Socket> OpenSocketAsync(ReplicationConnectionSettings settings, string host, int port, CancellationToken cancellationToken)
    {
        if (IsUnixSocket(host))
        {
            var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await unix.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(host, $".s.PGSQL.{port}")), cancellationToken).ConfigureAwait(false);
                return unix;
            }
            catch
            {
                unix.Dispose();
                throw;
            }
        }

        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                // Only on request: a fixed SO_RCVBUF turns off the kernel's autotuning, which grows further (measured: no gain from 1 MiB).
                if (settings.ReceiveBufferSize > 0)
                {
                    socket.ReceiveBufferSize = settings.ReceiveBufferSize;
                }

                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)settings.KeepAliveTime.TotalSeconds);
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, (int)settings.KeepAliveInterval.TotalSeconds);
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    private static async Task<Stream> NegotiateTlsAsync(ReplicationConnectionSettings settings, string host, NetworkStream stream, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(FrontendMessages.SslRequest(), cancellationToken).ConfigureAwait(false);
        var answer = new byte[1];
        await stream.ReadExactlyAsync(answer, cancellationToken).ConfigureAwait(false);
        switch (answer[0])
        {
            case SslRefused when settings.SslMode is SslMode.Prefer or SslMode.Allow:
                return stream;
            case SslRefused:
                throw new AuthenticationException($"PostgreSQL at {host} does not accept TLS connections and SSL Mode is {settings.SslMode}");
            case SslAccepted:
                break;
            default:
                throw new PgProtocolException($"PostgreSQL answered the SSLRequest with '{(char)answer[0]}' (expected S or N)");
        }

        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Validate(settings, certificate, chain, errors),
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (LoadClientCertificate(settings) is { } clientCertificate)
        {
            options.ClientCertificates = [clientCertificate];
        }

        try
        {
            await tls.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            // A handshake the server cut off is a failed handshake too: Prefer then tries plain, as libpq does.
            throw new AuthenticationException($"the TLS handshake with PostgreSQL at {host} failed: {e.Message}", e);
        }

        return tls;
    }

    /// <summary>
    /// Prefer / Allow / Require encrypt without checking who answers (as libpq without a root certificate);
    /// VerifyCA checks the chain against <see cref="ReplicationConnectionSettings.RootCertificate"/> (or the system
    /// store); VerifyFull also checks the host name.
    /// </summary>
    private static bool Validate(ReplicationConnectionSettings settings, X509Certificate? certificate, X509Chain? received, SslPolicyErrors errors)
    {
        if (settings.SslMode is not (SslMode.VerifyCA or SslMode.VerifyFull))
        {
            return true;
        }

        if (certificate is null)
        {
            return false;
        }

        if (settings.SslMode == SslMode.VerifyFull && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return false;
        }

        if (settings.RootCertificate is null)
        {
            return (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(settings.RootCertificate);
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);

        // Intermediate certificates the server sent with its own: the chain to our root may run through them.
        if (received is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(received.ChainPolicy.ExtraStore);
            foreach (var element in received.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    private static X509Certificate2? LoadClientCertificate(ReplicationConnectionSettings settings)
    {
        if (settings.SslCertificate is not { } path)
        {
            return null;
        }

        var extension = Path.GetExtension(path);
        if (extension.Equals(".pfx", StringComparison.OrdinalIgnoreCase) || extension.Equals(".p12", StringComparison.OrdinalIgnoreCase))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, settings.SslPassword);
        }

        using var pem = settings.SslPassword is { } password
            ? X509Certificate2.CreateFromEncryptedPemFile(path, password, settings.SslKey)
            : X509Certificate2.CreateFromPemFile(path, settings.SslKey);

        // SslStream wants a certificate whose key it can use for the handshake on every platform: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}
