using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// A CernVM-FS content hash: algorithm, digest and the object suffix that says what the object is.
/// Printed in cvmfs notation, lower-case hex followed by the algorithm id (<c>""</c> for MD5 and
/// SHA-1, <c>-rmd160</c>, <c>-shake128</c>) (cvmfs/crypto/hash.h, <c>kAlgorithmIds</c>).
/// The hash always names the stored bytes, i.e. the zlib-compressed object (docs/CVMFS.md §2; cvmfs/crypto/hash.h).
/// </summary>
public readonly struct ContentHash : IEquatable<ContentHash>
{
    private readonly byte[]? _digest;

    /// <summary>Creates a hash from an algorithm and its digest bytes.</summary>
    /// <exception cref="ArgumentException">The digest length does not fit the algorithm, or the suffix is unknown.</exception>
    public ContentHash(CvmfsHashAlgorithm algorithm, ReadOnlySpan<byte> digest, char suffix = ObjectSuffix.None)
    {
        if (digest.Length != DigestSize(algorithm))
        {
            throw new ArgumentException($"A {algorithm} digest has {DigestSize(algorithm)} bytes, not {digest.Length}.", nameof(digest));
        }

        if (!ObjectSuffix.IsKnown(suffix))
        {
            throw new ArgumentException($"'{suffix}' is not a cvmfs object suffix.", nameof(suffix));
        }

        Algorithm = algorithm;
        _digest = digest.ToArray();
        Suffix = suffix;
    }

    /// <summary>The hash algorithm.</summary>
    public CvmfsHashAlgorithm Algorithm { get; }

    /// <summary>The raw digest.</summary>
    public ReadOnlySpan<byte> Digest => _digest;

    /// <summary>The object suffix (<see cref="ObjectSuffix"/>), <c>'\0'</c> for none.</summary>
    public char Suffix { get; }

    /// <summary>Whether this is the default value rather than a real hash.</summary>
    public bool IsEmpty => _digest is null;

    /// <summary>Lower-case hex of the digest, without algorithm id or suffix.</summary>
    public string Hex => Convert.ToHexStringLower(_digest ?? []);

    /// <summary>The algorithm id appended to the hex form (cvmfs/crypto/hash.cc <c>kAlgorithmIds</c>).</summary>
    public string AlgorithmId => AlgorithmIdOf(Algorithm);

    /// <summary>The object name as it appears in a directory listing: hex, algorithm id and suffix.</summary>
    public string ObjectName => Suffix == ObjectSuffix.None ? ToString() : ToString() + Suffix;

    /// <summary>
    /// The object path relative to the repository root, <c>data/XX/rest&lt;algo id&gt;&lt;suffix&gt;</c>
    /// (cvmfs/crypto/hash.h <c>MakePath</c>: one directory level of two hex digits).
    /// </summary>
    public string ObjectPath
    {
        get
        {
            string hex = Hex;
            return $"data/{hex[..2]}/{hex[2..]}{AlgorithmId}{(Suffix == ObjectSuffix.None ? string.Empty : Suffix.ToString())}";
        }
    }

    /// <summary>The digest size of <paramref name="algorithm"/> in bytes.</summary>
    public static int DigestSize(CvmfsHashAlgorithm algorithm) => algorithm switch
    {
        CvmfsHashAlgorithm.Md5 => 16,
        CvmfsHashAlgorithm.Sha1 or CvmfsHashAlgorithm.Ripemd160 or CvmfsHashAlgorithm.Shake128 => 20,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown cvmfs hash algorithm."),
    };

    /// <summary>Hashes <paramref name="data"/> with <paramref name="algorithm"/>.</summary>
    /// <exception cref="PlatformNotSupportedException">SHAKE-128 is requested and the platform's crypto library lacks it.</exception>
    public static ContentHash Compute(CvmfsHashAlgorithm algorithm, ReadOnlySpan<byte> data, char suffix = ObjectSuffix.None)
    {
        byte[] digest = algorithm switch
        {
            CvmfsHashAlgorithm.Md5 => MD5.HashData(data),
            CvmfsHashAlgorithm.Sha1 => SHA1.HashData(data),
            CvmfsHashAlgorithm.Ripemd160 => Ripemd160.HashData(data),
            CvmfsHashAlgorithm.Shake128 => Shake128.IsSupported
                ? Shake128.HashData(data, 20)
                : throw new PlatformNotSupportedException("SHAKE-128 is not supported by this platform's cryptography library; it is needed for -shake128 repositories."),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown cvmfs hash algorithm."),
        };
        return new ContentHash(algorithm, digest, suffix);
    }

    /// <summary>Parses cvmfs notation <c>&lt;hex&gt;[-rmd160|-shake128]</c>; the suffix is supplied separately.</summary>
    /// <exception cref="FormatException"><paramref name="text"/> is not a cvmfs hash.</exception>
    public static ContentHash Parse(string text, char suffix = ObjectSuffix.None)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, suffix, out ContentHash hash)
            ? hash
            : throw new FormatException($"'{text}' is not a cvmfs content hash (<hex>[-rmd160|-shake128]).");
    }

    /// <summary>Tries to parse cvmfs notation <c>&lt;hex&gt;[-rmd160|-shake128]</c>.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, char suffix, out ContentHash hash)
    {
        hash = default;
        if (text is null || !ObjectSuffix.IsKnown(suffix))
        {
            return false;
        }

        CvmfsHashAlgorithm algorithm;
        string hex;
        if (text.EndsWith("-rmd160", StringComparison.Ordinal))
        {
            algorithm = CvmfsHashAlgorithm.Ripemd160;
            hex = text[..^7];
        }
        else if (text.EndsWith("-shake128", StringComparison.Ordinal))
        {
            algorithm = CvmfsHashAlgorithm.Shake128;
            hex = text[..^9];
        }
        else
        {
            // No id: SHA-1 (40 hex digits) or MD5 (32), distinguished by length as cvmfs does.
            hex = text;
            algorithm = text.Length == 32 ? CvmfsHashAlgorithm.Md5 : CvmfsHashAlgorithm.Sha1;
        }

        if (hex.Length != DigestSize(algorithm) * 2 || !IsHex(hex))
        {
            return false;
        }

        hash = new ContentHash(algorithm, Convert.FromHexString(hex), suffix);
        return true;
    }

    /// <summary>
    /// Whether <paramref name="text"/> is the null hash: hex digits that are all zero, with or without an
    /// algorithm id. cvmfs_server writes it where there is no hash to give, e.g. the <c>previous_revision</c>
    /// of a nested catalog committed for the first time (docs/CVMFS.md §4.3; cvmfs/catalog_mgr_rw.cc
    /// SnapshotCatalog, cvmfs/crypto/hash.h <c>shash::Any()</c> prints as zeros).
    /// </summary>
    public static bool IsNull(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string hex = text.EndsWith("-rmd160", StringComparison.Ordinal) ? text[..^7]
            : text.EndsWith("-shake128", StringComparison.Ordinal) ? text[..^9]
            : text;
        return hex.Length > 0 && hex.AsSpan().IndexOfAnyExcept('0') < 0;
    }

    /// <summary>
    /// Parses an object name as found in <c>data/XX/</c> joined with its directory: hex, algorithm id,
    /// then an optional suffix character.
    /// </summary>
    /// <exception cref="FormatException"><paramref name="objectName"/> is not an object name.</exception>
    public static ContentHash ParseObjectName(string objectName)
    {
        ArgumentNullException.ThrowIfNull(objectName);
        if (objectName.Length > 0 && char.IsAsciiLetterUpper(objectName[^1]) && TryParse(objectName[..^1], objectName[^1], out ContentHash withSuffix))
        {
            return withSuffix;
        }

        return Parse(objectName);
    }

    /// <summary>The same hash with another object suffix.</summary>
    public ContentHash WithSuffix(char suffix) => new(Algorithm, Digest, suffix);

    /// <summary>Whether algorithm and digest are equal, ignoring the suffix.</summary>
    public bool DigestEquals(ContentHash other) =>
        Algorithm == other.Algorithm && Digest.SequenceEqual(other.Digest);

    /// <summary>cvmfs notation: lower-case hex and algorithm id, without suffix.</summary>
    public override string ToString() => IsEmpty ? string.Empty : Hex + AlgorithmId;

    public bool Equals(ContentHash other) => Suffix == other.Suffix && DigestEquals(other);

    public override bool Equals(object? obj) => obj is ContentHash other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Algorithm);
        hash.Add(Suffix);
        hash.AddBytes(Digest);
        return hash.ToHashCode();
    }

    public static bool operator ==(ContentHash left, ContentHash right) => left.Equals(right);

    public static bool operator !=(ContentHash left, ContentHash right) => !left.Equals(right);

    internal static string AlgorithmIdOf(CvmfsHashAlgorithm algorithm) => algorithm switch
    {
        CvmfsHashAlgorithm.Ripemd160 => "-rmd160",
        CvmfsHashAlgorithm.Shake128 => "-shake128",
        _ => string.Empty,
    };

    private static bool IsHex(string text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
