using Xunit;
using CernVM.Preserve.Core.Chunking;

namespace CernVM.Preserve.Core.Tests.Chunking;

public class FastCdcTests
{
    private static readonly FastCdc Chunker = new(16 * 1024, 64 * 1024, 256 * 1024);

    private static List<int> Cut(byte[] data)
    {
        var sizes = new List<int>();
        int pos = 0;
        while (pos < data.Length)
        {
            int rest = data.Length - pos;
            int n = Chunker.NextCut(data.AsSpan(pos, Math.Min(rest, Chunker.MaxSize)), final: rest <= Chunker.MaxSize);
            sizes.Add(n);
            pos += n;
        }

        return sizes;
    }

    private static byte[] Random(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Fact]
    public void NextCut_RandomData_RespectsBoundsAndAveragesNearTarget()
    {
        List<int> sizes = Cut(Random(8 * 1024 * 1024, 1));
        Assert.All(sizes.SkipLast(1), s => Assert.InRange(s, Chunker.MinSize, Chunker.MaxSize));
        double average = sizes.SkipLast(1).Average();
        Assert.InRange(average, Chunker.AverageSize / 2.0, Chunker.AverageSize * 2.0);
    }

    [Fact]
    public void NextCut_SameData_SameCuts() => Assert.Equal(Cut(Random(2_000_000, 7)), Cut(Random(2_000_000, 7)));

    [Fact]
    public void NextCut_InsertionNearTheStart_KeepsLaterChunks()
    {
        byte[] original = Random(4 * 1024 * 1024, 3);
        byte[] edited = [.. original.AsSpan(0, 1000), .. "inserted bytes"u8, .. original.AsSpan(1000)];
        var a = Boundaries(original, 0);
        var b = Boundaries(edited, 14);
        // Cut points after the edit realign: most boundaries of the original reappear, shifted by 14 bytes.
        int shared = a.Intersect(b).Count();
        Assert.True(shared >= a.Count - 3, $"only {shared} of {a.Count} boundaries survived an insertion");
    }

    [Fact]
    public void NextCut_ZeroBytes_CutsAtMaximum()
    {
        List<int> sizes = Cut(new byte[1024 * 1024]);
        Assert.All(sizes.SkipLast(1), s => Assert.Equal(Chunker.MaxSize, s));
    }

    [Fact]
    public void NextCut_ShortFinalData_IsOneChunk() => Assert.Equal([100], Cut(Random(100, 2)));

    [Fact]
    public void NextCut_NotFinalAndTooShort_Throws() =>
        Assert.Throws<ArgumentException>(() => Chunker.NextCut(new byte[Chunker.MaxSize - 1], final: false));

    private static HashSet<long> Boundaries(byte[] data, int shift)
    {
        var set = new HashSet<long>();
        long pos = 0;
        foreach (int s in Cut(data))
        {
            pos += s;
            if (pos > 2000)
            {
                set.Add(pos - shift);
            }
        }

        return set;
    }
}
