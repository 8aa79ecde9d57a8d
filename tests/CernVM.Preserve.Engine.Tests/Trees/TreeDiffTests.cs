using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Trees;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Trees;

public sealed class TreeDiffTests
{
    private static LoadedTree Tree(TreeBuilder b, int version) =>
        new(CapsuleName.Parse("t"), version, BlobId.Of([(byte)version]), b.Entries);

    private static TreeBuilder Base()
    {
        var b = new TreeBuilder();
        b.Dir("etc");
        b.File("etc/hosts", "127.0.0.1\n");
        b.File("etc/motd", "hello\n");
        b.Symlink("link", "etc/hosts");
        return b;
    }

    [Fact]
    public void Compare_SeveralFieldsChanged_NamesEachInTheCatalogsColumnOrder()
    {
        TreeBuilder newer = Base();
        newer.Change("etc/motd", e => e with
        {
            XAttrs = [new XAttr("user.note"u8.ToArray(), [1])],
            Size = e.Size + 1,
            MtimeNanoseconds = e.MtimeNanoseconds + 1,
            Gid = 7,
            Mode = TreeBuilder.Octal("640"),
            Observed = default, // what the source observed is no change of the tree
        });

        TreeChange change = Assert.Single(TreeDiff.Compare(Tree(Base(), 1), Tree(newer, 2)).Changed);

        Assert.Equal("etc/motd", change.Path);
        Assert.Equal(["mode 644→640", "owner 0:0→0:7", "mtime", "size", "xattrs"], change.Fields);
        Assert.False(change.IsContentChange);
    }

    [Fact]
    public void Compare_SameTree_IsSame()
    {
        TreeDiff d = TreeDiff.Compare(Tree(Base(), 1), Tree(Base(), 2));

        Assert.True(d.Same);
        Assert.Empty(d.Changed);
    }

    [Fact]
    public void Compare_AddedRemovedAndChanged_SaysWhichAndWhat()
    {
        TreeBuilder newer = Base();
        newer.File("etc/new", "n");
        newer.RecordContent("etc/hosts", BlobId.Of("other"u8));
        newer.ChangeOwnerAndMode("etc/motd", 1042, "600");
        newer.Remove("link");

        TreeDiff d = TreeDiff.Compare(Tree(Base(), 1), Tree(newer, 2));

        Assert.False(d.Same);
        Assert.Equal(["etc/new"], d.Added.Select(e => e.DisplayPath));
        Assert.Equal(["link"], d.Removed.Select(e => e.DisplayPath));
        TreeChange hosts = Assert.Single(d.Changed, c => c.Path == "etc/hosts");
        Assert.Equal(["content"], hosts.Fields);
        Assert.True(hosts.IsContentChange);
        TreeChange motd = Assert.Single(d.Changed, c => c.Path == "etc/motd");
        Assert.Equal(["mode 644→600", "owner 0:0→1042:0"], motd.Fields);
        Assert.False(motd.IsContentChange);
    }

    [Fact]
    public void Compare_FileBecomesAHardLink_IsAHardLinkChange()
    {
        TreeBuilder older = Base();
        older.File("copy", "127.0.0.1\n");
        TreeBuilder newer = Base();
        newer.HardLink("copy", "etc/hosts");

        TreeDiff d = TreeDiff.Compare(Tree(older, 1), Tree(newer, 2));

        Assert.Contains("hardlink", Assert.Single(d.Changed).Fields);
    }
    [Fact]
    public void Compare_OnlyAddedOrOnlyRemovedOrOnlyChanged_IsNotSame()
    {
        TreeBuilder added = Base();
        added.File("etc/new", "n");
        TreeBuilder changed = Base();
        changed.ChangeOwnerAndMode("etc/motd", 0, "600");
        TreeBuilder removed = Base();
        removed.Remove("link");

        TreeDiff onlyAdded = TreeDiff.Compare(Tree(Base(), 1), Tree(added, 2));
        TreeDiff onlyChanged = TreeDiff.Compare(Tree(Base(), 1), Tree(changed, 2));
        TreeDiff onlyRemoved = TreeDiff.Compare(Tree(Base(), 1), Tree(removed, 2));

        Assert.Equal((1, 0, 0, false), (onlyAdded.Added.Count, onlyAdded.Removed.Count, onlyAdded.Changed.Count, onlyAdded.Same));
        Assert.Equal((0, 0, 1, false), (onlyChanged.Added.Count, onlyChanged.Removed.Count, onlyChanged.Changed.Count, onlyChanged.Same));
        Assert.Equal((0, 1, 0, false), (onlyRemoved.Added.Count, onlyRemoved.Removed.Count, onlyRemoved.Changed.Count, onlyRemoved.Same));
    }

    [Fact]
    public void Compare_KindOrSymlinkTargetChanged_IsAContentChange()
    {
        var older = new TreeBuilder();
        older.Dir("run");
        older.Symlink("link", "etc/hosts");
        var newer = new TreeBuilder();
        newer.Fifo("run");
        newer.Symlink("link", "etc/motd");

        TreeDiff d = TreeDiff.Compare(Tree(older, 1), Tree(newer, 2));

        TreeChange run = Assert.Single(d.Changed, c => c.Path == "run");
        Assert.Contains("kind", run.Fields);
        Assert.DoesNotContain("content", run.Fields);
        Assert.DoesNotContain("target", run.Fields);
        Assert.True(run.IsContentChange);
        TreeChange link = Assert.Single(d.Changed, c => c.Path == "link");
        Assert.Equal(["size", "target"], link.Fields);
        Assert.True(link.IsContentChange);
    }

    [Fact]
    public void Compare_HardLinksUnchanged_IsSame()
    {
        TreeBuilder Linked()
        {
            TreeBuilder b = Base();
            b.HardLink("etc/hosts.bak", "etc/hosts");
            return b;
        }

        TreeDiff d = TreeDiff.Compare(Tree(Linked(), 1), Tree(Linked(), 2));

        Assert.True(d.Same);
        Assert.Empty(d.Changed);
    }

    [Fact]
    public void Compare_HardLinkToAnotherFirstName_IsAHardLinkChangeOnly()
    {
        TreeBuilder older = Base();
        older.File("etc/other", "127.0.0.1\n");
        older.HardLink("etc/alias", "etc/hosts");
        TreeBuilder newer = Base();
        newer.File("etc/other", "127.0.0.1\n");
        newer.HardLink("etc/alias", "etc/other");

        TreeDiff d = TreeDiff.Compare(Tree(older, 1), Tree(newer, 2));

        TreeChange alias = Assert.Single(d.Changed);
        Assert.Equal("etc/alias", alias.Path);
        Assert.Equal(["hardlink"], alias.Fields);
    }

    [Fact]
    public void Compare_NullTree_IsRefused()
    {
        LoadedTree t = Tree(Base(), 1);

        Assert.Equal("older", Assert.Throws<ArgumentNullException>(() => TreeDiff.Compare(null!, t)).ParamName);
        Assert.Equal("newer", Assert.Throws<ArgumentNullException>(() => TreeDiff.Compare(t, null!)).ParamName);
    }
}
