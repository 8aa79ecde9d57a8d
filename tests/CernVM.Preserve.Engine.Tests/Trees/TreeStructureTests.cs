using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Catalog;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Trees;

/// <summary>The structure every reader relies on (FORMAT.md §6.2), as the shared rule set checks it for the loader.</summary>
public sealed class TreeStructureTests
{
    [Fact]
    public void Check_WellFormedTree_Passes()
    {
        var b = new TreeBuilder();
        b.Dir("a");
        b.File("a/f", "x");
        b.HardLink("g", "a/f");

        TreeCatalogInvariants.Enforce(b.Entries, "catalog");

        Assert.Equal(4, b.Entries.Count);
    }

    [Fact]
    public void Check_EntryThroughASymlink_IsRefusedNamingIt()
    {
        var b = new TreeBuilder();
        b.Symlink("link", "/etc");
        b.Raw("link/passwd", EntryKind.File, parentId: b["link"].Id);

        PreserveException e = Assert.Throws<PreserveException>(() => TreeCatalogInvariants.Enforce(b.Entries, "the catalog"));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains("the catalog: not a valid tree", e.Message);
        Assert.Contains("'link/passwd': its parent 'link' is a symlink", e.Message);
    }

    [Fact]
    public void Check_PathNotInsideItsParent_IsRefused()
    {
        var b = new TreeBuilder();
        b.Dir("a");
        b.Dir("b");
        b.Raw("a/x", EntryKind.File, parentId: b["b"].Id);

        PreserveException e = Assert.Throws<PreserveException>(() => TreeCatalogInvariants.Enforce(b.Entries, "c"));

        Assert.Contains("not inside its parent 'b'", e.Message);
    }

    [Fact]
    public void Check_HardLinkToALaterEntry_IsRefused()
    {
        var b = new TreeBuilder();
        b.Raw("a", EntryKind.File, parentId: 1, hardlinkTo: 3);
        b.Raw("b", EntryKind.File, parentId: 1);

        PreserveException e = Assert.Throws<PreserveException>(() => TreeCatalogInvariants.Enforce(b.Entries, "c"));

        Assert.Contains("hard link", e.Message);
    }

    [Fact]
    public void Check_NoRootFirst_IsRefused()
    {
        var b = new TreeBuilder();
        b.File("a", "x");
        b.Entries.RemoveAt(0);

        PreserveException e = Assert.Throws<PreserveException>(() => TreeCatalogInvariants.Enforce(b.Entries, "c"));

        Assert.Contains("the first entry must be the root", e.Message);
    }
}
