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
        Id = 2, Path = "f"u8.ToArray(), Kind = EntryKind.File, Size = 3, MtimeSeconds = 10, Observed = new SourceObservation(7, 42, 11, 0),
        Content = BlobId.Of("abc"u8), Extents = [new Extent(0, 3, BlobId.Of("bundle"u8), 100)],
    };

    private static TreeEntry Now() => new() { Id = 2, Path = "f"u8.ToArray(), Kind = EntryKind.File, Size = 3, MtimeSeconds = 10, Observed = new SourceObservation(7, 42, 11, 0) };

    [Fact]
    public void TryReuse_NothingChanged_GivesThePreviousEntryItself()
    {
        TreeEntry before = Before();
        Assert.Same(before, new UnchangedFiles([before]).TryReuse(Now()));
    }

    [Fact]
    public void TryReuse_ContentUnchangedButModeChanged_TakesContentAndExtentsIntoTheNewEntry()
    {
        TreeEntry reused = new UnchangedFiles([Before()]).TryReuse(Now() with { Mode = 0x1A4 })!;
        Assert.Equal(0x1A4, reused.Mode);
        Assert.Equal(BlobId.Of("abc"u8), reused.Content);
        Assert.Equal(Before().Extents, reused.Extents);
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
        TreeEntry n = Now();
        TreeEntry now = what switch
        {
            "size" => n with { Size = 4 },
            "mtime" => n with { MtimeNanoseconds = 1 },
            "ctime" => n with { Observed = n.Observed with { CtimeSeconds = 12 } },
            "inode" => n with { Observed = n.Observed with { Inode = 43 } },
            "device" => n with { Observed = n.Observed with { Device = 8 } },
            _ => n with { Observed = default },
        };
        Assert.Null(new UnchangedFiles([Before()]).TryReuse(now));
    }

    // Each condition on the previous entry alone (survivors of the mutation run, docs/security.md): its content
    // is reused only when it was a captured regular file of its own, with a content id, seen by a source that
    // observes inodes.
    [Theory]
    [InlineData("hard link")]
    [InlineData("excluded")]
    [InlineData("symlink")]
    [InlineData("no content")]
    [InlineData("no inodes either time")]
    public void TryReuse_PreviousEntryNotAReusableFile_ReadsAgain(string what)
    {
        TreeEntry b = Before();
        TreeEntry n = Now();
        (TreeEntry before, TreeEntry now) = what switch
        {
            "hard link" => (b with { HardlinkTo = 1 }, n),
            "excluded" => (b with { State = EntryState.Excluded }, n),
            "symlink" => (b with { Kind = EntryKind.Symlink }, n),
            "no content" => (b with { Content = null }, n),
            _ => (b with { Observed = default }, n with { Observed = default }),
        };
        Assert.Null(new UnchangedFiles([before]).TryReuse(now));
    }
}
