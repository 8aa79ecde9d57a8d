using CernVM.Preserve.Core.Model;
using Xunit;

namespace CernVM.Preserve.Core.Tests.Model;

/// <summary>
/// The one field list of a tree entry: each field, changed alone, is the only one that differs, entry equality
/// sees it, and a diff reports it exactly when it is a recorded field, with its old and new values where it names
/// them.
/// </summary>
public sealed class TreeEntryFieldsTests
{
    private static readonly BlobId Blob = BlobId.Of("blob"u8);

    private static readonly TreeEntry Base = new()
    {
        Id = 7, ParentId = 3, Path = "usr/bin/ls"u8.ToArray(), Kind = EntryKind.File, State = EntryState.Captured, Mode = 0x1ED,
        Uid = 0, Gid = 0, UserName = "root", GroupName = "root", MtimeSeconds = 1_100_000_000, MtimeNanoseconds = 5, Size = 100,
        DeviceMajor = 0, DeviceMinor = 0, LinkTarget = null, HardlinkTo = null, Content = BlobId.Of("content"u8), Note = null,
        Observed = new SourceObservation(1, 2, 3, 4), Extents = [new Extent(0, 100, Blob, 0)], XAttrs = [new XAttr("user.a"u8.ToArray(), [1])],
    };

    /// <summary>Each way of changing one field alone, and the field it changes.</summary>
    public static TheoryData<string, string> Changes => new()
    {
        { "id", "id" }, { "parent", "parent" }, { "path", "path" }, { "kind", "kind" }, { "state", "state" }, { "mode", "mode" },
        { "uid", "owner" }, { "gid", "owner" }, { "uname", "owner names" }, { "gname", "owner names" },
        { "mtime_sec", "mtime" }, { "mtime_nsec", "mtime" }, { "size", "size" }, { "rdev_major", "device" }, { "rdev_minor", "device" },
        { "target set", "target" }, { "target changed", "target" }, { "hardlink_to", "hardlink" }, { "content", "content" }, { "note", "note" },
        { "src_dev", "observed" }, { "src_ino", "observed" }, { "ctime_sec", "observed" }, { "ctime_nsec", "observed" },
        { "extent offset", "extents" }, { "extent added", "extents" }, { "xattr value", "xattrs" }, { "xattr name", "xattrs" }, { "xattr added", "xattrs" },
    };

    private static TreeEntry Changed(string change)
    {
        TreeEntry withTarget = Base with { LinkTarget = "a"u8.ToArray() };
        return change switch
        {
            "id" => Base with { Id = 8 },
            "parent" => Base with { ParentId = 4 },
            "path" => Base with { Path = "usr/bin/lt"u8.ToArray() },
            "kind" => Base with { Kind = EntryKind.Symlink },
            "state" => Base with { State = EntryState.Excluded },
            "mode" => Base with { Mode = 0x1A4 },
            "uid" => Base with { Uid = 1 },
            "gid" => Base with { Gid = 1 },
            "uname" => Base with { UserName = "bin" },
            "gname" => Base with { GroupName = null },
            "mtime_sec" => Base with { MtimeSeconds = 1_100_000_001 },
            "mtime_nsec" => Base with { MtimeNanoseconds = 6 },
            "size" => Base with { Size = 101 },
            "rdev_major" => Base with { DeviceMajor = 8 },
            "rdev_minor" => Base with { DeviceMinor = 1 },
            "target set" => withTarget,
            "target changed" => Base with { LinkTarget = "b"u8.ToArray() },
            "hardlink_to" => Base with { HardlinkTo = 2 },
            "content" => Base with { Content = BlobId.Of("other"u8) },
            "note" => Base with { Note = "why" },
            "src_dev" => Base with { Observed = Base.Observed with { Device = 9 } },
            "src_ino" => Base with { Observed = Base.Observed with { Inode = 9 } },
            "ctime_sec" => Base with { Observed = Base.Observed with { CtimeSeconds = 9 } },
            "ctime_nsec" => Base with { Observed = Base.Observed with { CtimeNanoseconds = 9 } },
            "extent offset" => Base with { Extents = [new Extent(0, 100, Blob, 1)] },
            "extent added" => Base with { Extents = [new Extent(0, 50, Blob, 0), new Extent(50, 50, Blob, 50)] },
            "xattr value" => Base with { XAttrs = [new XAttr("user.a"u8.ToArray(), [2])] },
            "xattr name" => Base with { XAttrs = [new XAttr("user.b"u8.ToArray(), [1])] },
            "xattr added" => Base with { XAttrs = [.. Base.XAttrs, new XAttr("user.b"u8.ToArray(), [1])] },
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public void Same_OneFieldChanged_OnlyThatFieldDiffers(string change, string field)
    {
        TreeEntry older = change == "target changed" ? Base with { LinkTarget = "a"u8.ToArray() } : Base;
        TreeEntry newer = Changed(change);

        Assert.Equal([field], TreeEntryFields.All.Where(f => !f.Same(older, newer)).Select(f => f.Name));
        Assert.False(TreeEntryFields.SameRow(older, newer));
        Assert.NotEqual(older, newer);
        Assert.Equal(
            TreeEntryFields.All.Single(f => f.Name == field).Role == TreeEntryFieldRole.Recorded ? [field] : Array.Empty<string>(),
            TreeEntryFields.Differences(older, newer).Select(f => f.Name));
    }

    [Fact]
    public void SameRow_EqualCopies_AreTheSameRowAndEqual()
    {
        TreeEntry copy = Base with { Path = [.. Base.Path], XAttrs = [new XAttr("user.a"u8.ToArray(), [1])], Extents = [.. Base.Extents] };

        Assert.True(TreeEntryFields.SameRow(Base, copy));
        Assert.Equal(Base, copy);
        Assert.Equal(Base.GetHashCode(), copy.GetHashCode());
        Assert.Empty(TreeEntryFields.Differences(Base, copy));
    }

    [Theory]
    [InlineData("mode", "mode 755→644")]
    [InlineData("uid", "owner 0:0→1:0")]
    [InlineData("size", "size")]
    public void DescribeChange_NamesTheFieldWithItsValuesWhereShort(string change, string described) =>
        Assert.Equal(described, TreeEntryFields.Differences(Base, Changed(change)).Single().DescribeChange(Base, Changed(change)));

    [Fact]
    public void EntryColumns_AreFormat1sEntriesColumnsInOrder() =>
        Assert.Equal(
            ["id", "parent", "path", "kind", "state", "mode", "uid", "gid", "uname", "gname", "mtime_sec", "mtime_nsec", "size",
             "rdev_major", "rdev_minor", "target", "hardlink_to", "content", "note", "src_dev", "src_ino", "ctime_sec", "ctime_nsec"],
            TreeEntryFields.EntryColumns);

    [Fact]
    public void InEntriesTable_IsFalseOnlyForExtentsAndXattrs() =>
        Assert.Equal(["extents", "xattrs"], TreeEntryFields.All.Where(f => !f.InEntriesTable).Select(f => f.Name));

    [Fact]
    public void SameRow_Null_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => TreeEntryFields.SameRow(null!, Base));
        Assert.Throws<ArgumentNullException>(() => TreeEntryFields.SameRow(Base, null!));
        Assert.Throws<ArgumentNullException>(() => TreeEntryFields.Differences(null!, Base).ToList());
        Assert.Throws<ArgumentNullException>(() => TreeEntryFields.Differences(Base, null!).ToList());
    }
}
