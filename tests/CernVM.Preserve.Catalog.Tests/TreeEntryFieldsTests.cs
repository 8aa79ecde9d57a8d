using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using Microsoft.Data.Sqlite;
using Xunit;

namespace CernVM.Preserve.Catalog.Tests;

/// <summary>TreeEntryFields is the one list of an entry's fields: the catalog schema, equality and round trips agree with it.</summary>
public class TreeEntryFieldsTests
{
    private static TreeEntry Full() => new()
    {
        Id = 2, ParentId = 1, Path = "a"u8.ToArray(), Kind = EntryKind.File, State = EntryState.Captured, Mode = 0x9ED, Uid = 5, Gid = 6,
        UserName = "u", GroupName = "g", MtimeSeconds = -7, MtimeNanoseconds = 8, Size = 9, DeviceMajor = 10, DeviceMinor = 11,
        LinkTarget = [12], HardlinkTo = 1, Content = BlobId.Of("c"u8), Note = "n", Observed = new SourceObservation(13, 14, 15, 16),
        Extents = [new Extent(0, 9, BlobId.Of("b"u8), 17)], XAttrs = [new XAttr("user.x"u8.ToArray(), [18])],
    };

    [Fact]
    public void EntryColumns_AreTheSchemasColumnsInOrder()
    {
        using var conn = new SqliteConnection("Data Source=:memory:");
        conn.Open();
        using (SqliteCommand ddl = conn.CreateCommand())
        {
            ddl.CommandText = System.Text.Encoding.UTF8.GetString(EmbeddedFiles.CatalogDdl);
            ddl.ExecuteNonQuery();
        }

        using SqliteCommand info = conn.CreateCommand();
        info.CommandText = "SELECT name FROM pragma_table_info('entries') ORDER BY cid";
        var columns = new List<string>();
        using (SqliteDataReader r = info.ExecuteReader())
        {
            while (r.Read())
            {
                columns.Add(r.GetString(0));
            }
        }

        Assert.Equal(columns, TreeEntryFields.EntryColumns);
        Assert.Equal(["extents", "xattrs"], TreeEntryFields.All.Where(f => !f.InEntriesTable).Select(f => f.Name));
    }

    [Fact]
    public void Equals_EachFieldChanged_NotEqualAndNamedByItsField()
    {
        TreeEntry a = Full();
        var changed = new (string Field, TreeEntry Entry)[]
        {
            ("id", a with { Id = 3 }), ("parent", a with { ParentId = null }), ("path", a with { Path = "b"u8.ToArray() }),
            ("kind", a with { Kind = EntryKind.Fifo }), ("state", a with { State = EntryState.Excluded }), ("mode", a with { Mode = 0 }),
            ("owner", a with { Gid = 0 }), ("owner names", a with { UserName = null }), ("mtime", a with { MtimeNanoseconds = 0 }),
            ("size", a with { Size = 0 }), ("device", a with { DeviceMinor = 0 }), ("target", a with { LinkTarget = null }),
            ("hardlink", a with { HardlinkTo = null }), ("content", a with { Content = null }), ("note", a with { Note = null }),
            ("observed", a with { Observed = default }), ("extents", a with { Extents = [] }), ("xattrs", a with { XAttrs = [new XAttr("user.x"u8.ToArray(), [19])] }),
        };

        Assert.Equal(TreeEntryFields.All.Select(f => f.Name), changed.Select(c => c.Field));
        Assert.Equal(a, Full());
        Assert.Equal(a.GetHashCode(), Full().GetHashCode());
        foreach ((string field, TreeEntry entry) in changed)
        {
            Assert.NotEqual(a, entry);
            Assert.Equal([field], TreeEntryFields.All.Where(f => !f.Same(a, entry)).Select(f => f.Name));
        }
    }

    [Fact]
    public void Differences_OfTwoVersionsOfAPath_AreTheRecordedFieldsOnly()
    {
        TreeEntry a = Full();
        TreeEntry b = a with { Id = 40, Mode = 0x1A4, Content = BlobId.Of("d"u8), Extents = [], Observed = default, Note = null };

        Assert.Equal(["mode", "content"], TreeEntryFields.Differences(a, b).Select(f => f.Name));
    }

    [Fact]
    public void WriteThenReadAll_EveryFieldSet_GivesAnEqualEntry()
    {
        // A valid tree (FORMAT.md §6, checked by the writer): the hard link is an entry of its own, after the
        // file it names, since a hard link has no extents of its own.
        TreeEntry root = new() { Id = 1, Path = [], Kind = EntryKind.Directory };
        TreeEntry a = Full() with { HardlinkTo = null };
        TreeEntry h = Full() with { Id = 3, Path = "h"u8.ToArray(), HardlinkTo = 2, Extents = [], Content = null };

        List<TreeEntry> back = TreeCatalog.ReadAll(TreeCatalog.Write([root, a, h]), "test");

        Assert.Equal(root, back[0]);
        Assert.Equal(a, back[1]);
        Assert.True(CatalogRows.SameRow(a, back[1]));
        Assert.Equal(h, back[2]);
    }
}
