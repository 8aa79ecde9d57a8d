using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CernVM.Preserve.Catalog;

/// <summary>
/// An opened tree catalog: SQLite reads the blob's bytes where they lie in memory (<c>sqlite3_deserialize</c>,
/// read-only, the array pinned while the catalog is open), as every reader of it loads the whole catalog anyway.
/// Written to a temporary file first, a restore's 2.5 MB catalog cost about 6 ms before the first file, all of it
/// the kernel taking new page-cache pages. Every read checks what it relies on and reports a damaged catalog by
/// name (<c>what</c>).
/// </summary>
public sealed class CatalogFile : IDisposable
{
    private System.Runtime.InteropServices.GCHandle _bytes;
    private readonly SqliteConnection _conn;
    private readonly string _what;

    /// <exception cref="PreserveException">Not SQLite, or not a format-1 catalog (kind Integrity).</exception>
    public CatalogFile(byte[] catalog, string what)
    {
        _what = what;
        if (!TreeCatalog.HasSqliteMagic(catalog))
        {
            throw new PreserveException(FailureKind.Integrity, $"{what}: the tree catalog is not an SQLite 3 database.");
        }

        CernVM.Preserve.Core.Diagnostics.Timeline.Mark("catalog: open");
        _bytes = System.Runtime.InteropServices.GCHandle.Alloc(catalog, System.Runtime.InteropServices.GCHandleType.Pinned);
        try
        {
            _conn = new SqliteConnection("Data Source=:memory:;Pooling=False");
            _conn.Open();
            int rc = raw.sqlite3_deserialize(_conn.Handle, "main", _bytes.AddrOfPinnedObject(), catalog.Length, catalog.Length, raw.SQLITE_DESERIALIZE_READONLY);
            if (rc != raw.SQLITE_OK)
            {
                throw new PreserveException(FailureKind.Integrity, $"{what}: the tree catalog cannot be opened by SQLite ({raw.sqlite3_errstr(rc).utf8_to_string()}).");
            }

            // Pages read where they lie rather than copied into SQLite's cache.
            _ = Scalar("PRAGMA mmap_size = 1073741824");

            string? format = Scalar("SELECT value FROM catalog_info WHERE key = 'format'") as string;
            CernVM.Preserve.Core.Diagnostics.Timeline.Mark("catalog: opened");
            if (format != "1")
            {
                throw new PreserveException(FailureKind.Integrity, $"{what}: the tree catalog has format '{format ?? "none"}', expected 1.");
            }
        }
        catch (SqliteException e)
        {
            Dispose();
            throw new PreserveException(FailureKind.Integrity, $"{what}: the tree catalog cannot be read as SQLite ({e.Message}).", e);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Every entry in id order, with its extents and xattrs, checked to form a valid tree.</summary>
    /// <exception cref="PreserveException">The catalog is damaged or breaks a rule of FORMAT.md §6 (kind Integrity).</exception>
    public List<TreeEntry> ReadAll()
    {
        List<TreeEntry> entries = Query(null);

        // FORMAT.md §6: the same rules the writer kept (TreeCatalogInvariants), so that what one writes the
        // other reads; a catalog that breaks them is refused before anything is made of it.
        TreeCatalogInvariants.Enforce(entries, _what);
        CernVM.Preserve.Core.Diagnostics.Timeline.Mark("catalog: checked");
        object? recorded = Scalar("SELECT value FROM catalog_info WHERE key = 'entries'");
        if (recorded is not string count)
        {
            throw new PreserveException(FailureKind.Integrity, $"{_what}: catalog_info records no number of entries (key 'entries', FORMAT.md §6.1).");
        }

        if (count != entries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new PreserveException(FailureKind.Integrity, $"{_what}: catalog_info records {count} entries, the catalog holds {entries.Count} (FORMAT.md §6.1).");
        }

        return entries;
    }

    /// <summary>The entry at <paramref name="path"/>, or null.</summary>
    public TreeEntry? Find(byte[] path) => Query(path).FirstOrDefault();

    private List<TreeEntry> Query(byte[]? onePath)
    {
        try
        {
            // Read through SQLite's own statements: the ADO.NET reader boxes every value, which dominated
            // the time to load a catalog of thousands of entries. Entries are immutable, so a whole catalog's
            // extents and xattrs are read first and each entry is made once, with its own.
            sqlite3 db = _conn.Handle!;
            if (onePath is not null)
            {
                List<TreeEntry> found = ReadEntries(db, onePath, null, null);
                if (found.Count == 0)
                {
                    return found;
                }

                string filter = $" WHERE entry = {found[0].Id}";
                Dictionary<long, List<Extent>> ownExtents = ReadExtents(db, filter);
                Dictionary<long, List<XAttr>> ownXAttrs = ReadXAttrs(db, filter);
                return [found[0] with { Extents = ownExtents.GetValueOrDefault(found[0].Id) ?? [], XAttrs = ownXAttrs.GetValueOrDefault(found[0].Id) ?? [] }];
            }

            Dictionary<long, List<Extent>> extents = ReadExtents(db, "");
            CernVM.Preserve.Core.Diagnostics.Timeline.Mark("catalog: extents read");
            Dictionary<long, List<XAttr>> xattrs = ReadXAttrs(db, "");
            CernVM.Preserve.Core.Diagnostics.Timeline.Mark("catalog: xattrs read");
            return ReadEntries(db, null, extents, xattrs);
        }
        catch (SqliteException e)
        {
            throw new PreserveException(FailureKind.Integrity, $"{_what}: the tree catalog is damaged ({e.Message}).", e);
        }
        catch (InvalidCastException e)
        {
            throw new PreserveException(FailureKind.Integrity, $"{_what}: the tree catalog holds a value of the wrong type ({e.Message}).", e);
        }
    }

    /// <summary>Reads entries (all in id order, or the one at <paramref name="onePath"/>), each with its extents and xattrs from the maps.</summary>
    private List<TreeEntry> ReadEntries(sqlite3 db, byte[]? onePath, Dictionary<long, List<Extent>>? extents, Dictionary<long, List<XAttr>>? xattrs)
    {
        var ids = new HashSet<long>();
        var list = new List<TreeEntry>();

        // The columns in TreeEntryFields' order (FORMAT.md §6.2), read by position below.
        string sql = $"SELECT {string.Join(", ", TreeEntryFields.EntryColumns)} FROM entries" + (onePath is null ? " ORDER BY id" : " WHERE path = ?1");
        int withExtents = 0;
        using (var q = new RawQuery(db, sql, _what))
        {
            if (onePath is not null)
            {
                q.BindBlob(1, onePath);
            }

            while (q.Step())
            {
                long id = q.Int(0);
                List<Extent>? own = extents?.GetValueOrDefault(id);
                withExtents += own is null ? 0 : 1;
                var t = new TreeEntry
                {
                    Id = id,
                    ParentId = q.IntOrNull(1),
                    Path = q.Blob(2) ?? [],
                    Kind = TreeCatalog.ParseKind(q.Text(3) ?? "", _what),
                    State = TreeCatalog.ParseState(q.Text(4) ?? "", _what),
                    Mode = q.Int32(5),
                    Uid = q.Int(6),
                    Gid = q.Int(7),
                    UserName = q.Text(8),
                    GroupName = q.Text(9),
                    MtimeSeconds = q.Int(10),
                    MtimeNanoseconds = q.Int32(11),
                    Size = q.Int(12),
                    DeviceMajor = q.Int32(13),
                    DeviceMinor = q.Int32(14),
                    LinkTarget = q.Blob(15),
                    HardlinkTo = q.IntOrNull(16),
                    Content = q.Text(17) is string c ? ParseBlob(c) : null,
                    Note = q.Text(18),
                    Observed = new SourceObservation(q.Int(19), q.Int(20), q.Int(21), q.Int32(22)),
                    Extents = own ?? [],
                    XAttrs = xattrs?.GetValueOrDefault(id) ?? [],
                };
                if (!PathBytes.IsSafeRelative(t.Path))
                {
                    throw new PreserveException(FailureKind.Integrity, $"{_what}: entry {t.Id} has the unsafe path '{t.DisplayPath}'.");
                }

                if (!ids.Add(t.Id))
                {
                    throw new PreserveException(FailureKind.Integrity, $"{_what}: entry id {t.Id} appears twice.");
                }

                list.Add(t);
            }
        }

        CernVM.Preserve.Core.Diagnostics.Timeline.Mark("catalog: entries read");
        if (extents is not null && withExtents != extents.Count)
        {
            long orphan = extents.Keys.First(id => !ids.Contains(id));
            throw new PreserveException(FailureKind.Integrity, $"{_what}: an extent names entry {orphan}, which does not exist.");
        }

        return list;
    }

    private Dictionary<long, List<Extent>> ReadExtents(sqlite3 db, string filter)
    {
        var extents = new Dictionary<long, List<Extent>>();
        using var q = new RawQuery(db, "SELECT entry, offset, length, blob, blob_offset FROM extents" + filter + " ORDER BY entry, offset", _what);
        while (q.Step())
        {
            long entry = q.Int(0);
            if (!extents.TryGetValue(entry, out List<Extent>? own))
            {
                extents[entry] = own = [];
            }

            own.Add(new Extent(q.Int(1), q.Int(2), ParseBlob(q.Text(3) ?? ""), q.Int(4)));
        }

        return extents;
    }

    // xattrs of an entry that does not exist are ignored, as they always were: they cannot be restored anywhere.
    private Dictionary<long, List<XAttr>> ReadXAttrs(sqlite3 db, string filter)
    {
        var xattrs = new Dictionary<long, List<XAttr>>();
        using var q = new RawQuery(db, "SELECT entry, name, value FROM xattrs" + filter + " ORDER BY entry, name", _what);
        while (q.Step())
        {
            long entry = q.Int(0);
            if (!xattrs.TryGetValue(entry, out List<XAttr>? own))
            {
                xattrs[entry] = own = [];
            }

            own.Add(new XAttr(q.Blob(1) ?? [], q.Blob(2) ?? []));
        }

        return xattrs;
    }

    /// <summary>A read-only statement over the raw SQLite API; a failing step is reported as a damaged catalog.</summary>
    private sealed class RawQuery : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _stmt;
        private readonly string _what;

        public RawQuery(sqlite3 db, string sql, string what)
        {
            _db = db;
            _what = what;
            if (raw.sqlite3_prepare_v2(db, sql, out _stmt) != raw.SQLITE_OK)
            {
                throw new PreserveException(FailureKind.Integrity, $"{what}: the tree catalog lacks what format 1 requires ({raw.sqlite3_errmsg(db).utf8_to_string()}).");
            }
        }

        public void BindBlob(int i, byte[] v)
        {
            _ = v.Length == 0 ? raw.sqlite3_bind_zeroblob(_stmt, i, 0) : raw.sqlite3_bind_blob(_stmt, i, v);
        }

        public bool Step()
        {
            int rc = raw.sqlite3_step(_stmt);
            if (rc == raw.SQLITE_ROW)
            {
                return true;
            }

            if (rc == raw.SQLITE_DONE)
            {
                return false;
            }

            throw new PreserveException(FailureKind.Integrity, $"{_what}: the tree catalog is damaged ({raw.sqlite3_errmsg(_db).utf8_to_string()}).");
        }

        public long Int(int c) => raw.sqlite3_column_type(_stmt, c) == raw.SQLITE_INTEGER
            ? raw.sqlite3_column_int64(_stmt, c)
            : throw new PreserveException(FailureKind.Integrity, $"{_what}: column {c} holds {TypeName(raw.sqlite3_column_type(_stmt, c))} where format 1 has an integer.");

        /// <summary>A column format 1 holds as a 32-bit integer (mode, nanoseconds, device numbers, link count).</summary>
        public int Int32(int c) => Int(c) is long v && v is >= int.MinValue and <= int.MaxValue
            ? (int)v
            : throw new PreserveException(FailureKind.Integrity, $"{_what}: column {c} holds {Int(c)}, beyond the 32-bit integer format 1 has there.");

        public long? IntOrNull(int c) => raw.sqlite3_column_type(_stmt, c) == raw.SQLITE_NULL ? null : Int(c);

        public string? Text(int c) => raw.sqlite3_column_type(_stmt, c) switch
        {
            raw.SQLITE_NULL => null,
            raw.SQLITE_TEXT => raw.sqlite3_column_text(_stmt, c).utf8_to_string(),
            int t => throw new PreserveException(FailureKind.Integrity, $"{_what}: column {c} holds {TypeName(t)} where format 1 has text."),
        };

        public byte[]? Blob(int c) => raw.sqlite3_column_type(_stmt, c) switch
        {
            raw.SQLITE_NULL => null,
            raw.SQLITE_BLOB or raw.SQLITE_TEXT => raw.sqlite3_column_blob(_stmt, c).ToArray(),
            int t => throw new PreserveException(FailureKind.Integrity, $"{_what}: column {c} holds {TypeName(t)} where format 1 has a blob."),
        };

        public void Dispose() => raw.sqlite3_finalize(_stmt);

        private static string TypeName(int t) => t switch
        {
            raw.SQLITE_INTEGER => "an integer",
            raw.SQLITE_FLOAT => "a real",
            raw.SQLITE_TEXT => "text",
            raw.SQLITE_BLOB => "a blob",
            _ => "null",
        };
    }

    private BlobId ParseBlob(string text) =>
        BlobId.TryParse(text, out BlobId id) ? id : throw new PreserveException(FailureKind.Integrity, $"{_what}: '{text}' is not a blob id.");

    private object? Scalar(string sql)
    {
        using SqliteCommand c = _conn.CreateCommand();
        c.CommandText = sql;
        return c.ExecuteScalar();
    }

    public void Dispose()
    {
        // The connection first: SQLite reads the pinned array until it is closed.
        _conn?.Dispose();
        if (_bytes.IsAllocated)
        {
            _bytes.Free();
        }
    }
}
