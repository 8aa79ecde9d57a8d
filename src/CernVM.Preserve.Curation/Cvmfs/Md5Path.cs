using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// The catalog key of a path: MD5 of the absolute path inside the repository (root = <c>""</c>),
/// bytes 0-7 and 8-15 read as little-endian signed 64-bit integers into <c>md5path_1</c> and
/// <c>md5path_2</c> (catalog_sql.h BindMd5/RetrieveMd5; crypto/hash.cc Md5::ToIntPair).
/// Printed as the 32 hex digits of the MD5.
/// </summary>
public readonly record struct Md5Path(long Part1, long Part2)
{
    /// <summary>The parent key of the repository root, (0, 0).</summary>
    public static Md5Path None => default;

    /// <summary>The key of <paramref name="path"/> (e.g. <c>""</c> or <c>/dir/file</c>).</summary>
    public static Md5Path FromPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Span<byte> md5 = stackalloc byte[16];
        MD5.HashData(Encoding.UTF8.GetBytes(path), md5);
        return FromDigest(md5);
    }

    /// <summary>The key of a 16-byte MD5 digest.</summary>
    public static Md5Path FromDigest(ReadOnlySpan<byte> md5) =>
        md5.Length == 16
            ? new Md5Path(BinaryPrimitives.ReadInt64LittleEndian(md5[..8]), BinaryPrimitives.ReadInt64LittleEndian(md5[8..]))
            : throw new ArgumentException("An MD5 digest has 16 bytes.", nameof(md5));

    /// <summary>Parses 32 hex digits.</summary>
    /// <exception cref="FormatException">Not 32 hex digits.</exception>
    public static Md5Path Parse(string text) =>
        TryParse(text, out Md5Path value) ? value : throw new FormatException($"'{text}' is not an MD5 path hash (32 hex digits).");

    /// <summary>Tries to parse 32 hex digits.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out Md5Path value)
    {
        value = default;
        if (text is null || text.Length != 32)
        {
            return false;
        }

        try
        {
            value = FromDigest(Convert.FromHexString(text));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>The MD5 digest bytes.</summary>
    public byte[] ToDigest()
    {
        var digest = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(digest.AsSpan(0, 8), Part1);
        BinaryPrimitives.WriteInt64LittleEndian(digest.AsSpan(8, 8), Part2);
        return digest;
    }

    /// <summary>The 32 lower-case hex digits of the MD5.</summary>
    public override string ToString() => Convert.ToHexStringLower(ToDigest());
}
