using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace MtaCluster.Smtp.Server;

/// <summary>
/// The server certificate: the configured PEM pair, or a self-signed one made on first start and kept in the
/// data directory so every later start (and every client that pinned it) sees the same key.
/// </summary>
public static class TlsCertificateProvider
{
    public const string SelfSignedFileName = "smtp-selfsigned.pfx";

    public static X509Certificate2? LoadOrCreate(SmtpServerOptions options, ILogger logger)
    {
        if (!string.IsNullOrEmpty(options.CertificatePath))
        {
            using var pem = X509Certificate2.CreateFromPemFile(options.CertificatePath, options.CertificateKeyPath);
            logger.LogInformation("Using TLS certificate {Subject} from {Path}", pem.Subject, options.CertificatePath);
            // A PEM key is ephemeral; SslStream needs it in a PKCS#12 container on some platforms.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        if (!options.CreateSelfSignedCertificate) return null;

        string host = options.EffectiveHostName();
        string? file = string.IsNullOrEmpty(options.DataDirectory) ? null : Path.Combine(options.DataDirectory, SelfSignedFileName);
        if (file is not null && File.Exists(file))
        {
            try
            {
                var existing = X509CertificateLoader.LoadPkcs12FromFile(file, null);
                if (existing.NotAfter > DateTime.Now.AddDays(1))
                {
                    logger.LogInformation("Using self-signed TLS certificate {Path}", file);
                    return existing;
                }
                logger.LogInformation("Self-signed TLS certificate {Path} has expired; making a new one", file);
                existing.Dispose();
            }
            catch (CryptographicException ex)
            {
                logger.LogWarning(ex, "Self-signed TLS certificate {Path} is unreadable; making a new one", file);
            }
        }

        var pfx = CreateSelfSigned(host);
        if (file is not null)
        {
            Directory.CreateDirectory(options.DataDirectory!);
            var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(file, fileOptions)) stream.Write(pfx);
            logger.LogInformation("Created self-signed TLS certificate for {Host} at {Path}", host, file);
        }
        else
        {
            logger.LogInformation("Created an in-memory self-signed TLS certificate for {Host} (no data directory configured)", host);
        }
        return X509CertificateLoader.LoadPkcs12(pfx, null);
    }

    /// <summary>ECDSA P-256, SAN localhost, the host name and the loopback addresses; valid two years. PKCS#12 bytes.</summary>
    public static byte[] CreateSelfSigned(string hostName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + hostName, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        if (!string.Equals(hostName, "localhost", StringComparison.OrdinalIgnoreCase)) san.AddDnsName(hostName);
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(2));
        return certificate.Export(X509ContentType.Pkcs12);
    }
}
