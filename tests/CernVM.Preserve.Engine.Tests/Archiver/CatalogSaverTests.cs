using System.Threading.Channels;
using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Archiver;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

public class CatalogSaverTests
{
    private static async Task<(List<TreeEntry> Entries, byte[]? Catalog)> SaveAsync(ArchiverFixture f, IReadOnlyList<TreeEntry>? previous, ITreeSource? tree = null)
    {
        ITreeSource source = tree ?? f.Source();
        var rows = Channel.CreateUnbounded<(TreeEntry, PendingFile?)>();
        var files = Channel.CreateUnbounded<PendingFile>();
        Task<(byte[]? Catalog, List<TreeEntry> Entries)> saving = CatalogSaver.RunAsync(rows.Reader, Task.FromResult((previous is null, previous ?? [])), default);
        new Scanner(source, new SnapshotMonitor()).Run(files.Writer, rows.Writer, default);
        var pending = new List<PendingFile>();
        while (files.Reader.TryRead(out PendingFile? p))
        {
            pending.Add(p);
        }

        Assert.False(saving.IsCompleted && pending.Count > 0, "the catalog must wait for the files being read");
        await f.SaveAsync(source, pending, previous ?? [], new SnapshotMonitor());
        (byte[]? catalog, List<TreeEntry> entries) = await saving;
        return (entries, catalog);
    }

    [Fact]
    public async Task Run_FirstVersion_WritesTheCatalogOfEveryEntry()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("a/b", "b"u8.ToArray());
        f.Write("c", "c"u8.ToArray());

        (List<TreeEntry> entries, byte[]? catalog) = await SaveAsync(f, null);

        Assert.NotNull(catalog);
        Assert.Equal(TreeCatalog.Write(entries), catalog);
        List<TreeEntry> back = TreeCatalog.ReadAll(catalog, "test catalog");
        Assert.All(back.Zip(entries), p => Assert.True(CatalogRows.SameRow(p.First, p.Second)));
    }

    [Fact]
    public async Task Run_TreeUnchanged_HoldsEveryRowBackAndWritesNoCatalog()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("a/b", "b"u8.ToArray());
        f.Write("c", "c"u8.ToArray());
        (List<TreeEntry> first, _) = await SaveAsync(f, null);

        (_, byte[]? catalog) = await SaveAsync(f, first);

        Assert.Null(catalog);
    }

    [Fact]
    public async Task Run_LastEntryChanged_WritesTheHeldRowsAndTheRestAsAFreshCatalogWould()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("a/b", "b"u8.ToArray());
        f.Write("z", "z"u8.ToArray());
        (List<TreeEntry> first, _) = await SaveAsync(f, null);
        f.Write("z", "changed"u8.ToArray());

        (List<TreeEntry> second, byte[]? catalog) = await SaveAsync(f, first);

        Assert.NotNull(catalog);
        Assert.Equal(TreeCatalog.Write(second), catalog);
        Assert.Equal(BlobId.Of("changed"u8), TreeCatalog.ReadAll(catalog, "test catalog").Single(e => e.DisplayPath == "z").Content);
    }

    // A tree whose directories keep their time and carry no observation of the source (a tarball's, a CernVM-FS
    // catalog's): adding or removing an entry leaves every row before it as it was. On a directory tree the
    // parent's change time always moves first.
    [Fact]
    public async Task Run_EntriesAddedAfterTheLastOne_WritesEveryHeldRowThenTheNewOnes()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        tree.Add("a", "a");
        tree.Add("c", "c");
        (List<TreeEntry> first, _) = await SaveAsync(f, null, tree);
        tree.Add("z", "added last");

        (List<TreeEntry> second, byte[]? catalog) = await SaveAsync(f, first, tree);

        Assert.Equal(first.Count + 1, second.Count);
        Assert.All(first.Zip(second), p => Assert.True(CatalogRows.SameRow(p.First, p.Second), p.First.DisplayPath));
        Assert.NotNull(catalog);
        Assert.Equal(TreeCatalog.Write(second), catalog);
    }

    [Fact]
    public async Task Run_LastEntriesRemoved_WritesTheRowsThatAreLeft()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var longer = new MemoryTree();
        var shorter = new MemoryTree();
        foreach (string name in new[] { "a", "c", "y", "z" })
        {
            longer.Add(name, name);
            if (name is "a" or "c")
            {
                shorter.Add(name, name);
            }
        }

        (List<TreeEntry> first, _) = await SaveAsync(f, null, longer);

        (List<TreeEntry> second, byte[]? catalog) = await SaveAsync(f, first, shorter);

        Assert.Equal(first.Count - 2, second.Count);
        Assert.NotNull(catalog); // every row held, yet fewer of them: a catalog of its own
        Assert.Equal(TreeCatalog.Write(second), catalog);
        Assert.Equal(["", "a", "c"], TreeCatalog.ReadAll(catalog, "test catalog").Select(e => e.DisplayPath));
    }
}
