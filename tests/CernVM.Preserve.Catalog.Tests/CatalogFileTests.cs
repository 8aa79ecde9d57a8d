using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using Microsoft.Data.Sqlite;
using Xunit;

namespace CernVM.Preserve.Catalog.Tests;

/// <summary>
/// Reading a catalog file (FORMAT.md §6.1): what it gives back, and every way a damaged one is refused with a
/// message naming the catalog and the problem.
/// </summary>
public sealed class CatalogFileTests
{
    private static PreserveException Refused(byte[] catalog)
    {
        PreserveException e = Assert.Throws<PreserveException>(() => TreeCatalog.ReadAll(catalog, "cat"));
        Assert.Equal(FailureKind.Integrity, e.Kind);
        return e;
    }

    private static string Refusal(byte[] catalog) => Refused(catalog).Message;

    private static IEnumerable<string> Names(TreeEntry e) => e.XAttrs.Select(x => System.Text.Encoding.ASCII.GetString(x.Name));

    // ---- what is read ----

    [Fact]
    public void ReadAll_WrittenTree_GivesBackEveryEntryInIdOrder() =>
        Assert.Equal(DamagedCatalog.Tree(), TreeCatalog.ReadAll(DamagedCatalog.Written(), "cat"));

    [Fact]
    public void ReadAll_EntriesStoredInReverse_AreReadInIdOrder() =>
        Assert.Equal(
            DamagedCatalog.Tree(),
            TreeCatalog.ReadAll(DamagedCatalog.Unconstrained("CREATE TEMP TABLE t AS SELECT * FROM entries; DELETE FROM entries; INSERT INTO entries SELECT * FROM t ORDER BY id DESC;"), "cat"));

    [Fact]
    public void ReadAll_ExtentsStoredInReverse_AreReadInFileOrder() =>
        Assert.Equal(
            DamagedCatalog.Tree()[2].Extents,
            TreeCatalog.ReadAll(DamagedCatalog.Unconstrained("CREATE TEMP TABLE t AS SELECT * FROM extents; DELETE FROM extents; INSERT INTO extents SELECT * FROM t ORDER BY offset DESC;"), "cat")[2].Extents);

    [Fact]
    public void ReadAll_XAttrsStoredInReverse_AreReadInNameOrder() =>
        Assert.Equal(
            ["user.a", "user.b"],
            Names(TreeCatalog.ReadAll(DamagedCatalog.Unconstrained("CREATE TEMP TABLE t AS SELECT * FROM xattrs; DELETE FROM xattrs; INSERT INTO xattrs SELECT * FROM t ORDER BY name DESC;"), "cat")[2]));

    [Fact]
    public void ReadAll_XAttrWithNullValue_ReadAsAnEmptyValue() =>
        Assert.Equal(
            ["01", ""],
            TreeCatalog.ReadAll(DamagedCatalog.Unconstrained("UPDATE xattrs SET value = NULL WHERE name = CAST('user.b' AS BLOB)"), "cat")[2].XAttrs.Select(x => Convert.ToHexString(x.Value)));

    [Fact]
    public void ReadAll_XAttrWithNullName_ReadAsAnEmptyName() =>
        Assert.Equal(
            ["", "user.a"],
            Names(TreeCatalog.ReadAll(DamagedCatalog.Unconstrained("UPDATE xattrs SET name = NULL WHERE name = CAST('user.b' AS BLOB)"), "cat")[2]));

    [Fact]
    public void ReadAll_PathNull_IsReadAsTheEmptyPathAndRefusedAsASecondRoot() =>
        Assert.Equal(
            "cat: not a valid tree (FORMAT.md §6): entry 6 '': a second entry with the empty path of the root.",
            Refusal(DamagedCatalog.Unconstrained("UPDATE entries SET path = NULL WHERE id = 6")));

    // ---- Find ----

    [Fact]
    public void Find_FileWithExtentsAndXAttrs_GivesItWithItsOwn()
    {
        using var file = new CatalogFile(DamagedCatalog.Written(), "cat");

        Assert.Equal(DamagedCatalog.Tree()[2], file.Find("d/f"u8.ToArray()));
    }

    [Fact]
    public void Find_EntryWithoutExtentsOrXAttrs_GivesEmptyListsNotNull()
    {
        using var file = new CatalogFile(DamagedCatalog.Written(), "cat");

        TreeEntry found = file.Find("s"u8.ToArray())!;

        Assert.Equal(5, found.Id);
        Assert.NotNull(found.Extents);
        Assert.Empty(found.Extents);
        Assert.NotNull(found.XAttrs);
        Assert.Empty(found.XAttrs);
    }

    [Fact]
    public void Find_EmptyPath_GivesTheRoot()
    {
        using var file = new CatalogFile(DamagedCatalog.Written(), "cat");

        Assert.Equal(DamagedCatalog.Tree()[0], file.Find([]));
    }

    [Fact]
    public void Find_PathNotListed_GivesNull()
    {
        using var file = new CatalogFile(DamagedCatalog.Written(), "cat");

        Assert.Null(file.Find("d/nothing"u8.ToArray()));
    }

    // ---- the file itself (§6.1) ----

    [Fact]
    public void Constructor_FormatOtherThan1_IsRefusedNamingTheFormat() =>
        Assert.Equal(
            "cat: the tree catalog has format '2', expected 1.",
            Assert.Throws<PreserveException>(() => new CatalogFile(DamagedCatalog.Edit("UPDATE catalog_info SET value = '2' WHERE key = 'format'"), "cat")).Message);

    [Fact]
    public void Constructor_NoFormatRecorded_IsRefusedAsFormatNone()
    {
        PreserveException e = Assert.Throws<PreserveException>(() => new CatalogFile(DamagedCatalog.Edit("DELETE FROM catalog_info WHERE key = 'format'"), "cat"));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Equal("cat: the tree catalog has format 'none', expected 1.", e.Message);
    }

    [Fact]
    public void ReadAll_NoNumberOfEntriesRecorded_IsRefused()
    {
        using var file = new CatalogFile(DamagedCatalog.Edit("DELETE FROM catalog_info WHERE key = 'entries'"), "cat");

        PreserveException e = Assert.Throws<PreserveException>(file.ReadAll);
        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Equal("cat: catalog_info records no number of entries (key 'entries', FORMAT.md §6.1).", e.Message);
    }

    [Fact]
    public void Constructor_SqliteDatabaseWithoutCatalogInfo_IsRefusedAsUnreadable()
    {
        PreserveException e = Assert.Throws<PreserveException>(() => new CatalogFile(DamagedCatalog.Edit("DROP TABLE catalog_info"), "cat"));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.StartsWith("cat: the tree catalog cannot be read as SQLite (", e.Message, StringComparison.Ordinal);
        Assert.Contains("no such table: catalog_info", e.Message, StringComparison.Ordinal);
        Assert.IsType<SqliteException>(e.InnerException);
    }

    [Fact]
    public void ReadAll_TableOfFormat1Missing_IsRefusedNamingIt() =>
        Assert.Equal("cat: the tree catalog lacks what format 1 requires (no such table: xattrs).", Refusal(DamagedCatalog.Edit("DROP TABLE xattrs")));

    [Fact]
    public void ReadAll_PageOfTheEntriesTableDamaged_IsRefusedAsDamaged()
    {
        byte[] catalog = DamagedCatalog.Written();
        long page = DamagedCatalog.RootPage(catalog, "entries");
        catalog[(page - 1) * 4096] = 0xFF; // the b-tree page's type: no such type

        Assert.Equal("cat: the tree catalog is damaged (database disk image is malformed).", Refusal(catalog));
    }

    [Fact]
    public void ReadAll_EntryIdTwice_IsRefused() =>
        Assert.Equal("cat: entry id 3 appears twice.", Refusal(DamagedCatalog.Unconstrained("INSERT INTO entries SELECT * FROM entries WHERE id = 3")));

    [Fact]
    public void ReadAll_ExtentOfAnEntryThatDoesNotExist_IsRefusedNamingIt() =>
        Assert.Equal("cat: an extent names entry 99, which does not exist.", Refusal(DamagedCatalog.Edit("UPDATE extents SET entry = 99 WHERE entry = 3 AND offset = 60")));

    // ---- values of the wrong type or out of the vocabulary (§6.2) ----

    [Theory]
    [InlineData("mode = 'rwx'", "column 5 holds text where format 1 has an integer")]
    [InlineData("size = 1.5", "column 12 holds a real where format 1 has an integer")]
    [InlineData("uid = X'01'", "column 6 holds a blob where format 1 has an integer")]
    [InlineData("content = X'00'", "column 17 holds a blob where format 1 has text")]
    [InlineData("path = 7", "column 2 holds an integer where format 1 has a blob")]
    public void ReadAll_ValueOfTheWrongType_IsRefusedNamingTheColumn(string set, string problem) =>
        Assert.Equal($"cat: {problem}.", Refusal(DamagedCatalog.Edit($"UPDATE entries SET {set} WHERE id = 3")));

    [Theory]
    [InlineData("mode = 4294967716", "column 5 holds 4294967716")] // 2^32 + 0644: read as 0644 by a bare cast
    [InlineData("mtime_nsec = 4294967301", "column 11 holds 4294967301")] // 2^32 + 5
    [InlineData("rdev_major = -2147483649", "column 13 holds -2147483649")]
    public void ReadAll_IntegerBeyondThe32BitsOfItsColumn_IsRefusedNamingTheColumn(string set, string problem) =>
        Assert.Equal($"cat: {problem}, beyond the 32-bit integer format 1 has there.", Refusal(DamagedCatalog.Edit($"UPDATE entries SET {set} WHERE id = 3")));

    [Theory]
    [InlineData(-2147483648, 2147483647)]
    [InlineData(2147483647, -2147483648)]
    public void ReadAll_DeviceNumbersAtThe32BitBounds_AreRead(long major, long minor)
    {
        List<TreeEntry> read = TreeCatalog.ReadAll(DamagedCatalog.Edit($"UPDATE entries SET rdev_major = {major}, rdev_minor = {minor} WHERE id = 6"), "cat");

        Assert.Equal((major, minor), ((long)read[5].DeviceMajor, (long)read[5].DeviceMinor));
    }

    [Fact]
    public void ReadAll_NullWhereFormat1HasAnInteger_IsRefusedNamingTheColumn() =>
        Assert.Equal("cat: column 7 holds null where format 1 has an integer.", Refusal(DamagedCatalog.Unconstrained("UPDATE entries SET gid = NULL WHERE id = 3")));

    [Fact]
    public void ReadAll_ExtentBlobNotABlobId_IsRefusedQuotingIt() =>
        Assert.Equal("cat: 'zz' is not a blob id.", Refusal(DamagedCatalog.Edit("UPDATE extents SET blob = 'zz' WHERE entry = 3 AND offset = 0")));

    [Fact]
    public void ReadAll_ExtentBlobNull_IsRefusedAsNotABlobId() =>
        Assert.Equal("cat: '' is not a blob id.", Refusal(DamagedCatalog.Unconstrained("UPDATE extents SET blob = NULL WHERE entry = 3 AND offset = 0")));

    [Fact]
    public void ReadAll_UnknownKind_IsRefusedQuotingIt() =>
        Assert.Equal("cat: unknown entry kind 'folder'.", Refusal(DamagedCatalog.Edit("UPDATE entries SET kind = 'folder' WHERE id = 2")));

    [Fact]
    public void ReadAll_KindNull_IsRefusedAsAnUnknownKind() =>
        Assert.Equal("cat: unknown entry kind ''.", Refusal(DamagedCatalog.Unconstrained("UPDATE entries SET kind = NULL WHERE id = 2")));

    [Fact]
    public void ReadAll_UnknownState_IsRefusedQuotingIt() =>
        Assert.Equal("cat: unknown entry state 'lost'.", Refusal(DamagedCatalog.Edit("UPDATE entries SET state = 'lost' WHERE id = 7")));

    [Fact]
    public void ReadAll_StateNull_IsRefusedAsAnUnknownState() =>
        Assert.Equal("cat: unknown entry state ''.", Refusal(DamagedCatalog.Unconstrained("UPDATE entries SET state = NULL WHERE id = 7")));

    [Fact]
    public void ReadAll_ExcludedEntry_KeepsItsStateAndNote()
    {
        TreeEntry excluded = TreeCatalog.ReadAll(DamagedCatalog.Written(), "cat")[6];

        Assert.Equal((EntryState.Excluded, "curator: *.tmp"), (excluded.State, excluded.Note));
    }
}
