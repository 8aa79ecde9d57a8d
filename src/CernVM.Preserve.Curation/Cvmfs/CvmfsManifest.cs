using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// The signed repository manifest <c>.cvmfspublished</c> (docs/CVMFS.md §3.1; cvmfs/manifest.cc).
/// One line per field, <c>&lt;letter&gt;&lt;value&gt;</c>, then <c>--</c>, the hash of the fields
/// and the RSA signature of that hash.
/// </summary>
public sealed class CvmfsManifest
{
    /// <summary>The file name at the repository root.</summary>
    public const string FileName = ".cvmfspublished";

    /// <summary>MD5 of the empty root path, the only value a client accepts for <c>R</c> (manifest_fetch.cc).</summary>
    public const string ExpectedRootPathHash = "d41d8cd98f00b204e9800998ecf8427e";

    private readonly SignedText _text;

    private CvmfsManifest(SignedText text)
    {
        _text = text;
    }

    /// <summary>C: the root catalog (suffix C).</summary>
    public ContentHash RootCatalog { get; private init; }

    /// <summary>B: uncompressed size of the root catalog, if written (≥ 2.1).</summary>
    public long? RootCatalogSize { get; private init; }

    /// <summary>R: MD5 of the root path, normally <see cref="ExpectedRootPathHash"/>.</summary>
    public string RootPathHash { get; private init; } = string.Empty;

    /// <summary>D: time to live of the root catalog, seconds.</summary>
    public long CatalogTtl { get; private init; }

    /// <summary>S: the revision number.</summary>
    public long Revision { get; private init; }

    /// <summary>G: whether the repository is garbage-collectable.</summary>
    public bool? GarbageCollectable { get; private init; }

    /// <summary>A: whether catalogs are fetched through <c>.cvmfsalt-</c> names.</summary>
    public bool? AlternativeNames { get; private init; }

    /// <summary>N: the fully qualified repository name.</summary>
    public string? RepositoryName { get; private init; }

    /// <summary>X: the signing certificate (suffix X).</summary>
    public ContentHash? Certificate { get; private init; }

    /// <summary>H: the history (tag) database (suffix H).</summary>
    public ContentHash? History { get; private init; }

    /// <summary>T: publish time.</summary>
    public DateTimeOffset? PublishTime { get; private init; }

    /// <summary>M: the repository meta-information JSON (suffix M).</summary>
    public ContentHash? MetaInfo { get; private init; }

    /// <summary>Y: hash of the <c>.cvmfsreflog</c> file (no suffix).</summary>
    public ContentHash? Reflog { get; private init; }

    /// <summary>L: the reserved micro-catalog hash; 2.0-era manifests carry zeros.</summary>
    public ContentHash? MicroCatalog { get; private init; }

    /// <summary>Lines whose letter this reader does not know (e.g. reserved <c>Z</c>), kept verbatim.</summary>
    public IReadOnlyList<string> UnknownFields { get; private init; } = [];

    /// <summary>The hash printed after <c>--</c>, or null if the manifest is unsigned.</summary>
    public string? PrintedHash => _text.PrintedHash;

    /// <summary>The binary signature after the hash line.</summary>
    public ReadOnlyMemory<byte> Signature => _text.Signature;

    /// <summary>The bytes covered by the printed hash.</summary>
    public ReadOnlyMemory<byte> SignedBytes => _text.SignedBytes;

    /// <summary>Parses a manifest.</summary>
    /// <exception cref="CvmfsFormatException">A field is malformed or a required field (C, R, D, S) is missing.</exception>
    public static CvmfsManifest Parse(ReadOnlySpan<byte> bytes)
    {
        SignedText text = SignedText.Parse(bytes, FileName);
        ContentHash? root = null;
        long? size = null;
        string? rootPath = null;
        long? ttl = null;
        long? revision = null;
        bool? gc = null;
        bool? alt = null;
        string? name = null;
        ContentHash? certificate = null;
        ContentHash? history = null;
        DateTimeOffset? published = null;
        ContentHash? metaInfo = null;
        ContentHash? reflog = null;
        ContentHash? micro = null;
        var unknown = new List<string>();

        foreach (string line in text.Lines)
        {
            string value = line[1..].Trim();
            switch (line[0])
            {
                case 'C': root = ParseHash(line, value, ObjectSuffix.Catalog); break;
                case 'B': size = ParseNumber(line, value); break;
                case 'R': rootPath = value; break;
                case 'D': ttl = ParseNumber(line, value); break;
                case 'S': revision = ParseNumber(line, value); break;
                case 'G': gc = ParseYesNo(line, value); break;
                case 'A': alt = ParseYesNo(line, value); break;
                case 'N': name = value; break;
                case 'X': certificate = ParseHash(line, value, ObjectSuffix.Certificate); break;
                case 'H': history = ParseHash(line, value, ObjectSuffix.History); break;
                case 'T': published = ParseTime(line, value); break;
                case 'M': metaInfo = ParseHash(line, value, ObjectSuffix.MetaInfo); break;
                case 'Y': reflog = ParseHash(line, value, ObjectSuffix.None); break;
                case 'L': micro = ParseHash(line, value, ObjectSuffix.MicroCatalog); break;
                default: unknown.Add(line); break;
            }
        }

        return new CvmfsManifest(text)
        {
            RootCatalog = root ?? throw Missing('C'),
            RootCatalogSize = size,
            RootPathHash = rootPath ?? throw Missing('R'),
            CatalogTtl = ttl ?? throw Missing('D'),
            Revision = revision ?? throw Missing('S'),
            GarbageCollectable = gc,
            AlternativeNames = alt,
            RepositoryName = name,
            Certificate = certificate,
            History = history,
            PublishTime = published,
            MetaInfo = metaInfo,
            Reflog = reflog,
            MicroCatalog = micro,
            UnknownFields = unknown,
        };

        static CvmfsFormatException Missing(char letter) =>
            new(FileName, $"required field '{letter}' is missing.");
    }

    /// <summary>
    /// Recomputes the hash of the fields with the algorithm of the printed hash and compares.
    /// Returns the verified hash.
    /// </summary>
    /// <exception cref="CvmfsIntegrityException">The manifest is unsigned or the hash does not match.</exception>
    public ContentHash VerifyHash() => _text.VerifyHash(FileName);

    /// <summary>
    /// Verifies the hash and then the RSA PKCS#1 v1.5 / SHA-1 signature over the ASCII hex hash with the
    /// public key of <paramref name="certificate"/> (crypto/signature.cc Verify; publish/repository.cc).
    /// </summary>
    /// <exception cref="CvmfsIntegrityException">The hash or the signature does not verify.</exception>
    public void VerifySignature(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        VerifyHash();
        using RSA rsa = certificate.GetRSAPublicKey()
            ?? throw new CvmfsIntegrityException(CvmfsProblem.BadSignature, FileName, "the signing certificate has no RSA public key.");
        byte[] message = Encoding.ASCII.GetBytes(PrintedHash!);
        if (_text.Signature.Length == 0 || !rsa.VerifyData(message, _text.Signature, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1))
        {
            throw new CvmfsIntegrityException(CvmfsProblem.BadSignature, FileName, $"the RSA signature of hash {PrintedHash} does not verify with certificate '{certificate.Subject}'.");
        }
    }

    private static ContentHash ParseHash(string line, string value, char suffix) =>
        ContentHash.TryParse(value, suffix, out ContentHash hash)
            ? hash
            : throw new CvmfsFormatException(FileName, $"field '{line[0]}' is not a cvmfs hash: '{value}'.");

    private static long ParseNumber(string line, string value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long number)
            ? number
            : throw new CvmfsFormatException(FileName, $"field '{line[0]}' is not a number: '{value}'.");

    private static DateTimeOffset ParseTime(string line, string value)
    {
        long seconds = ParseNumber(line, value);
        return seconds >= DateTimeOffset.MinValue.ToUnixTimeSeconds() && seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : throw new CvmfsFormatException(FileName, $"field '{line[0]}' is not a time: {seconds} seconds since 1970 is out of range.");
    }

    private static bool ParseYesNo(string line, string value) => value switch
    {
        "yes" => true,
        "no" => false,
        _ => throw new CvmfsFormatException(FileName, $"field '{line[0]}' must be 'yes' or 'no', not '{value}'."),
    };
}
