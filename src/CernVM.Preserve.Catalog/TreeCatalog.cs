using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using Microsoft.Data.Sqlite;

namespace CernVM.Preserve.Catalog;

/// <summary>
/// A tree catalog (FORMAT.md §6): the SQLite file listing one tree, stored as a blob. Writing is
/// deterministic: the same entries give the same bytes, so an unchanged tree gives the same catalog blob.
/// </summary>
public static class TreeCatalog
{
    private static readonly byte[] SqliteMagic = "SQLite format 3\0"u8.ToArray();

    /// <summary>Loads and initialises the SQLite library ahead of its first real use.</summary>
    public static void WarmUp()
    {
        using var conn = new SqliteConnection("Data Source=:memory:");
        conn.Open();
        Exec(conn, System.Text.Encoding.UTF8.GetString(EmbeddedFiles.CatalogDdl));
    }

    /// <summary>Writes <paramref name="entries"/> (ids 1..n, parents first) into catalog bytes.</summary>
    public static byte[] Write(IReadOnlyList<TreeEntry> entries)
    {
        using var writer = new TreeCatalogWriter();
        foreach (TreeEntry t in entries)
        {
            writer.Add(t);
        }

        return writer.Finish();
    }

    /// <summary>Reads every entry of a catalog, with extents and xattrs, in id order.</summary>
    /// <exception cref="PreserveException">The bytes are not a format-1 tree catalog (kind Integrity), naming <paramref name="what"/>.</exception>
    public static List<TreeEntry> ReadAll(byte[] catalog, string what)
    {
        using var file = new CatalogFile(catalog, what);
        return file.ReadAll();
    }

    public static string KindName(EntryKind kind) => kind switch
    {
        EntryKind.Directory => "dir",
        EntryKind.File => "file",
        EntryKind.Symlink => "symlink",
        EntryKind.CharDevice => "chardev",
        EntryKind.BlockDevice => "blockdev",
        EntryKind.Fifo => "fifo",
        EntryKind.Socket => "socket",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static EntryKind ParseKind(string s, string what) => s switch
    {
        "dir" => EntryKind.Directory,
        "file" => EntryKind.File,
        "symlink" => EntryKind.Symlink,
        "chardev" => EntryKind.CharDevice,
        "blockdev" => EntryKind.BlockDevice,
        "fifo" => EntryKind.Fifo,
        "socket" => EntryKind.Socket,
        _ => throw new PreserveException(FailureKind.Integrity, $"{what}: unknown entry kind '{s}'."),
    };

    internal static string StateName(EntryState state) => state switch
    {
        EntryState.Captured => "captured",
        EntryState.Excluded => "excluded",
        EntryState.Pseudo => "pseudo",
        EntryState.Unreadable => "unreadable",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    internal static EntryState ParseState(string s, string what) => s switch
    {
        "captured" => EntryState.Captured,
        "excluded" => EntryState.Excluded,
        "pseudo" => EntryState.Pseudo,
        "unreadable" => EntryState.Unreadable,
        _ => throw new PreserveException(FailureKind.Integrity, $"{what}: unknown entry state '{s}'."),
    };

    internal static bool HasSqliteMagic(byte[] bytes) => bytes.AsSpan().StartsWith(SqliteMagic);

    internal static void Exec(SqliteConnection conn, string sql)
    {
        using SqliteCommand c = conn.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }
}
