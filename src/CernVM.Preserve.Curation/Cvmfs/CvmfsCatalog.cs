using System.Globalization;
using Microsoft.Data.Sqlite;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>A reference from a catalog to a nested (or bind-mounted) catalog.</summary>
/// <param name="Path">The mount path, e.g. <c>/dir5/ndir5</c>.</param>
/// <param name="Hash">The catalog object (suffix C).</param>
/// <param name="Size">Uncompressed size, if recorded (schema 2.x revision ≥ 1).</param>
public sealed record NestedCatalogReference(string Path, ContentHash Hash, long? Size);

/// <summary>One piece of a file's content: the bytes [<paramref name="Offset"/>, +<paramref name="Size"/>) are the inflated object <paramref name="Hash"/>.</summary>
public readonly record struct ContentChunk(long Offset, long Size, ContentHash Hash);

/// <summary>One row of the <c>catalog</c> table, decoded (docs/CVMFS.md §4.2; cvmfs/catalog_sql.cc).</summary>
public sealed record CatalogRecord
{
    public required Md5Path PathKey { get; init; }

    public required Md5Path ParentKey { get; init; }

    /// <summary>Base name; <c>""</c> for the repository root.</summary>
    public required string Name { get; init; }

    public required CatalogEntryFlags Flags { get; init; }

    public required long Mode { get; init; }

    /// <summary>File size; for a symbolic link the target length.</summary>
    public required long Size { get; init; }

    public required long MtimeSeconds { get; init; }

    /// <summary>Nanosecond part of the mtime (schema revision ≥ 7), else null.</summary>
    public int? MtimeNanoseconds { get; init; }

    /// <summary>Owner; null in 1.x catalogs, which do not store it.</summary>
    public long? Uid { get; init; }

    /// <summary>Group; null in 1.x catalogs.</summary>
    public long? Gid { get; init; }

    public string? Symlink { get; init; }

    /// <summary>The content hash of a regular, non-chunked file; null for directories and links.</summary>
    public ContentHash? ContentHash { get; init; }

    /// <summary>Hard-link count (low 32 bits of <c>hardlinks</c>); 1 when not stored.</summary>
    public long LinkCount { get; init; } = 1;

    /// <summary>Hard-link group, 0 for none (high 32 bits of <c>hardlinks</c>; the shared inode in 1.x).</summary>
    public long HardlinkGroup { get; init; }

    public IReadOnlyList<KeyValuePair<string, byte[]>> Xattrs { get; init; } = [];

    public CvmfsHashAlgorithm HashAlgorithm { get; init; } = CvmfsHashAlgorithm.Sha1;

    public CvmfsCompressionAlgorithm Compression { get; init; }
}

/// <summary>
/// A file catalog: a zlib-compressed SQLite database listing one subtree (docs/CVMFS.md §4;
/// cvmfs/catalog_sql.cc). Columns are chosen from what the tables actually have, which covers
/// 1.x ("2.0 era": <c>inode</c>, no uid/gid), and 2.5 revisions 0-7 (xattr from r2,
/// <c>bind_mountpoints</c> from r4, <c>mtimens</c> from r7).
/// </summary>
public sealed class CvmfsCatalog : IDisposable
{
    private readonly TemporarySqliteDatabase _database;
    private readonly string _select;
    private readonly bool _legacy;
    private readonly bool _hasChunks;
    private readonly HashSet<long> _sharedInodes = [];

    private CvmfsCatalog(ContentHash hash, TemporarySqliteDatabase database, long uncompressedSize)
    {
        Hash = hash;
        _database = database;
        UncompressedSize = uncompressedSize;
        string subject = hash.ObjectName;

        if (!database.HasTable("catalog"))
        {
            throw new CvmfsFormatException(subject, "the catalog has no 'catalog' table.");
        }

        Properties = database.ReadProperties();
        HashSet<string> columns = database.Columns("catalog");
        _legacy = !columns.Contains("hardlinks");
        var select = new List<string>
        {
            "md5path_1", "md5path_2", "parent_1", "parent_2", _legacy ? "inode" : "hardlinks", "hash", "size", "mode", "mtime", "flags", "name", "symlink",
            columns.Contains("uid") ? "uid" : "NULL", columns.Contains("gid") ? "gid" : "NULL",
            columns.Contains("xattr") ? "xattr" : "NULL", columns.Contains("mtimens") ? "mtimens" : "NULL",
        };
        _select = "SELECT " + string.Join(", ", select) + " FROM catalog";
        _hasChunks = database.HasTable("chunks");

        Schema = Properties.TryGetValue("schema", out string? schema) ? schema : "1.0";
        SchemaRevision = Properties.TryGetValue("schema_revision", out string? schemaRevision) && int.TryParse(schemaRevision, CultureInfo.InvariantCulture, out int sr) ? sr : 0;
        Revision = Properties.TryGetValue("revision", out string? revision) && long.TryParse(revision, CultureInfo.InvariantCulture, out long r) ? r : 0;
        RootPrefix = Properties.TryGetValue("root_prefix", out string? prefix) ? prefix : string.Empty;
        if (Properties.TryGetValue("last_modified", out string? modified) && long.TryParse(modified, CultureInfo.InvariantCulture, out long seconds))
        {
            LastModified = DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        // docs/CVMFS.md §4.3: absent, empty and the null hash (all zeros, what cvmfs_server records for a nested
        // catalog committed for the first time) all mean "no previous revision" (cvmfs/catalog.cc GetPreviousRevision).
        if (Properties.TryGetValue("previous_revision", out string? previous) && previous.Length > 0 && !ContentHash.IsNull(previous))
        {
            PreviousRevision = ContentHash.TryParse(previous, ObjectSuffix.Catalog, out ContentHash p)
                ? p
                : throw new CvmfsFormatException(subject, $"property previous_revision is not a hash: '{previous}'.");
        }

        NestedCatalogs = ReadReferences("nested_catalogs", subject);
        BindMountpoints = ReadReferences("bind_mountpoints", subject);

        if (_legacy)
        {
            // 1.x catalogs mark hard links by a shared inode number (no hardlinks column, catalog_sql.cc
            // GetFieldsToSelect); a shared value is reported as the hard-link group.
            using SqliteCommand command = database.Connection.CreateCommand();
            command.CommandText = "SELECT inode FROM catalog WHERE inode IS NOT NULL GROUP BY inode HAVING COUNT(*) > 1";
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                _sharedInodes.Add(reader.GetInt64(0));
            }
        }
    }

    /// <summary>The catalog object this was read from (suffix C).</summary>
    public ContentHash Hash { get; }

    /// <summary>Size of the inflated SQLite file.</summary>
    public long UncompressedSize { get; }

    /// <summary>All rows of the <c>properties</c> table.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; }

    /// <summary>The <c>schema</c> property, e.g. <c>1.2</c> or <c>2.5</c>.</summary>
    public string Schema { get; }

    /// <summary>The <c>schema_revision</c> property, 0 if absent.</summary>
    public int SchemaRevision { get; }

    /// <summary>The catalog's own revision counter.</summary>
    public long Revision { get; }

    /// <summary>The catalog this one replaced (root catalogs: the previous repository revision).</summary>
    public ContentHash? PreviousRevision { get; }

    /// <summary>The mount path of a nested catalog; <c>""</c> for a root catalog.</summary>
    public string RootPrefix { get; }

    public DateTimeOffset? LastModified { get; }

    /// <summary>The nested catalogs mounted directly below this one.</summary>
    public IReadOnlyList<NestedCatalogReference> NestedCatalogs { get; }

    /// <summary>Foreign root catalogs bind-mounted into this one (revision ≥ 4).</summary>
    public IReadOnlyList<NestedCatalogReference> BindMountpoints { get; }

    /// <summary>Opens an inflated catalog.</summary>
    /// <exception cref="CvmfsFormatException">The bytes are not a cvmfs catalog.</exception>
    public static CvmfsCatalog Open(byte[] sqliteBytes, ContentHash hash)
    {
        ArgumentNullException.ThrowIfNull(sqliteBytes);
        TemporarySqliteDatabase database = TemporarySqliteDatabase.Open(sqliteBytes, hash.ObjectName);
        try
        {
            return new CvmfsCatalog(hash, database, sqliteBytes.Length);
        }
        catch (SqliteException ex)
        {
            database.Dispose();
            throw new CvmfsFormatException(hash.ObjectName, $"cannot read catalog: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or InvalidOperationException or ArgumentOutOfRangeException)
        {
            // ArgumentOutOfRangeException: a last_modified beyond year 9999 (found while fuzzing, docs/security.md).
            database.Dispose();
            throw new CvmfsFormatException(hash.ObjectName, $"the catalog holds a value of the wrong type: {ex.Message}", ex);
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <summary>The row of <paramref name="path"/>, or null.</summary>
    public CatalogRecord? Lookup(string path)
    {
        Md5Path key = Md5Path.FromPath(path);
        return Query(" WHERE md5path_1 = $a AND md5path_2 = $b", key).FirstOrDefault();
    }

    /// <summary>The rows whose parent is <paramref name="path"/>, ordered by name (ordinal).</summary>
    public IReadOnlyList<CatalogRecord> ListChildren(string path)
    {
        Md5Path key = Md5Path.FromPath(path);
        var children = Query(" WHERE parent_1 = $a AND parent_2 = $b", key).ToList();
        children.Sort((x, y) => string.CompareOrdinal(x.Name, y.Name));
        return children;
    }

    /// <summary>Every row, in table order.</summary>
    public IEnumerable<CatalogRecord> ReadAll() => Query(string.Empty, null);

    /// <summary>The chunks of a chunked file, ordered by offset; objects carry suffix P.</summary>
    public IReadOnlyList<ContentChunk> GetChunks(Md5Path key, CvmfsHashAlgorithm algorithm)
    {
        var chunks = new List<ContentChunk>();
        if (!_hasChunks)
        {
            return chunks;
        }

        using SqliteCommand command = _database.Connection.CreateCommand();
        command.CommandText = "SELECT offset, size, hash FROM chunks WHERE md5path_1 = $a AND md5path_2 = $b ORDER BY offset";
        command.Parameters.AddWithValue("$a", key.Part1);
        command.Parameters.AddWithValue("$b", key.Part2);
        using SqliteDataReader reader = Guard(command.ExecuteReader);
        while (Guard(reader.Read))
        {
            chunks.Add(Guard(() => new ContentChunk(reader.GetInt64(0), reader.GetInt64(1), ToHash(HashBlob(reader, 2), algorithm, ObjectSuffix.Partial))));
        }

        return chunks;
    }

    /// <summary>Every chunk object of the catalog, with the algorithm from its file's flags (catalog_sql.cc SqlListContentHashes).</summary>
    public IEnumerable<ContentHash> ReadAllChunkHashes()
    {
        if (!_hasChunks)
        {
            yield break;
        }

        using SqliteCommand command = _database.Connection.CreateCommand();
        command.CommandText = "SELECT chunks.hash, catalog.flags FROM chunks JOIN catalog ON chunks.md5path_1 = catalog.md5path_1 AND chunks.md5path_2 = catalog.md5path_2";
        using SqliteDataReader reader = Guard(command.ExecuteReader);
        while (Guard(reader.Read))
        {
            long flags = Guard(() => reader.GetInt64(1));
            if ((flags & (long)CatalogEntryFlags.External) == 0)
            {
                yield return Guard(() => ToHash(HashBlob(reader, 0), CatalogFlags.HashAlgorithm(flags), ObjectSuffix.Partial));
            }
        }
    }

    public void Dispose() => _database.Dispose();

    private IEnumerable<CatalogRecord> Query(string where, Md5Path? key)
    {
        using SqliteCommand command = _database.Connection.CreateCommand();
        command.CommandText = _select + where;
        if (key is Md5Path k)
        {
            command.Parameters.AddWithValue("$a", k.Part1);
            command.Parameters.AddWithValue("$b", k.Part2);
        }

        using SqliteDataReader reader = Guard(command.ExecuteReader);
        while (Guard(reader.Read))
        {
            yield return Guard(() => ReadRecord(reader));
        }
    }

    /// <summary>
    /// Runs one step of a read. A catalog is read lazily, long after it was opened (a walk, a closure, a
    /// file's chunks): a value of the wrong type or a damaged page found then is a defect of the repository,
    /// reported like one found at opening, naming the catalog (docs/CVMFS.md §9), never a bare SQLite error.
    /// </summary>
    private T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (SqliteException ex)
        {
            throw new CvmfsFormatException(Hash.ObjectName, $"cannot read catalog: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or InvalidOperationException)
        {
            throw new CvmfsFormatException(Hash.ObjectName, $"the catalog holds a value of the wrong type: {ex.Message}", ex);
        }
    }

    private CatalogRecord ReadRecord(SqliteDataReader reader)
    {
        long flags = reader.GetInt64(9);
        CvmfsHashAlgorithm algorithm = CatalogFlags.HashAlgorithm(flags);
        string name = reader.IsDBNull(10) ? string.Empty : reader.GetString(10);
        long linkField = reader.IsDBNull(4) ? 0 : reader.GetInt64(4);
        long linkCount;
        long group;
        if (_legacy)
        {
            linkCount = 1;
            group = _sharedInodes.Contains(linkField) ? linkField : 0;
        }
        else
        {
            // catalog_sql.cc Hardlinks2Linkcount / Hardlinks2HardlinkGroup.
            linkCount = linkField & 0xFFFFFFFF;
            group = (long)((ulong)linkField >> 32);
        }

        ContentHash? content = null;
        if (!reader.IsDBNull(5))
        {
            byte[] blob = HashBlob(reader, 5);
            if (blob.Length > 0)
            {
                content = ToHash(blob, algorithm, ObjectSuffix.None);
            }
        }

        IReadOnlyList<KeyValuePair<string, byte[]>> xattrs = reader.IsDBNull(14)
            ? []
            : CvmfsXattrs.Decode((byte[])reader.GetValue(14), $"{Hash.ObjectName} entry '{name}'");

        return new CatalogRecord
        {
            PathKey = new Md5Path(reader.GetInt64(0), reader.GetInt64(1)),
            ParentKey = new Md5Path(reader.GetInt64(2), reader.GetInt64(3)),
            Name = name,
            Flags = (CatalogEntryFlags)(flags & ~0x3F00L),
            Mode = reader.GetInt64(7),
            Size = reader.IsDBNull(6) ? 0 : reader.GetInt64(6),
            MtimeSeconds = reader.IsDBNull(8) ? 0 : reader.GetInt64(8),
            MtimeNanoseconds = reader.IsDBNull(15) ? null : reader.GetInt32(15),
            Uid = reader.IsDBNull(12) ? null : reader.GetInt64(12),
            Gid = reader.IsDBNull(13) ? null : reader.GetInt64(13),
            Symlink = reader.IsDBNull(11) || reader.GetString(11).Length == 0 ? null : reader.GetString(11),
            ContentHash = content,
            LinkCount = linkCount,
            HardlinkGroup = group,
            Xattrs = xattrs,
            HashAlgorithm = algorithm,
            Compression = CatalogFlags.Compression(flags),
        };
    }

    private byte[] HashBlob(SqliteDataReader reader, int column) =>
        reader.GetValue(column) as byte[] ?? throw new CvmfsFormatException(Hash.ObjectName, $"a hash column holds {reader.GetFieldType(column).Name}, not a blob.");

    private ContentHash ToHash(byte[] blob, CvmfsHashAlgorithm algorithm, char suffix)
    {
        if (blob.Length != ContentHash.DigestSize(algorithm))
        {
            throw new CvmfsFormatException(Hash.ObjectName, $"a hash blob of {blob.Length} bytes does not fit {algorithm}.");
        }

        return new ContentHash(algorithm, blob, suffix);
    }

    private IReadOnlyList<NestedCatalogReference> ReadReferences(string table, string subject)
    {
        var references = new List<NestedCatalogReference>();
        if (!_database.HasTable(table))
        {
            return references;
        }

        bool hasSize = _database.Columns(table).Contains("size");
        using SqliteCommand command = _database.Connection.CreateCommand();
        command.CommandText = $"SELECT path, sha1{(hasSize ? ", size" : string.Empty)} FROM {table} ORDER BY path";
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            string path = reader.GetString(0);
            string hex = reader.IsDBNull(1) ? string.Empty : reader.GetString(1);
            if (!ContentHash.TryParse(hex, ObjectSuffix.Catalog, out ContentHash hash))
            {
                throw new CvmfsFormatException(subject, $"{table} row '{path}' has no valid hash: '{hex}'.");
            }

            long? size = hasSize && !reader.IsDBNull(2) ? reader.GetInt64(2) : null;
            references.Add(new NestedCatalogReference(path, hash, size));
        }

        return references;
    }
}
