using System.Buffers.Binary;
using System.Numerics;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// RIPEMD-160 (Dobbertin, Bosselaers, Preneel, 1996), written from the published specification
/// because .NET has no implementation and cvmfs repositories may use it (<c>CVMFS_HASH_ALGORITHM=rmd160</c>).
/// Only one-shot hashing is needed: objects are hashed whole after download.
/// </summary>
public static class Ripemd160
{
    /// <summary>Digest size in bytes.</summary>
    public const int HashSizeInBytes = 20;

    // Message word selection for the left (R) and right (Rp) lines, five rounds of 16 steps.
    private static ReadOnlySpan<byte> R =>
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
        3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
        1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
        4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13,
    ];

    private static ReadOnlySpan<byte> Rp =>
    [
        5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
        6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
        15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
        8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
        12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11,
    ];

    // Rotation amounts for the left (S) and right (Sp) lines.
    private static ReadOnlySpan<byte> S =>
    [
        11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
        7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
        11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
        11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
        9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6,
    ];

    private static ReadOnlySpan<byte> Sp =>
    [
        8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
        9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
        9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
        15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
        8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11,
    ];

    private static ReadOnlySpan<uint> K => [0x00000000u, 0x5A827999u, 0x6ED9EBA1u, 0x8F1BBCDCu, 0xA953FD4Eu];

    private static ReadOnlySpan<uint> Kp => [0x50A28BE6u, 0x5C4DD124u, 0x6D703EF3u, 0x7A6D76E9u, 0x00000000u];

    /// <summary>Computes the RIPEMD-160 digest of <paramref name="data"/>.</summary>
    public static byte[] HashData(ReadOnlySpan<byte> data)
    {
        Span<uint> h = [0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u];
        Span<uint> x = stackalloc uint[16];

        int fullBlocks = data.Length / 64;
        for (int b = 0; b < fullBlocks; b++)
        {
            LoadBlock(data.Slice(b * 64, 64), x);
            Compress(h, x);
        }

        // Padding as in MD4: 0x80, zeros, then the bit length as a little-endian 64-bit integer.
        ReadOnlySpan<byte> rest = data[(fullBlocks * 64)..];
        Span<byte> tail = stackalloc byte[128];
        tail.Clear();
        rest.CopyTo(tail);
        tail[rest.Length] = 0x80;
        int tailLength = rest.Length < 56 ? 64 : 128;
        BinaryPrimitives.WriteUInt64LittleEndian(tail.Slice(tailLength - 8, 8), (ulong)data.Length * 8);
        for (int offset = 0; offset < tailLength; offset += 64)
        {
            LoadBlock(tail.Slice(offset, 64), x);
            Compress(h, x);
        }

        var digest = new byte[HashSizeInBytes];
        for (int i = 0; i < 5; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(digest.AsSpan(i * 4, 4), h[i]);
        }

        return digest;
    }

    private static void LoadBlock(ReadOnlySpan<byte> block, Span<uint> x)
    {
        for (int i = 0; i < 16; i++)
        {
            x[i] = BinaryPrimitives.ReadUInt32LittleEndian(block.Slice(i * 4, 4));
        }
    }

    private static uint F(int round, uint x, uint y, uint z) => round switch
    {
        0 => x ^ y ^ z,
        1 => (x & y) | (~x & z),
        2 => (x | ~y) ^ z,
        3 => (x & z) | (y & ~z),
        _ => x ^ (y | ~z),
    };

    private static void Compress(Span<uint> h, ReadOnlySpan<uint> x)
    {
        uint al = h[0], bl = h[1], cl = h[2], dl = h[3], el = h[4];
        uint ar = h[0], br = h[1], cr = h[2], dr = h[3], er = h[4];
        for (int j = 0; j < 80; j++)
        {
            int round = j / 16;

            uint t = BitOperations.RotateLeft(al + F(round, bl, cl, dl) + x[R[j]] + K[round], S[j]) + el;
            al = el;
            el = dl;
            dl = BitOperations.RotateLeft(cl, 10);
            cl = bl;
            bl = t;

            // The right line runs the boolean functions in reverse order.
            t = BitOperations.RotateLeft(ar + F(4 - round, br, cr, dr) + x[Rp[j]] + Kp[round], Sp[j]) + er;
            ar = er;
            er = dr;
            dr = BitOperations.RotateLeft(cr, 10);
            cr = br;
            br = t;
        }

        uint combined = h[1] + cl + dr;
        h[1] = h[2] + dl + er;
        h[2] = h[3] + el + ar;
        h[3] = h[4] + al + br;
        h[4] = h[0] + bl + cr;
        h[0] = combined;
    }
}
