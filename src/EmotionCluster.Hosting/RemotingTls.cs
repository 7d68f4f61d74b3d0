using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Remote.Hosting;

namespace EmotionCluster.Hosting;

/// <summary>
/// Akka.Remote over mutual TLS with one cluster certificate (<see cref="NodeSettings.TlsCertificate"/>): every node
/// presents it and accepts a peer only if the peer presents the same certificate (same thumbprint), which the TLS
/// handshake proves the peer holds the private key of. The certificate's password is the cluster's shared secret. A
/// self-signed certificate is enough: trust comes from the pin, not from a certificate authority.
/// </summary>
public static class RemotingTls
{
    /// <summary>The certificate with its private key, or an <see cref="ArgumentException"/> naming the file and the fix.</summary>
    public static X509Certificate2 Load(NodeSettings settings)
    {
        string path = settings.TlsCertificate;
        if (!File.Exists(path))
            throw new ArgumentException($"{NodeSettings.Section}: TlsCertificate '{path}' not found; give the cluster certificate (PKCS#12, e.g. made with " +
                                        "'openssl pkcs12 -export', see docs/operations.md) or leave TlsCertificate empty for plain TCP");
        string password = Password(settings);
        try
        {
            var cert = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
            if (!cert.HasPrivateKey)
                throw new ArgumentException($"{NodeSettings.Section}: TlsCertificate '{path}' has no private key; export the certificate with its key (openssl pkcs12 -export -inkey KEY)");
            return cert;
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"{NodeSettings.Section}: TlsCertificate '{path}' could not be read with the given password " +
                                        $"(TlsCertificatePassword or TlsCertificatePasswordFile): {e.Message}");
        }
    }

    /// <summary>The password from <see cref="NodeSettings.TlsCertificatePasswordFile"/> (trailing newline dropped) or <see cref="NodeSettings.TlsCertificatePassword"/>.</summary>
    public static string Password(NodeSettings settings)
    {
        if (string.IsNullOrEmpty(settings.TlsCertificatePasswordFile)) return settings.TlsCertificatePassword;
        if (!File.Exists(settings.TlsCertificatePasswordFile))
            throw new ArgumentException($"{NodeSettings.Section}: TlsCertificatePasswordFile '{settings.TlsCertificatePasswordFile}' not found");
        return File.ReadAllText(settings.TlsCertificatePasswordFile).TrimEnd('\r', '\n');
    }

    /// <summary>Accepts a peer certificate exactly when it is <paramref name="cluster"/> (by SHA-256 thumbprint).</summary>
    public static bool IsClusterCertificate(X509Certificate2 cluster, X509Certificate? peer) =>
        peer is not null && CryptographicOperations.FixedTimeEquals(
            cluster.GetCertHash(HashAlgorithmName.SHA256), peer.GetCertHash(HashAlgorithmName.SHA256));

    /// <summary>The remoting TLS options of a node with <see cref="NodeSettings.TlsEnabled"/>.</summary>
    public static SslOptions Options(NodeSettings settings)
    {
        var cert = Load(settings);
        return new SslOptions
        {
            X509Certificate = cert,
            SuppressValidation = false,
            RequireMutualAuthentication = true,
            ValidateCertificateHostname = false, // pods are reached by IP; the pin identifies the peer
            CustomValidator = (peer, _, _, _, _) => IsClusterCertificate(cert, peer),
        };
    }
}
