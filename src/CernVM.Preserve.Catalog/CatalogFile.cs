using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using Microsoft.Data.Sqlite;

namespace CernVM.Preserve.Catalog;

/// <summary>
/// An opened tree catalog: the blob's bytes written to a private temporary file and opened read-only.
/// Every read checks what it relies on and reports a damaged catalog by name (<c>what</c>).
/// </summary>
public sealed class CatalogFile : IDisposable
{
    private readonly string _path;
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

        _path = Path.Combine(Path.GetTempPath(), $"cvmpreserve-read-{Guid.NewGuid():N}.sqlite");
        File.WriteAllBytes(_path, catalog);
        try
        {
            _conn = new SqliteConnection($"Data Source={_path};Mode=ReadOnly;Pooling=False");
            _conn.Open();
            string? format = Scalar("SELECT value FROM catalog_info WHERE key = 'format'") as string;
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

    /// <summary>Every entry in id order, with its extents and xattrs.</summary>
    public List<TreeEntry> ReadAll() => Query(null);

    /// <summary>The entry at <paramref name="path"/>, or null.</summary>
    public TreeEntry? Find(byte[] path) => Query(path).FirstOrDefault();

    private List<TreeEntry> Query(byte[]? onePath)
    {
        try
        {
            var byId = new Dictionary<long, TreeEntry>();
            var list = new List<TreeEntry>();
            using (SqliteCommand c = _conn.CreateCommand())
            {
                c.CommandText =
                    "SELECT id, parent, path, kind, state, mode, uid, gid, uname, gname, mtime_sec, mtime_nsec, size, rdev_major, rdev_minor, " +
                    "target, hardlink_to, content, note, src_dev, src_ino, ctime_sec, ctime_nsec FROM entries" +
                    (onePath is null ? " ORDER BY id" : " WHERE path = $p");
                if (onePath is not null)
                {
                    c.Parameters.Add("$p", SqliteType.Blob).Value = onePath;
                }

                using SqliteDataReader r = c.ExecuteReader();
                while (r.Read())
                {
                    var t = new TreeEntry
                    {
                        Id = r.GetInt64(0),
                        ParentId = r.IsDBNull(1) ? null : r.GetInt64(1),
                        Path = r.IsDBNull(2) ? [] : (byte[])r.GetValue(2) is byte[] b ? b : [],
                        Kind = TreeCatalog.ParseKind(r.GetString(3), _what),
                        State = TreeCatalog.ParseState(r.GetString(4), _what),
                        Mode = r.GetInt32(5),
                        Uid = r.GetInt64(6),
                        Gid = r.GetInt64(7),
                        UserName = r.IsDBNull(8) ? null : r.GetString(8),
                        GroupName = r.IsDBNull(9) ? null : r.GetString(9),
                        MtimeSeconds = r.GetInt64(10),
                        MtimeNanoseconds = r.GetInt32(11),
                        Size = r.GetInt64(12),
                        DeviceMajor = r.GetInt32(13),
                        DeviceMinor = r.GetInt32(14),
                        LinkTarget = r.IsDBNull(15) ? null : (byte[])r.GetValue(15),
                        HardlinkTo = r.IsDBNull(16) ? null : r.GetInt64(16),
                        Content = r.IsDBNull(17) ? null : ParseBlob(r.GetString(17)),
                        Note = r.IsDBNull(18) ? null : r.GetString(18),
                        SourceDevice = r.GetInt64(19),
                        SourceInode = r.GetInt64(20),
                        CtimeSeconds = r.GetInt64(21),
                        CtimeNanoseconds = r.GetInt32(22),
                    };
                    if (!PathBytes.IsSafeRelative(t.Path))
                    {
                        throw new PreserveException(FailureKind.Integrity, $"{_what}: entry {t.Id} has the unsafe path '{t.DisplayPath}'.");
                    }

                    byId[t.Id] = t;
                    list.Add(t);
                }
            }

            if (list.Count == 0)
            {
                return list;
            }

            string filter = onePath is null ? "" : $" WHERE entry = {list[0].Id}";
            using (SqliteCommand c = _conn.CreateCommand())
            {
                c.CommandText = "SELECT entry, offset, length, blob, blob_offset FROM extents" + filter + " ORDER BY entry, offset";
                using SqliteDataReader r = c.ExecuteReader();
                while (r.Read())
                {
                    if (!byId.TryGetValue(r.GetInt64(0), out TreeEntry? t))
                    {
                        throw new PreserveException(FailureKind.Integrity, $"{_what}: an extent names entry {r.GetInt64(0)}, which does not exist.");
                    }

                    t.Extents.Add(new Extent(r.GetInt64(1), r.GetInt64(2), ParseBlob(r.GetString(3)), r.GetInt64(4)));
                }
            }

            using (SqliteCommand c = _conn.CreateCommand())
            {
                c.CommandText = "SELECT entry, name, value FROM xattrs" + filter + " ORDER BY entry, name";
                using SqliteDataReader r = c.ExecuteReader();
                while (r.Read())
                {
                    if (byId.TryGetValue(r.GetInt64(0), out TreeEntry? t))
                    {
                        t.XAttrs.Add(new XAttr((byte[])r.GetValue(1), (byte[])r.GetValue(2)));
                    }
                }
            }

            return list;
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
        _conn?.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // A temporary file; the OS cleans the temp directory.
        }
    }
}
