using CernVM.Preserve.Core.Storage;
using Microsoft.Data.Sqlite;

namespace CernVM.Preserve.Audit;

/// <summary>
/// A tree catalog (FORMAT.md §6) as the audit reads it, with the audit's own queries, opened read-only either where
/// its decoded bytes lie in memory (<c>sqlite3_deserialize</c>, for catalogs within the audit's memory budget: no
/// copy is made, SQLite reads the pinned buffer) or from a private temporary file (beyond the budget, so that memory
/// stays flat however many versions the archive holds). Written to a file, the Debian tree's 2.5 MB catalog cost
/// about 6 ms before the first blob could be checked, nearly all of it the kernel taking new page-cache pages.
/// </summary>
public sealed class CatalogDatabase : IDisposable
{
    // SQLite reads an image in memory in place, page by page, rather than copying each page into its cache.
    private const long MemoryMapLimit = 1L << 30;

    private readonly string? _path;
    private readonly RentedBytes? _image;
    private System.Buffers.MemoryHandle _pinned;
    private bool _ownsImage;
    private readonly string _connectionString;
    private readonly Lock _preparedLock = new();
    private SqliteConnection? _preparedConnection;
    private SqliteCommand? _wholeFiles;
    private SqliteCommand? _extents;

    private CatalogDatabase(string path)
    {
        _path = path;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
    }

    private CatalogDatabase(RentedBytes image)
    {
        _image = image;
        _pinned = image.Memory.Pin();

        // Not pooled: a pooled connection would keep this image for whoever opens ":memory:" next.
        _connectionString = "Data Source=:memory:;Pooling=False";
    }

    /// <summary>Opens the catalog where its bytes lie and checks it is a tree catalog of format 1.</summary>
    /// <param name="content">The decoded catalog; it becomes the returned catalog's (released when that is disposed). When none is returned it stays the caller's.</param>
    /// <returns>The catalog, or null with the reason.</returns>
    public static CatalogDatabase? OpenInMemory(RentedBytes content, out string? problem) => Checked(new CatalogDatabase(content), out problem);

    /// <summary>Writes the catalog's bytes to <paramref name="directory"/> and checks it is a tree catalog of format 1.</summary>
    /// <returns>The catalog, or null with the reason.</returns>
    public static CatalogDatabase? OpenOnDisk(ReadOnlySpan<byte> content, string directory, out string? problem)
    {
        string path = Path.Combine(directory, Guid.NewGuid().ToString("N") + ".db");
        using (FileStream file = File.Create(path))
        {
            file.Write(content);
        }

        return Checked(new CatalogDatabase(path), out problem);
    }

    // A catalog refused is closed at once (its file removed; an image in memory unpinned and left to the caller).
    private static CatalogDatabase? Checked(CatalogDatabase catalog, out string? problem)
    {
        problem = catalog.Check();
        if (problem is not null)
        {
            catalog.Dispose();
            return null;
        }

        catalog._ownsImage = true;
        return catalog;
    }

    /// <summary>Loads SQLite (the native library and its first connection) ahead of the first catalog.</summary>
    public static void WarmUp()
    {
        using var c = new SqliteConnection("Data Source=:memory:");
        c.Open();
    }

    public SqliteConnection Connect()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        if (_image is not null)
        {
            unsafe
            {
                int rc = SQLitePCL.raw.sqlite3_deserialize(c.Handle, "main", (nint)_pinned.Pointer, _image.Length, _image.Length, SQLitePCL.raw.SQLITE_DESERIALIZE_READONLY);
                if (rc != SQLitePCL.raw.SQLITE_OK)
                {
                    c.Dispose();
                    throw new SqliteException($"the catalog's bytes cannot be opened ({SQLitePCL.raw.sqlite3_errstr(rc).utf8_to_string()})", rc);
                }
            }

            using SqliteCommand mmap = c.CreateCommand();
            mmap.CommandText = $"PRAGMA mmap_size = {MemoryMapLimit}";
            mmap.ExecuteNonQuery();
        }

        return c;
    }

    private string? Check()
    {
        try
        {
            using SqliteConnection c = Connect();
            using SqliteCommand info = c.CreateCommand();
            info.CommandText = "SELECT value FROM catalog_info WHERE key = 'format'";
            if (info.ExecuteScalar() is not string format || format != "1")
            {
                return "catalog_info does not say format 1";
            }

            info.CommandText = "SELECT (SELECT value FROM catalog_info WHERE key = 'entries') = CAST((SELECT count(*) FROM entries) AS TEXT)";
            if (info.ExecuteScalar() is not long same || same != 1)
            {
                return "catalog_info's entries is not the number of rows of entries";
            }

            info.CommandText = "SELECT count(*) FROM extents x LEFT JOIN entries e ON e.id = x.entry WHERE e.id IS NULL OR e.kind <> 'file' OR length(x.blob) <> 64";
            if (info.ExecuteScalar() is not long bad || bad != 0)
            {
                return "extents name entries that are not regular files, or blobs that are not 64 hex digits";
            }

            return null;
        }
        catch (SqliteException e)
        {
            return $"not a tree catalog ({e.Message})";
        }
    }

    /// <summary>Every distinct blob the catalog's extents name.</summary>
    public IEnumerable<string> Blobs()
    {
        using SqliteConnection c = Connect();
        using SqliteCommand q = c.CreateCommand();
        q.CommandText = "SELECT DISTINCT blob FROM extents ORDER BY blob";
        using SqliteDataReader r = q.ExecuteReader();
        while (r.Read())
        {
            yield return r.GetString(0);
        }
    }

    /// <summary>The paths whose content lies (in part) in <paramref name="blob"/>, hard links to them included.</summary>
    public IReadOnlyList<string> PathsUsing(string blob)
    {
        using SqliteConnection c = Connect();
        using SqliteCommand q = c.CreateCommand();
        q.CommandText = """
            WITH hit(id) AS (SELECT DISTINCT entry FROM extents WHERE blob = $b)
            SELECT path FROM entries WHERE id IN (SELECT id FROM hit) OR hardlink_to IN (SELECT id FROM hit) ORDER BY id
            """;
        q.Parameters.AddWithValue("$b", blob);
        var paths = new List<string>();
        using SqliteDataReader r = q.ExecuteReader();
        while (r.Read())
        {
            paths.Add(PathText.Of((byte[])r.GetValue(0)));
        }

        return paths;
    }

    /// <summary>The path of an entry and of its hard links.</summary>
    public IReadOnlyList<string> PathsOf(long entry)
    {
        using SqliteConnection c = Connect();
        using SqliteCommand q = c.CreateCommand();
        q.CommandText = "SELECT path FROM entries WHERE id = $e OR hardlink_to = $e ORDER BY id";
        q.Parameters.AddWithValue("$e", entry);
        var paths = new List<string>();
        using SqliteDataReader r = q.ExecuteReader();
        while (r.Read())
        {
            paths.Add(PathText.Of((byte[])r.GetValue(0)));
        }

        return paths;
    }

    /// <summary>
    /// Files held whole by one extent of <paramref name="blob"/>, starting at the file's first byte and covering
    /// its size: their content can be checked while the blob is in hand. Asked once for every blob the catalog
    /// names, so the statement is prepared once, on a connection kept for the prepared statements, and the askers take turns.
    /// </summary>
    public IReadOnlyList<WholeFileSlice> WholeFilesIn(string blob)
    {
        var slices = new List<WholeFileSlice>();
        lock (_preparedLock)
        {
            if (_wholeFiles is null)
            {
                _preparedConnection ??= Connect();
                _wholeFiles = _preparedConnection.CreateCommand();
                _wholeFiles.CommandText = """
                    SELECT x.entry, e.content, x.blob_offset, x.length FROM extents x JOIN entries e ON e.id = x.entry
                    WHERE x.blob = $b AND x.offset = 0 AND x.length = e.size
                      AND NOT EXISTS (SELECT 1 FROM extents y WHERE y.entry = x.entry AND y.offset <> 0)
                    """;
                _wholeFiles.Parameters.Add("$b", SqliteType.Text);
                _wholeFiles.Prepare();
            }

            _wholeFiles.Parameters[0].Value = blob;
            using SqliteDataReader r = _wholeFiles.ExecuteReader();
            while (r.Read())
            {
                slices.Add(new WholeFileSlice(r.GetInt64(0), r.IsDBNull(1) ? "" : r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
            }
        }

        return slices;
    }

    /// <summary>
    /// Regular files that are not one whole extent: several chunks, holes, a zero tail, or no extent; with the blobs
    /// their extents name, comma-separated (null for none), in the same statement rather than one more per file.
    /// </summary>
    public IEnumerable<(long Entry, string Content, long Size, string? Blobs)> PiecedFiles()
    {
        using SqliteConnection c = Connect();
        using SqliteCommand q = c.CreateCommand();
        q.CommandText = """
            SELECT e.id, e.content, e.size, (SELECT group_concat(x.blob) FROM extents x WHERE x.entry = e.id) FROM entries e
            WHERE e.kind = 'file' AND e.state = 'captured' AND e.hardlink_to IS NULL AND e.content IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM extents x WHERE x.entry = e.id AND x.offset = 0 AND x.length = e.size
                              AND NOT EXISTS (SELECT 1 FROM extents y WHERE y.entry = e.id AND y.offset <> 0))
            ORDER BY e.id
            """;
        using SqliteDataReader r = q.ExecuteReader();
        while (r.Read())
        {
            yield return (r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetString(3));
        }
    }

    /// <summary>The extents of one file, in file order (asked twice for each file held in pieces: prepared once, like <see cref="WholeFilesIn"/>).</summary>
    public IReadOnlyList<(long Offset, long Length, string Blob, long BlobOffset)> ExtentsOf(long entry)
    {
        var list = new List<(long, long, string, long)>();
        lock (_preparedLock)
        {
            if (_extents is null)
            {
                _preparedConnection ??= Connect();
                _extents = _preparedConnection.CreateCommand();
                _extents.CommandText = "SELECT offset, length, blob, blob_offset FROM extents WHERE entry = $e ORDER BY offset";
                _extents.Parameters.Add("$e", SqliteType.Integer);
                _extents.Prepare();
            }

            _extents.Parameters[0].Value = entry;
            using SqliteDataReader r = _extents.ExecuteReader();
            while (r.Read())
            {
                list.Add((r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt64(3)));
            }
        }

        return list;
    }

    public void Dispose()
    {
        lock (_preparedLock)
        {
            _wholeFiles?.Dispose();
            _extents?.Dispose();
            _preparedConnection?.Dispose();
            (_wholeFiles, _extents, _preparedConnection) = (null, null, null);
        }

        if (_path is null)
        {
            _pinned.Dispose(); // every connection is closed: each query's own when it ended, the prepared one above
            if (_ownsImage)
            {
                _image!.Dispose();
            }

            return;
        }

        using (var c = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(c);
        }

        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // A temporary file in the audit's own directory, removed with it.
        }
    }
}

/// <summary>A file held whole by bytes <c>BlobOffset … BlobOffset+Length-1</c> of one blob.</summary>
public sealed record WholeFileSlice(long Entry, string Content, long BlobOffset, long Length);
