using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Trees;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Trees;

public sealed class TreeStructureTests
{
    [Fact]
    public void Check_WellFormedTree_Passes()
    {
        var b = new TreeBuilder();
        b.Dir("a");
        b.File("a/f", "x");
        b.HardLink("g", "a/f");

        TreeStructure.Check(b.Entries, "catalog");

        Assert.Equal(4, b.Entries.Count);
    }

    [Fact]
    public void Check_EntryThroughASymlink_IsRefusedNamingIt()
    {
        var b = new TreeBuilder();
        b.Symlink("link", "/etc");
        b.Raw("link/passwd", EntryKind.File, parentId: b["link"].Id);

        PreserveException e = Assert.Throws<PreserveException>(() => TreeStructure.Check(b.Entries, "the catalog"));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains("the catalog: entry 'link/passwd'", e.Message);
    }

    [Fact]
    public void Check_PathNotInsideItsParent_IsRefused()
    {
        var b = new TreeBuilder();
        b.Dir("a");
        b.Dir("b");
        b.Raw("a/x", EntryKind.File, parentId: b["b"].Id);

        PreserveException e = Assert.Throws<PreserveException>(() => TreeStructure.Check(b.Entries, "c"));

        Assert.Contains("is not inside its parent 'b'", e.Message);
    }

    [Fact]
    public void Check_HardLinkToALaterEntry_IsRefused()
    {
        var b = new TreeBuilder();
        b.Raw("a", EntryKind.File, parentId: 1, hardlinkTo: 3);
        b.Raw("b", EntryKind.File, parentId: 1);

        PreserveException e = Assert.Throws<PreserveException>(() => TreeStructure.Check(b.Entries, "c"));

        Assert.Contains("hard link", e.Message);
    }

    [Fact]
    public void Check_NoRootFirst_IsRefused()
    {
        var b = new TreeBuilder();
        b.File("a", "x");
        b.Entries.RemoveAt(0);

        PreserveException e = Assert.Throws<PreserveException>(() => TreeStructure.Check(b.Entries, "c"));

        Assert.Contains("does not start with the root entry", e.Message);
    }
}
