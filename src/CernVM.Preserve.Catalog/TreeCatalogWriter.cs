using System.Globalization;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CernVM.Preserve.Catalog;

/// <summary>
/// Writes a tree catalog (FORMAT.md §6) one entry at a time, in id order, so that a snapshot can build its
/// catalog while content is still being read and is left with only <see cref="Finish"/> at its end. The
/// same entries added in the same order give the same bytes.
/// </summary>
/// <remarks>Not thread-safe: one caller adds, then finishes.</remarks>
public sealed class TreeCatalogWriter : IDisposable
{
    private readonly SqliteConnection _conn;
    private readonly sqlite3 _db;
    private readonly Statement _entry;
    private readonly Statement _extent;
    private readonly Statement _xattr;
    private readonly TreeCatalogInvariants _rules = new(writing: true);
    private long _count;
    private long _lastId;
    private bool _finished;

    public TreeCatalogWriter()
    {
        // Built in memory and serialised (sqlite3_serialize gives the bytes of the database file): a
        // temporary file would be written while the snapshot's blobs are being made durable (syncfs), and
        // stalled behind that flush.
        _conn = new SqliteConnection("Data Source=:memory:;Pooling=False");
        _conn.Open();
        TreeCatalog.Exec(_conn, "PRAGMA page_size=4096; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA encoding='UTF-8';");
        TreeCatalog.Exec(_conn, System.Text.Encoding.UTF8.GetString(EmbeddedFiles.CatalogDdl));

        // Bulk insert through SQLite's own prepared statements: the ADO.NET layer costs several microseconds
        // per row, which is most of the time of a catalog of thousands of entries.
        _db = _conn.Handle!;
        Check(_db, raw.sqlite3_exec(_db, "BEGIN"));
        _entry = new Statement(_db, InsertEntry);
        _extent = new Statement(_db, "INSERT INTO extents(entry, offset, length, blob, blob_offset) VALUES (?1, ?2, ?3, ?4, ?5)");
        _xattr = new Statement(_db, "INSERT INTO xattrs(entry, name, value) VALUES (?1, ?2, ?3)");
    }

    /// <summary>
    /// The row insert, its columns in <see cref="TreeEntryFields.EntryColumns"/>' order; <see cref="Add"/> binds
    /// them by position in that order (a test checks that every field reads back as written).
    /// </summary>
    internal static string InsertEntry { get; } =
        $"INSERT INTO entries({string.Join(", ", TreeEntryFields.EntryColumns)}) VALUES ({string.Join(", ", TreeEntryFields.EntryColumns.Select((_, i) => "?" + (i + 1).ToString(CultureInfo.InvariantCulture)))})";

    /// <summary>How many entries were added.</summary>
    public long Count => _count;

    /// <summary>Adds one entry with its extents and xattrs; ids must grow (FORMAT.md §6.2: parents first).</summary>
    /// <exception cref="ArgumentException">The id does not follow the previous one's.</exception>
    /// <exception cref="InvalidOperationException">Already finished.</exception>
    public void Add(TreeEntry t)
    {
        ArgumentNullException.ThrowIfNull(t);
        ObjectDisposedException.ThrowIf(_finished, this);
        if (t.Id <= _lastId)
        {
            throw new ArgumentException($"entry {t.Id} added after entry {_lastId}: a catalog is written in id order.", nameof(t));
        }

        // FORMAT.md §6: what every reader refuses is refused here, before the catalog exists (see Finish). From
        // the first entry that breaks a rule on, nothing more is inserted (the schema's own constraints would fail
        // on it or on the entries naming it, and the catalog will not be finished); the rest is still checked.
        if (!_rules.Check(t) || _rules.ViolationCount > 0)
        {
            _lastId = Math.Max(_lastId, t.Id);
            return;
        }

        Statement e = _entry;
        e.Int(1, t.Id);
        e.IntOrNull(2, t.ParentId);
        e.Blob(3, t.Path);
        e.Text(4, TreeCatalog.KindName(t.Kind));
        e.Text(5, TreeCatalog.StateName(t.State));
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
        e.Int(20, t.Observed.Device);
        e.Int(21, t.Observed.Inode);
        e.Int(22, t.Observed.CtimeSeconds);
        e.Int(23, t.Observed.CtimeNanoseconds);
        e.Run();

        foreach (Extent ext in t.Extents)
        {
            _extent.Int(1, t.Id);
            _extent.Int(2, ext.Offset);
            _extent.Int(3, ext.Length);
            _extent.Text(4, ext.Blob.ToString());
            _extent.Int(5, ext.BlobOffset);
            _extent.Run();
        }

        foreach (XAttr attr in t.XAttrs)
        {
            _xattr.Int(1, t.Id);
            _xattr.Blob(2, attr.Name);
            _xattr.Blob(3, attr.Value);
            _xattr.Run();
        }

        _lastId = t.Id;
        _count++;
    }

    /// <summary>
    /// Checks that the entries added form a valid tree (<see cref="TreeCatalogInvariants"/>), then records the
    /// entry count, commits and gives the bytes of the catalog file. Once only.
    /// </summary>
    /// <exception cref="PreserveException">The entries break a rule of FORMAT.md §6 (kind Integrity), naming them:
    /// no catalog is made, so no version can name one that its readers would refuse.</exception>
    public byte[] Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _finished = true;
        _rules.ThrowIfBroken("the tree catalog being written");
        Check(_db, raw.sqlite3_exec(_db, $"INSERT INTO catalog_info(key, value) VALUES ('format', '1'), ('entries', '{_count.ToString(CultureInfo.InvariantCulture)}')"));
        Check(_db, raw.sqlite3_exec(_db, "COMMIT"));
        IntPtr image = raw.sqlite3_serialize(_db, "main", out long size, 0);
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

    public void Dispose()
    {
        _entry.Dispose();
        _extent.Dispose();
        _xattr.Dispose();
        _conn.Dispose();
        _finished = true;
    }

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
}
