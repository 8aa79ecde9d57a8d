using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using CernVM.Preserve.Core.Chunking;
using Xunit;

namespace CernVM.Preserve.Core.Tests.Chunking;

/// <summary>
/// <see cref="FastCdc"/> against a plain reading of FORMAT.md §4.3 (`fastcdc-gear64-nc2`): every writer cuts the
/// same content at the same places, so a change of the gear table, the masks, the hash step or the bounds
/// re-chunks every large file and loses the deduplication between versions made before and after it. The
/// reference below is written for clarity, byte by byte, without the product's unchecked indexing.
/// </summary>
public sealed class FastCdcSpecificationTests
{
    private static readonly ulong[] Gear = Enumerable.Range(0, 256)
        .Select(i => BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.ASCII.GetBytes($"cernvm-preserve gear {i}"))))
        .ToArray();

    /// <summary>The cut FORMAT.md §4.3 describes: gear hash from the minimum on, the top log2(average)+2 bits zero before the average, the top log2(average)-2 bits after, at most the maximum.</summary>
    private static int ReferenceCut(byte[] data, int offset, int length, int min, int average, int max)
    {
        if (length <= min)
        {
            return length;
        }

        int n = Math.Min(length, max);
        int bits = (int)Math.Log2(average);
        ulong small = Top(bits + 2);
        ulong large = Top(bits - 2);
        ulong fp = 0;
        for (int i = min; i < n; i++)
        {
            fp = unchecked((fp << 1) + Gear[data[offset + i]]);
            if ((fp & (i < Math.Min(average, n) ? small : large)) == 0)
            {
                return i + 1;
            }
        }

        return n;

        static ulong Top(int count) => count <= 0 ? 0 : ulong.MaxValue << (64 - count);
    }

    private static List<int> Cuts(byte[] data, Func<int, int, int> cut)
    {
        var sizes = new List<int>();
        for (int pos = 0; pos < data.Length;)
        {
            int n = cut(pos, data.Length - pos);
            sizes.Add(n);
            pos += n;
        }

        return sizes;
    }

    private static byte[] Data(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);

        // Runs of one byte and of text among the noise, as in real files.
        for (int at = 100_000; at + 70_000 < n; at += 900_000)
        {
            b.AsSpan(at, 50_000).Fill((byte)(seed + at));
            Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("      CALL HBOOK1(10,'PT',100,0.,10.,0.)\n", 600))).AsSpan(0, 20_000).CopyTo(b.AsSpan(at + 50_000));
        }

        return b;
    }

    [Theory]
    [InlineData(256 * 1024, 1024 * 1024, 4 * 1024 * 1024, 24 * 1024 * 1024, 1)] // the reference writer's sizes
    [InlineData(16 * 1024, 64 * 1024, 256 * 1024, 6 * 1024 * 1024, 2)]
    [InlineData(1024, 4096, 16 * 1024, 1024 * 1024, 3)]
    [InlineData(2, 4, 64, 64 * 1024, 4)] // log2(average) - 2 = 0: no mask after the average, a cut at the first byte there
    [InlineData(3, 8, 64, 64 * 1024, 5)] // odd bounds: the product rolls two bytes a step, and a cut may fall on either
    [InlineData(7, 32, 97, 256 * 1024, 6)]
    [InlineData(1, 4, 9, 16 * 1024, 7)]
    public void NextCut_CutsWhereTheFormatSays(int min, int average, int max, int size, int seed)
    {
        var chunker = new FastCdc(min, average, max);
        byte[] data = Data(size, seed);

        List<int> product = Cuts(data, (pos, rest) => chunker.NextCut(data.AsSpan(pos, Math.Min(rest, max)), final: rest <= max));
        List<int> reference = Cuts(data, (pos, rest) => ReferenceCut(data, pos, rest, min, average, max));

        Assert.Equal(reference, product);
        Assert.True(product.Count > 3, $"only {product.Count} chunks: the data does not exercise the cuts");
        Assert.Contains(product.SkipLast(1), s => s < average);
        Assert.Contains(product.SkipLast(1), s => s > average);
    }

    [Theory]
    [InlineData(0, 2, 4)]
    [InlineData(-1, 2, 4)]
    [InlineData(2, 2, 4)]
    [InlineData(4, 2, 8)]
    [InlineData(1, 4, 4)]
    [InlineData(1, 4, 3)]
    [InlineData(1, 6, 8)]
    public void Constructor_SizesOutOfOrderOrAverageNotAPowerOfTwo_Throws(int min, int average, int max) =>
        Assert.Equal(
            "Chunk sizes must satisfy 0 < min < average < max, average a power of two.",
            Assert.Throws<ArgumentException>(() => new FastCdc(min, average, max)).Message);

    [Fact]
    public void Constructor_SmallestValidSizes_AreAccepted()
    {
        var chunker = new FastCdc(1, 2, 3);
        Assert.Equal((1, 2, 3), (chunker.MinSize, chunker.AverageSize, chunker.MaxSize));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1024)]
    public void NextCut_FinalDataUpToTheMinimum_IsOneChunk(int length) =>
        Assert.Equal(length, new FastCdc(1024, 4096, 16384).NextCut(new byte[length], final: true));

    [Theory]
    [InlineData(1024)]
    [InlineData(1025)]
    [InlineData(16383)]
    public void NextCut_NotFinalAndShorterThanTheMaximum_Throws(int length) =>
        Assert.Equal(
            "Pass at least MaxSize bytes unless the data is final.",
            Assert.Throws<ArgumentException>(() => new FastCdc(1024, 4096, 16384).NextCut(new byte[length], final: false)).Message);

    [Theory]
    [InlineData(16384, false)]
    [InlineData(16385, false)]
    [InlineData(100_000, true)]
    public void NextCut_ZerosOfTheMaximumOrMore_CutAtTheMaximum(int length, bool final) =>
        Assert.Equal(16384, new FastCdc(1024, 4096, 16384).NextCut(new byte[length], final));

    [Fact]
    public void NextCut_FinalZerosBetweenMinimumAndMaximum_AreOneChunk() =>
        Assert.Equal(5000, new FastCdc(1024, 4096, 16384).NextCut(new byte[5000], final: true));

    /// <summary>
    /// The bytes after the window never decide the cut: zeros up to the maximum (where no cut falls), then each
    /// byte value in turn, some of which would complete a match at the maximum's position if the window were one
    /// byte longer (the reference confirms that at least one does, so the test can tell).
    /// </summary>
    [Fact]
    public void NextCut_ByteJustPastTheMaximum_IsNotLookedAt()
    {
        var cdc = new FastCdc(64, 256, 1024);
        int wouldCut = 0;
        for (int b = 0; b < 256; b++)
        {
            byte[] data = new byte[1024 + 2];
            data[1024] = (byte)b;
            Assert.Equal(1024, cdc.NextCut(data, final: false));

            // With a window two bytes longer, this byte completes a match: a cut right after it.
            if (ReferenceCut(data, 0, data.Length, 64, 256, 1024 + 2) == 1024 + 1)
            {
                wouldCut++;
            }
        }

        Assert.NotEqual(0, wouldCut);
    }
}
