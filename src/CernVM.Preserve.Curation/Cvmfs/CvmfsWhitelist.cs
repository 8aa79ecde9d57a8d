using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// The signed whitelist <c>.cvmfswhitelist</c>: which repository certificates may sign manifests,
/// until when (docs/CVMFS.md §3.2; cvmfs/whitelist.cc). Signed with the repository's master key.
/// </summary>
public sealed class CvmfsWhitelist
{
    /// <summary>The file name at the repository root.</summary>
    public const string FileName = ".cvmfswhitelist";

    private readonly SignedText _text;

    private CvmfsWhitelist(SignedText text)
    {
        _text = text;
    }

    /// <summary>Creation time (UTC).</summary>
    public DateTimeOffset CreatedAt { get; private init; }

    /// <summary>Expiry time (UTC); clients refuse an expired whitelist.</summary>
    public DateTimeOffset ExpiresAt { get; private init; }

    /// <summary>The fully qualified repository name.</summary>
    public string RepositoryName { get; private init; } = string.Empty;

    /// <summary>Whether a PKCS#7 form (<c>.cvmfswhitelist.pkcs7</c>) must be verified (<c>Vpkcs7</c>).</summary>
    public bool RequiresPkcs7 { get; private init; }

    /// <summary>Whether the certificate must chain to a CA (<c>Wcachain</c>).</summary>
    public bool RequiresCaChain { get; private init; }

    /// <summary>The certificate fingerprints allowed to sign manifests.</summary>
    public IReadOnlyList<CertificateFingerprint> Fingerprints { get; private init; } = [];

    /// <summary>The hash printed after <c>--</c>.</summary>
    public string? PrintedHash => _text.PrintedHash;

    /// <summary>The binary signature (RSA private-key encryption of the ASCII hash).</summary>
    public ReadOnlyMemory<byte> Signature => _text.Signature;

    /// <summary>Parses a whitelist.</summary>
    /// <exception cref="CvmfsFormatException">The whitelist is malformed.</exception>
    public static CvmfsWhitelist Parse(ReadOnlySpan<byte> bytes)
    {
        SignedText text = SignedText.Parse(bytes, FileName);
        IReadOnlyList<string> lines = text.Lines;
        if (lines.Count < 3)
        {
            throw new CvmfsFormatException(FileName, "expected creation time, expiry and repository name lines.");
        }

        DateTimeOffset created = ParseTimestamp(lines[0], "creation time");
        if (lines[1].Length == 0 || lines[1][0] != 'E')
        {
            throw new CvmfsFormatException(FileName, $"second line must be 'E<expiry>', not '{lines[1]}'.");
        }

        DateTimeOffset expires = ParseTimestamp(lines[1][1..], "expiry");
        if (lines[2].Length < 2 || lines[2][0] != 'N')
        {
            throw new CvmfsFormatException(FileName, $"third line must be 'N<repository name>', not '{lines[2]}'.");
        }

        bool pkcs7 = false;
        bool caChain = false;
        var fingerprints = new List<CertificateFingerprint>();
        for (int i = 3; i < lines.Count; i++)
        {
            string line = lines[i];
            if (line == "Vpkcs7")
            {
                pkcs7 = true;
                continue;
            }

            if (line == "Wcachain")
            {
                caChain = true;
                continue;
            }

            // whitelist.cc: anything after a space or '#' on a fingerprint line is a comment.
            int end = line.IndexOfAny([' ', '#']);
            string candidate = end < 0 ? line : line[..end];
            if (candidate.Length == 0)
            {
                continue;
            }

            if (!CertificateFingerprint.TryParse(candidate, out CertificateFingerprint fingerprint))
            {
                throw new CvmfsFormatException(FileName, $"line {i + 1} is not a certificate fingerprint: '{line}'.");
            }

            fingerprints.Add(fingerprint);
        }

        return new CvmfsWhitelist(text)
        {
            CreatedAt = created,
            ExpiresAt = expires,
            RepositoryName = lines[2][1..].Trim(),
            RequiresPkcs7 = pkcs7,
            RequiresCaChain = caChain,
            Fingerprints = fingerprints,
        };
    }

    /// <summary>Whether the whitelist has expired at <paramref name="now"/>.</summary>
    public bool IsExpired(DateTimeOffset now) => now > ExpiresAt;

    /// <summary>Whether <paramref name="fingerprint"/> is listed.</summary>
    public bool Contains(CertificateFingerprint fingerprint) => Fingerprints.Contains(fingerprint);

    /// <summary>Recomputes the hash of the whitelist lines and compares with the printed hash.</summary>
    /// <exception cref="CvmfsIntegrityException">The whitelist is unsigned or the hash does not match.</exception>
    public ContentHash VerifyHash() => _text.VerifyHash(FileName);

    /// <summary>
    /// Verifies the hash, then the signature with the master public key: a raw RSA public-key operation,
    /// PKCS#1 type-1 unpadding, and a byte comparison with the ASCII hex hash. cvmfs signs with
    /// <c>RSA_private_encrypt</c>, no DigestInfo (crypto/signature.cc SignRsa/VerifyRsa), which
    /// <see cref="RSA.VerifyHash(byte[], byte[], HashAlgorithmName, RSASignaturePadding)"/> cannot check.
    /// </summary>
    /// <exception cref="CvmfsIntegrityException">The hash or the signature does not verify.</exception>
    public void VerifySignature(RSA masterPublicKey)
    {
        ArgumentNullException.ThrowIfNull(masterPublicKey);
        VerifyHash();
        byte[] expected = Encoding.ASCII.GetBytes(PrintedHash!);
        byte[]? recovered = RecoverRawRsaMessage(masterPublicKey, _text.Signature);
        if (recovered is null || !recovered.AsSpan().SequenceEqual(expected))
        {
            throw new CvmfsIntegrityException(CvmfsProblem.BadSignature, FileName, $"the master-key signature of hash {PrintedHash} does not verify.");
        }
    }

    /// <summary>s^e mod n, then strips PKCS#1 v1.5 type-1 padding (00 01 FF… 00 message); null if malformed.</summary>
    internal static byte[]? RecoverRawRsaMessage(RSA publicKey, ReadOnlySpan<byte> signature)
    {
        RSAParameters parameters = publicKey.ExportParameters(includePrivateParameters: false);
        byte[] modulusBytes = parameters.Modulus!;
        if (signature.Length == 0 || signature.Length > modulusBytes.Length)
        {
            return null;
        }

        var modulus = new BigInteger(modulusBytes, isUnsigned: true, isBigEndian: true);
        var exponent = new BigInteger(parameters.Exponent, isUnsigned: true, isBigEndian: true);
        var s = new BigInteger(signature, isUnsigned: true, isBigEndian: true);
        if (s >= modulus)
        {
            return null;
        }

        byte[] m = BigInteger.ModPow(s, exponent, modulus).ToByteArray(isUnsigned: true, isBigEndian: true);
        var block = new byte[modulusBytes.Length];
        m.CopyTo(block, block.Length - m.Length);
        if (block[0] != 0x00 || block[1] != 0x01)
        {
            return null;
        }

        int i = 2;
        while (i < block.Length && block[i] == 0xFF)
        {
            i++;
        }

        // At least 8 padding bytes, then the zero separator (RFC 8017 §9.2 / PKCS#1 v1.5 block type 1).
        if (i - 2 < 8 || i >= block.Length || block[i] != 0x00)
        {
            return null;
        }

        return block[(i + 1)..];
    }

    private static DateTimeOffset ParseTimestamp(string text, string what) =>
        DateTimeOffset.TryParseExact(text.Trim(), "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset value)
            ? value
            : throw new CvmfsFormatException(FileName, $"{what} '{text}' is not YYYYMMDDhhmmss.");
}
