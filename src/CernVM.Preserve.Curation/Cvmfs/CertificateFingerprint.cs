using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// The fingerprint of a repository certificate as listed in a whitelist: the hash of the DER encoding,
/// upper-case colon-separated hex, with <c>-RMD160</c>/<c>-SHAKE128</c> appended for those
/// algorithms (crypto/signature.cc FingerprintCertificate).
/// </summary>
public readonly struct CertificateFingerprint : IEquatable<CertificateFingerprint>
{
    private CertificateFingerprint(ContentHash hash)
    {
        Hash = hash;
    }

    /// <summary>The underlying hash of the DER bytes.</summary>
    public ContentHash Hash { get; }

    /// <summary>Computes the fingerprint of <paramref name="certificate"/> with <paramref name="algorithm"/>.</summary>
    public static CertificateFingerprint Compute(X509Certificate2 certificate, CvmfsHashAlgorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return new CertificateFingerprint(ContentHash.Compute(algorithm, certificate.RawData));
    }

    /// <summary>Parses <c>AA:BB:…[-SHAKE128|-RMD160]</c>.</summary>
    /// <exception cref="FormatException">The text is not a fingerprint.</exception>
    public static CertificateFingerprint Parse(string text) =>
        TryParse(text, out CertificateFingerprint fingerprint)
            ? fingerprint
            : throw new FormatException($"'{text}' is not a certificate fingerprint (AA:BB:…).");

    /// <summary>Tries to parse <c>AA:BB:…[-SHAKE128|-RMD160]</c>.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out CertificateFingerprint fingerprint)
    {
        fingerprint = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        string body = text;
        string id = string.Empty;
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            body = text[..dash];
            id = text[dash..].ToLowerInvariant();
        }

        var hex = new StringBuilder(body.Length);
        string[] parts = body.Split(':');
        foreach (string part in parts)
        {
            if (part.Length != 2)
            {
                return false;
            }

            hex.Append(part);
        }

        if (!ContentHash.TryParse(hex.ToString().ToLowerInvariant() + id, ObjectSuffix.None, out ContentHash hash))
        {
            return false;
        }

        fingerprint = new CertificateFingerprint(hash);
        return true;
    }

    /// <summary>The whitelist notation.</summary>
    public override string ToString()
    {
        if (Hash.IsEmpty)
        {
            return string.Empty;
        }

        string hex = Convert.ToHexString(Hash.Digest);
        var text = new StringBuilder(hex.Length * 3 / 2);
        for (int i = 0; i < hex.Length; i += 2)
        {
            if (i > 0)
            {
                text.Append(':');
            }

            text.Append(hex, i, 2);
        }

        return text.Append(Hash.AlgorithmId.ToUpperInvariant()).ToString();
    }

    public bool Equals(CertificateFingerprint other) => Hash.Equals(other.Hash);

    public override bool Equals(object? obj) => obj is CertificateFingerprint other && Equals(other);

    public override int GetHashCode() => Hash.GetHashCode();

    public static bool operator ==(CertificateFingerprint left, CertificateFingerprint right) => left.Equals(right);

    public static bool operator !=(CertificateFingerprint left, CertificateFingerprint right) => !left.Equals(right);
}
