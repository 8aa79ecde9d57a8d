using System.Text;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using Xunit;

namespace CernVM.Preserve.Catalog.Tests;

/// <summary>The catalog writer's contract: entries in id order, once, checked before the catalog exists.</summary>
public sealed class TreeCatalogWriterTests
{
    private static readonly TreeEntry Root = new() { Id = 1, Path = [], Kind = EntryKind.Directory, Mode = 0x1ED };

    private static TreeEntry Directory(long id, string path, long parent = 1) =>
        new() { Id = id, ParentId = parent, Path = Encoding.ASCII.GetBytes(path), Kind = EntryKind.Directory, Mode = 0x1ED };

    private static TreeEntry File(long id, string path, long parent, params Extent[] extents) =>
        new() { Id = id, ParentId = parent, Path = Encoding.ASCII.GetBytes(path), Kind = EntryKind.File, Mode = 0x1A4, Size = 100, Content = BlobId.Of("c"u8), Extents = extents };

    [Fact]
    public void Add_Null_ThrowsArgumentNull()
    {
        using var writer = new TreeCatalogWriter();

        Assert.Equal("t", Assert.Throws<ArgumentNullException>(() => writer.Add(null!)).ParamName);
    }

    [Fact]
    public void Add_SameIdTwice_ThrowsNamingBothIds()
    {
        using var writer = new TreeCatalogWriter();
        writer.Add(Root);
        writer.Add(Directory(2, "a"));

        ArgumentException e = Assert.Throws<ArgumentException>(() => writer.Add(Directory(2, "b")));

        Assert.Equal("t", e.ParamName);
        Assert.StartsWith("entry 2 added after entry 2: a catalog is written in id order.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_SmallerIdThanTheLast_ThrowsNamingBothIds()
    {
        using var writer = new TreeCatalogWriter();
        writer.Add(Root);
        writer.Add(Directory(3, "a"));

        ArgumentException e = Assert.Throws<ArgumentException>(() => writer.Add(Directory(2, "b")));

        Assert.StartsWith("entry 2 added after entry 3: a catalog is written in id order.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_AfterAnEntryThatBreaksARule_StillRefusesItsIdAgain()
    {
        using var writer = new TreeCatalogWriter();
        writer.Add(Root);
        writer.Add(Directory(2, "a") with { Size = 4096 }); // refused by the rules: recorded, not inserted

        ArgumentException e = Assert.Throws<ArgumentException>(() => writer.Add(Directory(2, "b")));

        Assert.StartsWith("entry 2 added after entry 2: a catalog is written in id order.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_AfterFinish_ThrowsObjectDisposed()
    {
        using var writer = new TreeCatalogWriter();
        writer.Add(Root);
        writer.Finish();

        Assert.Throws<ObjectDisposedException>(() => writer.Add(Directory(2, "a")));
    }

    [Fact]
    public void Add_AfterDispose_ThrowsObjectDisposed()
    {
        var writer = new TreeCatalogWriter();
        writer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => writer.Add(Root));
    }

    [Fact]
    public void Finish_Twice_ThrowsObjectDisposed()
    {
        using var writer = new TreeCatalogWriter();
        writer.Add(Root);
        writer.Finish();

        Assert.Throws<ObjectDisposedException>(writer.Finish);
    }

    [Fact]
    public void Finish_AfterDispose_ThrowsObjectDisposedBeforeCheckingTheEntries()
    {
        var writer = new TreeCatalogWriter(); // no entries: checking them would refuse the catalog as lacking the root
        writer.Dispose();

        Assert.Throws<ObjectDisposedException>(writer.Finish);
    }

    [Fact]
    public void Finish_EntryBreakingARule_NamesTheCatalogBeingWrittenTheEntryAndTheRule()
    {
        using var writer = new TreeCatalogWriter();
        writer.Add(Root);
        writer.Add(new TreeEntry { Id = 2, ParentId = 1, Path = "p"u8.ToArray(), Kind = EntryKind.Fifo, Size = 1 });

        PreserveException e = Assert.Throws<PreserveException>(writer.Finish);

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Equal("the tree catalog being written: not a valid tree (FORMAT.md §6): entry 2 'p': a fifo with size 1: only files and symlinks have one.", e.Message);
    }

    [Fact]
    public void Finish_NoEntries_IsRefusedAsLackingTheRoot()
    {
        using var writer = new TreeCatalogWriter();

        PreserveException e = Assert.Throws<PreserveException>(writer.Finish);

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Equal("the tree catalog being written: the tree catalog has no entries, not even the root (FORMAT.md §6.2).", e.Message);
    }

    [Fact]
    public void WriteThenReadAll_IdsWithAGap_KeepTheirIdsAndParents()
    {
        List<TreeEntry> entries = [Root, Directory(3, "a"), Directory(4, "a/b", parent: 3), File(7, "a/f", 3, new Extent(0, 100, DamagedCatalog.Bundle, 0))];

        List<TreeEntry> back = TreeCatalog.ReadAll(TreeCatalog.Write(entries), "cat");

        Assert.Equal(entries, back);
    }

    [Fact]
    public void WriteThenReadAll_ExtentsGivenOutOfOrder_AreReadBackInFileOrder()
    {
        Extent head = new(0, 40, DamagedCatalog.Bundle, 0), tail = new(60, 40, DamagedCatalog.Bundle, 40);

        List<TreeEntry> back = TreeCatalog.ReadAll(TreeCatalog.Write([Root, File(2, "f", 1, tail, head)]), "cat");

        Assert.Equal([head, tail], back[1].Extents);
    }

    [Fact]
    public void Finish_EntryWithTwoXAttrsOfOneName_IsRefusedNamingTheAttribute()
    {
        using var writer = new TreeCatalogWriter();
        writer.Add(Root);
        writer.Add(File(2, "f", 1) with { Size = 0, XAttrs = [new XAttr("user.a"u8.ToArray(), [1]), new XAttr("user.a"u8.ToArray(), [2])] });

        PreserveException e = Assert.Throws<PreserveException>(writer.Finish);

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Equal("the tree catalog being written: not a valid tree (FORMAT.md §6): entry 2 'f': the extended attribute 'user.a' is listed twice.", e.Message);
    }

    [Fact]
    public void WarmUp_InitialisesSqliteWithoutError() => Assert.Null(Record.Exception(TreeCatalog.WarmUp));
}
