using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Archiver;
using CernVM.Preserve.Posix;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

public class TreeCountsTests
{
    [Fact]
    public async Task Of_TreeWithExclusionsAndHardLinks_CountsCapturedEntriesByKindAndTheOthersApart()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        string one = f.Write("keep/one", new byte[1000]);
        PosixFs.HardLink(PosixFs.FromString(one), PosixFs.FromString(Path.Combine(f.Tree, "keep/one-again")));
        f.Write("keep/two", new byte[24]);
        f.Write("keep/big.gz", new byte[50_000]);
        f.Write("drop/inside", new byte[70_000]);
        File.CreateSymbolicLink(Path.Combine(f.Tree, "link"), "keep/one");

        (List<TreeEntry> entries, _) = f.Scan(f.Source("*.gz", "/drop"));
        TreeCounts c = TreeCounts.Of(entries);

        Assert.Equal(new TreeCounts(Entries: 8, Directories: 2, Files: 2, Symlinks: 1, Hardlinks: 1, Specials: 0, Excluded: 2, Pseudo: 0, Unreadable: 0, Bytes: 1024, Blobs: 0), c);
        Assert.Equal(c.Entries, c.Directories + c.Files + c.Symlinks + c.Hardlinks + c.Specials + c.Excluded + c.Pseudo + c.Unreadable);
    }
}

public class UnchangedFilesTests
{
    private static TreeEntry Before() => new()
    {
        Id = 2, Path = "f"u8.ToArray(), Kind = EntryKind.File, Size = 3, MtimeSeconds = 10, CtimeSeconds = 11, SourceInode = 42, SourceDevice = 7,
        Content = BlobId.Of("abc"u8), Extents = [new Extent(0, 3, BlobId.Of("bundle"u8), 100)],
    };

    private static TreeEntry Now(Action<TreeEntry>? change = null)
    {
        var e = new TreeEntry { Id = 2, Path = "f"u8.ToArray(), Kind = EntryKind.File, Size = 3, MtimeSeconds = 10, CtimeSeconds = 11, SourceInode = 42, SourceDevice = 7 };
        change?.Invoke(e);
        return e;
    }

    [Fact]
    public void TryReuse_SameSizeTimesAndInode_TakesContentAndExtents()
    {
        TreeEntry now = Now();
        Assert.True(new UnchangedFiles([Before()]).TryReuse(now));
        Assert.Equal(BlobId.Of("abc"u8), now.Content);
        Assert.Equal(Before().Extents, now.Extents);
    }

    [Theory]
    [InlineData("size")]
    [InlineData("mtime")]
    [InlineData("ctime")]
    [InlineData("inode")]
    [InlineData("device")]
    [InlineData("no inode")]
    public void TryReuse_AnyObservationDiffers_ReadsAgain(string what)
    {
        TreeEntry now = Now(e =>
        {
            switch (what)
            {
                case "size": e.Size = 4; break;
                case "mtime": e.MtimeNanoseconds = 1; break;
                case "ctime": e.CtimeSeconds = 12; break;
                case "inode": e.SourceInode = 43; break;
                case "device": e.SourceDevice = 8; break;
                case "no inode": e.SourceInode = 0; break;
            }
        });
        Assert.False(new UnchangedFiles([Before()]).TryReuse(now));
        Assert.Null(now.Content);
    }
}
