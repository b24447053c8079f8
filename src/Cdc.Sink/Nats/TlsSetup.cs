using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Cdc.Sink.Nats;

/// <summary>Builds the SslStream options: server verification (system store or a CA file) and an optional client certificate.</summary>
internal static class TlsSetup
{
    public static SslClientAuthenticationOptions Create(NatsOptions options, string host)
    {
        var ssl = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (options.TlsCertFile is not null && options.TlsKeyFile is not null)
        {
            ssl.ClientCertificates = [X509Certificate2.CreateFromPemFile(options.TlsCertFile, options.TlsKeyFile)];
        }

        if (options.TlsCaFile is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(options.TlsCaFile);
            ssl.RemoteCertificateValidationCallback = (_, certificate, _, errors) => VerifyWithCa(roots, certificate, errors);
        }

        return ssl;
    }

    private static bool VerifyWithCa(X509Certificate2Collection roots, X509Certificate? certificate, SslPolicyErrors errors)
    {
        // Only chain errors may be fixed by our CA; a missing certificate or a wrong name never are.
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }

        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
