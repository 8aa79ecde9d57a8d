using CernVM.Preserve.Core.Model;
using Microsoft.Data.Sqlite;

namespace CernVM.Preserve.Catalog.Tests;

/// <summary>
/// A small valid tree written by the product's own writer, and copies of it damaged with SQL: what a
/// defective writer, a flipped bit or a hostile archive leaves for a reader.
/// </summary>
internal static class DamagedCatalog
{
    /// <summary>The blob every extent of <see cref="Tree"/> names.</summary>
    public static readonly BlobId Bundle = BlobId.Of("bundle"u8);

    /// <summary>
    /// Ids 1-8: the root; <c>d</c>; <c>d/f</c>, a file of 100 bytes in two extents (0-39 and 60-99, a hole
    /// between) with two xattrs; <c>d/h</c>, a hard link to it; <c>s</c>, a symlink to <c>d/f</c>; <c>p</c>, a
    /// fifo; <c>x</c>, an excluded file; <c>z</c>, a directory listed last.
    /// </summary>
    public static List<TreeEntry> Tree() =>
    [
        new TreeEntry { Id = 1, Path = [], Kind = EntryKind.Directory, Mode = 0x1ED, MtimeSeconds = 1_700_000_000 },
        new TreeEntry { Id = 2, ParentId = 1, Path = "d"u8.ToArray(), Kind = EntryKind.Directory, Mode = 0x1ED },
        new TreeEntry
        {
            Id = 3, ParentId = 2, Path = "d/f"u8.ToArray(), Kind = EntryKind.File, Mode = 0x1A4, Uid = 1000, Gid = 100, Size = 100,
            MtimeSeconds = 1_700_000_001, MtimeNanoseconds = 5, Content = BlobId.Of("content"u8),
            Extents = [new Extent(0, 40, Bundle, 0), new Extent(60, 40, Bundle, 40)],
            XAttrs = [new XAttr("user.a"u8.ToArray(), [1]), new XAttr("user.b"u8.ToArray(), [2])],
        },
        new TreeEntry { Id = 4, ParentId = 2, Path = "d/h"u8.ToArray(), Kind = EntryKind.File, Mode = 0x1A4, Size = 100, HardlinkTo = 3 },
        new TreeEntry { Id = 5, ParentId = 1, Path = "s"u8.ToArray(), Kind = EntryKind.Symlink, Mode = 0x1FF, LinkTarget = "d/f"u8.ToArray(), Size = 3 },
        new TreeEntry { Id = 6, ParentId = 1, Path = "p"u8.ToArray(), Kind = EntryKind.Fifo, Mode = 0x1A4 },
        new TreeEntry { Id = 7, ParentId = 1, Path = "x"u8.ToArray(), Kind = EntryKind.File, State = EntryState.Excluded, Note = "curator: *.tmp", Size = 7 },
        new TreeEntry { Id = 8, ParentId = 1, Path = "z"u8.ToArray(), Kind = EntryKind.Directory, Mode = 0x1ED },
    ];

    /// <summary><see cref="Tree"/> as its catalog file.</summary>
    public static byte[] Written() => TreeCatalog.Write(Tree());

    /// <summary>
    /// <see cref="Written"/> with <paramref name="sql"/> run on it, foreign keys and CHECK constraints not
    /// enforced (the schema's NOT NULL, UNIQUE and primary keys still are).
    /// </summary>
    public static byte[] Edit(string sql) => Edit(Written(), sql);

    /// <inheritdoc cref="Edit(string)"/>
    public static byte[] Edit(byte[] catalog, string sql)
    {
        string file = TemporaryFile("edit");
        try
        {
            File.WriteAllBytes(file, catalog);
            using (var c = new SqliteConnection($"Data Source={file};Pooling=False;Foreign Keys=False"))
            {
                c.Open();
                Execute(c, "PRAGMA ignore_check_constraints = ON;");
                Execute(c, sql);
            }

            return File.ReadAllBytes(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// The rows of <see cref="Written"/> copied into tables with format 1's names and columns but none of its
    /// types or constraints (no primary key, NOT NULL, UNIQUE or CHECK), each table in its key's order, then
    /// <paramref name="sql"/> run on them: what a writer that ignores the schema can make.
    /// </summary>
    public static byte[] Unconstrained(string sql)
    {
        string written = TemporaryFile("written");
        string file = TemporaryFile("unconstrained");
        try
        {
            File.WriteAllBytes(written, Written());
            using (var c = new SqliteConnection($"Data Source={file};Pooling=False"))
            {
                c.Open();
                Execute(c, $"ATTACH DATABASE '{written}' AS written;");
                Execute(c,
                    "CREATE TABLE catalog_info(key, value);" +
                    $"CREATE TABLE entries({string.Join(", ", TreeEntryFields.EntryColumns)});" +
                    "CREATE TABLE extents(entry, offset, length, blob, blob_offset);" +
                    "CREATE TABLE xattrs(entry, name, value);" +
                    "INSERT INTO catalog_info SELECT key, value FROM written.catalog_info;" +
                    $"INSERT INTO entries SELECT {string.Join(", ", TreeEntryFields.EntryColumns)} FROM written.entries ORDER BY id;" +
                    "INSERT INTO extents SELECT entry, offset, length, blob, blob_offset FROM written.extents ORDER BY entry, offset;" +
                    "INSERT INTO xattrs SELECT entry, name, value FROM written.xattrs ORDER BY entry, name;");
                Execute(c, "DETACH DATABASE written;");
                Execute(c, sql);
            }

            return File.ReadAllBytes(file);
        }
        finally
        {
            File.Delete(written);
            File.Delete(file);
        }
    }

    /// <summary>The number of the first page of <paramref name="table"/>'s b-tree in <paramref name="catalog"/>.</summary>
    public static long RootPage(byte[] catalog, string table)
    {
        string file = TemporaryFile("rootpage");
        try
        {
            File.WriteAllBytes(file, catalog);
            using var c = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
            c.Open();
            using SqliteCommand q = c.CreateCommand();
            q.CommandText = "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = $name";
            q.Parameters.AddWithValue("$name", table);
            return (long)q.ExecuteScalar()!;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string TemporaryFile(string what) => Path.Combine(Path.GetTempPath(), $"cvmp-damaged-{what}-{Guid.NewGuid():N}.sqlite");

    private static void Execute(SqliteConnection c, string sql)
    {
        using SqliteCommand command = c.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
