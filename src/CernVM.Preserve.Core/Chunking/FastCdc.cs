using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace CernVM.Preserve.Core.Chunking;

/// <summary>
/// Content-defined chunking with a 64-bit gear rolling hash and normalised chunking, after FastCDC
/// (Xia et al., USENIX ATC 2016). Cut points depend only on content, so an insertion near the start of a
/// large file moves only the chunks around it, and a new capsule version stores only what changed
/// (FORMAT.md §4.3). Readers never need this: it only decides where writers cut.
/// </summary>
public sealed class FastCdc
{
    private static readonly ulong[] Gear = BuildGear();

    private readonly ulong _maskSmall;
    private readonly ulong _maskLarge;

    /// <param name="minSize">No chunk is smaller, except the last of a file.</param>
    /// <param name="averageSize">Target average; must be a power of two.</param>
    /// <param name="maxSize">No chunk is larger.</param>
    public FastCdc(int minSize, int averageSize, int maxSize)
    {
        if (minSize <= 0 || averageSize <= minSize || maxSize <= averageSize || !BitOperations.IsPow2(averageSize))
        {
            throw new ArgumentException("Chunk sizes must satisfy 0 < min < average < max, average a power of two.");
        }

        MinSize = minSize;
        AverageSize = averageSize;
        MaxSize = maxSize;
        int bits = BitOperations.Log2((uint)averageSize);

        // Normalised chunking level 2: harder to cut before the average, easier after (FastCDC §3.3).
        _maskSmall = TopBits(bits + 2);
        _maskLarge = TopBits(bits - 2);
    }

    public int MinSize { get; }

    public int AverageSize { get; }

    public int MaxSize { get; }

    /// <summary>
    /// The length of the next chunk at the start of <paramref name="data"/>. The caller passes at least
    /// <see cref="MaxSize"/> bytes unless the data ends sooner, in which case <paramref name="final"/> is true.
    /// </summary>
    public int NextCut(ReadOnlySpan<byte> data, bool final)
    {
        int n = data.Length;
        if (n <= MinSize)
        {
            return final ? n : throw new ArgumentException("Pass at least MaxSize bytes unless the data is final.");
        }

        if (n > MaxSize)
        {
            n = MaxSize;
        }
        else if (!final && n < MaxSize)
        {
            throw new ArgumentException("Pass at least MaxSize bytes unless the data is final.");
        }

        int normal = Math.Min(AverageSize, n);
        ulong fp = 0;
        int i = MinSize;

        // The hot loop of a snapshot of large files: no bounds checks (i < n <= data.Length, a byte indexes
        // a table of 256).
        ref byte d = ref MemoryMarshal.GetReference(data);
        ref ulong gear = ref MemoryMarshal.GetArrayDataReference(Gear);
        ulong maskSmall = _maskSmall;
        for (; i < normal; i++)
        {
            fp = (fp << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref d, i));
            if ((fp & maskSmall) == 0)
            {
                return i + 1;
            }
        }

        ulong maskLarge = _maskLarge;
        for (; i < n; i++)
        {
            fp = (fp << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref d, i));
            if ((fp & maskLarge) == 0)
            {
                return i + 1;
            }
        }

        return n;
    }

    private static ulong TopBits(int count) => count <= 0 ? 0 : ulong.MaxValue << (64 - count);

    // The gear table is SHA-256("cernvm-preserve gear " + i) truncated to 64 bits: fixed, documented in
    // FORMAT.md §4.3, so that every writer cuts the same content at the same places.
    private static ulong[] BuildGear()
    {
        var table = new ulong[256];
        for (int i = 0; i < 256; i++)
        {
            byte[] d = SHA256.HashData(System.Text.Encoding.ASCII.GetBytes($"cernvm-preserve gear {i}"));
            table[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(d);
        }

        return table;
    }
}
