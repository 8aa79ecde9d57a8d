using CernVM.Preserve.Core.Model;
using Xunit;

namespace CernVM.Preserve.Core.Tests.Model;

/// <summary>What a tree entry says of itself: whether it holds holes, its path for people, equality and hashing.</summary>
public sealed class TreeEntryTests
{
    private static readonly BlobId Blob = BlobId.Of("blob"u8);

    private static TreeEntry File(long size, params long[] extentLengths)
    {
        long offset = 0;
        var extents = new List<Extent>();
        foreach (long length in extentLengths)
        {
            extents.Add(new Extent(offset, length, Blob, offset));
            offset += length;
        }

        return new TreeEntry { Id = 2, Path = "f"u8.ToArray(), Kind = EntryKind.File, Size = size, Content = Blob, Extents = extents };
    }

    [Theory]
    [InlineData(100, new long[] { 100 }, false)]
    [InlineData(100, new long[] { 60, 40 }, false)]
    [InlineData(100, new long[] { 60, 39 }, true)]
    [InlineData(100, new long[0], true)]
    [InlineData(0, new long[0], false)]
    public void IsSparse_FewerStoredBytesThanItsSize(long size, long[] extents, bool sparse) =>
        Assert.Equal(sparse, File(size, extents).IsSparse);

    [Fact]
    public void IsSparse_NotARegularFileHoldingItsContent_IsFalse()
    {
        Assert.False((File(100) with { Kind = EntryKind.Directory }).IsSparse);
        Assert.False((File(100) with { Kind = EntryKind.Symlink }).IsSparse);
        Assert.False((File(100) with { HardlinkTo = 1 }).IsSparse);
    }

    [Fact]
    public void DisplayPath_IsThePathForPeople() =>
        Assert.Equal("usr/caf\\xe9", new TreeEntry { Path = [(byte)'u', (byte)'s', (byte)'r', (byte)'/', (byte)'c', (byte)'a', (byte)'f', 0xE9] }.DisplayPath);

    [Fact]
    public void Equals_SameRowInAnotherObject_IsEqualWithTheSameHash()
    {
        TreeEntry a = File(100, 100), b = File(100, 100);
        Assert.NotSame(a, b);
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.False(a.Equals(null));
        Assert.False(a.Equals((object)"f"));
        Assert.NotEqual(a, a with { Size = 101 });
        Assert.NotEqual(a, a with { Path = "g"u8.ToArray() });
    }

    [Fact]
    public void Observed_KnownOnlyWithAnInode()
    {
        Assert.True(new SourceObservation(0, 1, 0, 0).IsKnown);
        Assert.False(new SourceObservation(5, 0, 7, 8).IsKnown);
        Assert.False(default(SourceObservation).IsKnown);
    }

    [Fact]
    public void NewEntry_IsCapturedWithNothingStored()
    {
        var e = new TreeEntry { Path = [] };
        Assert.Equal(EntryState.Captured, e.State);
        Assert.Empty(e.Extents);
        Assert.Empty(e.XAttrs);
    }
}
