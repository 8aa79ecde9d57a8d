using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using Microsoft.Data.Sqlite;
using Xunit;

namespace CernVM.Preserve.Catalog.Tests;

public class TreeCatalogTests
{
    internal static List<TreeEntry> Sample()
    {
        BlobId blob = BlobId.Of("bundle"u8);
        return
        [
            new TreeEntry { Id = 1, Path = [], Kind = EntryKind.Directory, Mode = 0x1ED, MtimeSeconds = -86400, MtimeNanoseconds = 999_999_999 },
            new TreeEntry
            {
                Id = 2, ParentId = 1, Path = [(byte)'c', 0xE9], Kind = EntryKind.File, Mode = 0x9ED, Uid = 1042, Gid = 1042, UserName = "alpha",
                Size = 10, MtimeSeconds = 13_569_465_600, Content = BlobId.Of("0123456789"u8), Extents = [new Extent(0, 10, blob, 5)],
                XAttrs = [new XAttr("security.capability"u8.ToArray(), [1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
            },
            new TreeEntry { Id = 3, ParentId = 1, Path = "l"u8.ToArray(), Kind = EntryKind.Symlink, Mode = 0x1FF, LinkTarget = [(byte)'/', 0xFF], Size = 2 },
            new TreeEntry { Id = 4, ParentId = 1, Path = "h"u8.ToArray(), Kind = EntryKind.File, HardlinkTo = 2, Size = 10 },
            new TreeEntry { Id = 5, ParentId = 1, Path = "null"u8.ToArray(), Kind = EntryKind.CharDevice, DeviceMajor = 1, DeviceMinor = 3 },
            new TreeEntry { Id = 6, ParentId = 1, Path = "proc"u8.ToArray(), Kind = EntryKind.Directory, State = EntryState.Pseudo, Note = "proc" },
        ];
    }

    [Fact]
    public void WriteThenReadAll_GivesBackEveryField()
    {
        List<TreeEntry> entries = Sample();
        List<TreeEntry> back = TreeCatalog.ReadAll(TreeCatalog.Write(entries), "test");
        Assert.Equal(entries.Count, back.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            TreeEntry a = entries[i], b = back[i];
            Assert.Equal(a.Path, b.Path);
            Assert.Equal((a.Id, a.ParentId, a.Kind, a.State, a.Mode, a.Uid, a.Gid, a.UserName, a.MtimeSeconds, a.MtimeNanoseconds, a.Size),
                (b.Id, b.ParentId, b.Kind, b.State, b.Mode, b.Uid, b.Gid, b.UserName, b.MtimeSeconds, b.MtimeNanoseconds, b.Size));
            Assert.Equal((a.DeviceMajor, a.DeviceMinor, a.HardlinkTo, a.Content, a.Note), (b.DeviceMajor, b.DeviceMinor, b.HardlinkTo, b.Content, b.Note));
            Assert.Equal(a.LinkTarget, b.LinkTarget);
            Assert.Equal(a.Extents, b.Extents);
            Assert.Equal(a.XAttrs.Select(x => (Convert.ToHexString(x.Name), Convert.ToHexString(x.Value))), b.XAttrs.Select(x => (Convert.ToHexString(x.Name), Convert.ToHexString(x.Value))));
        }
    }

    [Fact]
    public void Write_SameEntries_SameBytes() => Assert.Equal(TreeCatalog.Write(Sample()), TreeCatalog.Write(Sample()));

    [Fact]
    public void ReadAll_NotSqlite_NamesTheCatalog()
    {
        PreserveException e = Assert.Throws<PreserveException>(() => TreeCatalog.ReadAll("not a database at all"u8.ToArray(), "blobs/sha256/ab/abc"));
        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains("blobs/sha256/ab/abc", e.Message);
        Assert.Contains("not an SQLite", e.Message);
    }

    [Fact]
    public void ReadAll_TruncatedDatabase_IsAnIntegrityError()
    {
        byte[] bytes = TreeCatalog.Write(Sample());
        PreserveException e = Assert.Throws<PreserveException>(() => TreeCatalog.ReadAll(bytes[..(bytes.Length / 2)], "cat"));
        Assert.Equal(FailureKind.Integrity, e.Kind);
    }

    [Fact]
    public void ReadAll_PathThatClimbsOut_IsRefused()
    {
        byte[] bytes = TreeCatalog.Write(Sample());
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, bytes);
            using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                c.Open();
                using SqliteCommand cmd = c.CreateCommand();
                cmd.CommandText = "UPDATE entries SET path = CAST('../../etc/passwd' AS BLOB) WHERE id = 3";
                cmd.ExecuteNonQuery();
            }

            PreserveException e = Assert.Throws<PreserveException>(() => TreeCatalog.ReadAll(File.ReadAllBytes(path), "cat"));
            Assert.Contains("unsafe path", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Write_UsesTheSchemaOfCatalogSchemaDirectory()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, TreeCatalog.Write(Sample()));
            using var c = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
            c.Open();
            using SqliteCommand cmd = c.CreateCommand();
            cmd.CommandText = "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name)";
            Assert.Equal("catalog_info,entries,extents,xattrs", cmd.ExecuteScalar());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
