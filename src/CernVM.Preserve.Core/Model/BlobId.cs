using System.Security.Cryptography;

namespace CernVM.Preserve.Core.Model;

/// <summary>
/// The name of a blob: the SHA-256 of its uncompressed bytes (FORMAT.md §4). Written as 64 lower-case
/// hex digits; stored under <c>blobs/sha256/&lt;first two digits&gt;/&lt;all 64 digits&gt;</c>.
/// </summary>
public readonly struct BlobId : IEquatable<BlobId>, IComparable<BlobId>
{
    private readonly ulong _a, _b, _c, _d;

    private BlobId(ReadOnlySpan<byte> digest)
    {
        _a = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest);
        _b = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest[8..]);
        _c = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest[16..]);
        _d = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest[24..]);
    }

    /// <summary>Wraps a 32-byte SHA-256 digest.</summary>
    /// <exception cref="ArgumentException">The digest is not 32 bytes long.</exception>
    public static BlobId FromDigest(ReadOnlySpan<byte> digest)
    {
        if (digest.Length != 32)
        {
            throw new ArgumentException("A SHA-256 digest has 32 bytes.", nameof(digest));
        }

        return new BlobId(digest);
    }

    /// <summary>Hashes <paramref name="content"/>: the id a blob holding exactly these bytes has.</summary>
    public static BlobId Of(ReadOnlySpan<byte> content)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(content, digest);
        return new BlobId(digest);
    }

    /// <summary>Parses 64 hex digits (either case).</summary>
    /// <exception cref="FormatException">The text is not 64 hex digits.</exception>
    public static BlobId Parse(string text) =>
        TryParse(text, out BlobId id) ? id : throw new FormatException($"'{text}' is not a SHA-256 blob id (64 hex digits).");

    public static bool TryParse(ReadOnlySpan<char> text, out BlobId id)
    {
        id = default;
        if (text.Length != 64)
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[32];
        if (Convert.FromHexString(text, digest, out _, out int written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            return false;
        }

        id = new BlobId(digest);
        return true;
    }

    /// <summary>The 32 digest bytes.</summary>
    public byte[] ToDigest()
    {
        var digest = new byte[32];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(digest, _a);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(digest.AsSpan(8), _b);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(digest.AsSpan(16), _c);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(digest.AsSpan(24), _d);
        return digest;
    }

    /// <summary>The 256 levels blob keys go under (<c>blobs/sha256/00/</c> to <c>blobs/sha256/ff/</c>, FORMAT.md §2).</summary>
    public static IReadOnlyList<string> KeyLevels { get; } = [.. Enumerable.Range(0, 256).Select(i => $"blobs/sha256/{i:x2}/")];

    /// <summary>The storage key of the blob (FORMAT.md §4).</summary>
    public string Key
    {
        get
        {
            string hex = ToString();
            return $"blobs/sha256/{hex[..2]}/{hex}";
        }
    }

    public override string ToString() => Convert.ToHexStringLower(ToDigest());

    public bool Equals(BlobId other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is BlobId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    public int CompareTo(BlobId other)
    {
        int c = _a.CompareTo(other._a);
        if (c != 0) return c;
        c = _b.CompareTo(other._b);
        if (c != 0) return c;
        c = _c.CompareTo(other._c);
        return c != 0 ? c : _d.CompareTo(other._d);
    }

    public static bool operator ==(BlobId left, BlobId right) => left.Equals(right);

    public static bool operator !=(BlobId left, BlobId right) => !left.Equals(right);
}
