using Microsoft.Data.Sqlite;

namespace CernVM.Preserve.Audit;

/// <summary>
/// Which versions' tree catalogs name each blob, kept in a scratch database beside the opened catalogs: the fixity
/// pass asks only those catalogs which files a decoded blob holds. Asking every catalog for every blob grew with
/// versions × blobs (docs/benchmarks.md, "An archive of many versions"). On disk, not in memory, for the reason the
/// catalogs are: a blob shared by every version of a long-lived capsule is one row per version.
/// </summary>
internal sealed class BlobUsers : IDisposable
{
    private readonly string _directory;
    private readonly List<VersionState> _versions = [];
    private readonly Lock _lock = new();
    private SqliteConnection? _db;
    private List<string>? _first;
    private bool _sealed;
    private SqliteCommand? _query;

    /// <param name="directory">Where the database is made, once a second catalog is added.</param>
    public BlobUsers(string directory)
    {
        _directory = directory;
    }

    /// <summary>Records that <paramref name="version"/>'s catalog names each of <paramref name="blobs"/> (before <see cref="Seal"/>).</summary>
    public void Add(VersionState version, IEnumerable<string> blobs)
    {
        if (_sealed)
        {
            throw new InvalidOperationException("the blob users are sealed");
        }

        int index = _versions.Count;
        _versions.Add(version);
        if (index == 0)
        {
            // An archive of one version (the common case of an audit) needs no database: its one catalog is asked.
            _first = [.. blobs];
            return;
        }

        if (_db is null)
        {
            _db = Open(_directory);
            Insert(0, _first!);
            _first = null;
        }

        Insert(index, blobs);
    }

    /// <summary>Indexes what was added (one sort, not one index update per row); only then can it be asked.</summary>
    public void Seal()
    {
        _sealed = true;
        _first = null;
        if (_db is null)
        {
            return;
        }

        Exec(_db, "CREATE INDEX users_blob ON users(blob, version)");
        _query = _db.CreateCommand();
        _query.CommandText = "SELECT version FROM users WHERE blob = $b ORDER BY version";
        _query.Parameters.Add("$b", SqliteType.Text);
    }

    /// <summary>
    /// The versions whose catalog names <paramref name="blob"/>, in the order they were added; with one catalog
    /// added, that one whatever the blob (its own files' question then answers, without a second database).
    /// Safe from several threads.
    /// </summary>
    public IReadOnlyList<VersionState> Of(string blob)
    {
        if (!_sealed)
        {
            throw new InvalidOperationException("the blob users are not sealed yet");
        }

        if (_query is null)
        {
            return _versions;
        }

        var users = new List<VersionState>();
        lock (_lock)
        {
            _query.Parameters[0].Value = blob;
            using SqliteDataReader r = _query.ExecuteReader();
            while (r.Read())
            {
                users.Add(_versions[r.GetInt32(0)]);
            }
        }

        return users;
    }

    public void Dispose()
    {
        _query?.Dispose();
        _db?.Dispose();
    }

    private static SqliteConnection Open(string directory)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, "blob-users.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        db.Open();
        Exec(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; CREATE TABLE users(blob TEXT NOT NULL, version INTEGER NOT NULL)");
        return db;
    }

    private void Insert(int index, IEnumerable<string> blobs)
    {
        using SqliteTransaction t = _db!.BeginTransaction();
        using SqliteCommand insert = _db.CreateCommand();
        insert.Transaction = t;
        insert.CommandText = "INSERT INTO users(blob, version) VALUES ($b, $v)";
        SqliteParameter blob = insert.Parameters.Add("$b", SqliteType.Text);
        insert.Parameters.AddWithValue("$v", index);
        foreach (string b in blobs)
        {
            blob.Value = b;
            insert.ExecuteNonQuery();
        }

        t.Commit();
    }

    private static void Exec(SqliteConnection db, string sql)
    {
        using SqliteCommand c = db.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }
}
