using System.Globalization;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using Microsoft.Data.Sqlite;
using SQLitePCL;

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
        // Built in memory and serialised (sqlite3_serialize gives the bytes of the database file): a
        // temporary file would be written while the snapshot's blobs are being made durable (syncfs), and
        // stalled behind that flush.
        {
            using (var conn = new SqliteConnection("Data Source=:memory:;Pooling=False"))
            {
                conn.Open();
                Exec(conn, "PRAGMA page_size=4096; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA encoding='UTF-8';");
                Exec(conn, System.Text.Encoding.UTF8.GetString(EmbeddedFiles.CatalogDdl));
                // Bulk insert through SQLite's own prepared statements: the ADO.NET layer costs several
                // microseconds per row, which is most of the time of a catalog of thousands of entries.
                sqlite3 db = conn.Handle!;
                Check(db, raw.sqlite3_exec(db, "BEGIN"));
                Check(db, raw.sqlite3_exec(db, $"INSERT INTO catalog_info(key, value) VALUES ('format', '1'), ('entries', '{entries.Count.ToString(CultureInfo.InvariantCulture)}')"));
                using (var e = new Statement(db,
                    "INSERT INTO entries(id, parent, path, kind, state, mode, uid, gid, uname, gname, mtime_sec, mtime_nsec, size, " +
                    "rdev_major, rdev_minor, target, hardlink_to, content, note, src_dev, src_ino, ctime_sec, ctime_nsec) VALUES " +
                    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)"))
                using (var x = new Statement(db, "INSERT INTO extents(entry, offset, length, blob, blob_offset) VALUES (?1, ?2, ?3, ?4, ?5)"))
                using (var a = new Statement(db, "INSERT INTO xattrs(entry, name, value) VALUES (?1, ?2, ?3)"))
                {
                    foreach (TreeEntry t in entries)
                    {
                        e.Int(1, t.Id);
                        e.IntOrNull(2, t.ParentId);
                        e.Blob(3, t.Path);
                        e.Text(4, KindName(t.Kind));
                        e.Text(5, StateName(t.State));
                        e.Int(6, t.Mode);
                        e.Int(7, t.Uid);
                        e.Int(8, t.Gid);
                        e.Text(9, t.UserName);
                        e.Text(10, t.GroupName);
                        e.Int(11, t.MtimeSeconds);
                        e.Int(12, t.MtimeNanoseconds);
                        e.Int(13, t.Size);
                        e.Int(14, t.DeviceMajor);
                        e.Int(15, t.DeviceMinor);
                        e.Blob(16, t.LinkTarget);
                        e.IntOrNull(17, t.HardlinkTo);
                        e.Text(18, t.Content?.ToString());
                        e.Text(19, t.Note);
                        e.Int(20, t.SourceDevice);
                        e.Int(21, t.SourceInode);
                        e.Int(22, t.CtimeSeconds);
                        e.Int(23, t.CtimeNanoseconds);
                        e.Run();

                        foreach (Extent ext in t.Extents)
                        {
                            x.Int(1, t.Id);
                            x.Int(2, ext.Offset);
                            x.Int(3, ext.Length);
                            x.Text(4, ext.Blob.ToString());
                            x.Int(5, ext.BlobOffset);
                            x.Run();
                        }

                        foreach (XAttr attr in t.XAttrs)
                        {
                            a.Int(1, t.Id);
                            a.Blob(2, attr.Name);
                            a.Blob(3, attr.Value);
                            a.Run();
                        }
                    }
                }

                Check(db, raw.sqlite3_exec(db, "COMMIT"));
                return Serialize(db);
            }
        }
    }

    private static byte[] Serialize(sqlite3 db)
    {
        IntPtr image = raw.sqlite3_serialize(db, "main", out long size, 0);
        if (image == IntPtr.Zero)
        {
            throw new InvalidOperationException("sqlite3_serialize gave no image of the catalog (out of memory).");
        }

        try
        {
            var bytes = new byte[size];
            System.Runtime.InteropServices.Marshal.Copy(image, bytes, 0, bytes.Length);
            return bytes;
        }
        finally
        {
            raw.sqlite3_free(image);
        }
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

    private static void Check(sqlite3 db, int rc)
    {
        if (rc != raw.SQLITE_OK && rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
        {
            throw new InvalidOperationException($"SQLite error {rc} while writing a catalog: {raw.sqlite3_errmsg(db).utf8_to_string()}");
        }
    }

    /// <summary>A prepared statement bound by position and run once per row.</summary>
    private sealed class Statement : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _stmt;

        public Statement(sqlite3 db, string sql)
        {
            _db = db;
            Check(db, raw.sqlite3_prepare_v2(db, sql, out _stmt));
        }

        public void Int(int i, long v) => Check(_db, raw.sqlite3_bind_int64(_stmt, i, v));

        public void IntOrNull(int i, long? v) => Check(_db, v is long x ? raw.sqlite3_bind_int64(_stmt, i, x) : raw.sqlite3_bind_null(_stmt, i));

        public void Text(int i, string? v) => Check(_db, v is null ? raw.sqlite3_bind_null(_stmt, i) : raw.sqlite3_bind_text(_stmt, i, v));

        // A zero-length blob stays a blob (the root's path is X''), not NULL.
        public void Blob(int i, byte[]? v) => Check(_db, v is null ? raw.sqlite3_bind_null(_stmt, i) : v.Length == 0 ? raw.sqlite3_bind_zeroblob(_stmt, i, 0) : raw.sqlite3_bind_blob(_stmt, i, v));

        public void Run()
        {
            Check(_db, raw.sqlite3_step(_stmt));
            Check(_db, raw.sqlite3_reset(_stmt));
        }

        public void Dispose() => raw.sqlite3_finalize(_stmt);
    }

    private static void Exec(SqliteConnection conn, string sql)
    {
        using SqliteCommand c = conn.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }
}
