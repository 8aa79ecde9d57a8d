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
    private readonly SqliteConnection _db;
    private readonly List<VersionState> _versions = [];
    private readonly Lock _lock = new();
    private SqliteCommand? _query;

    public BlobUsers(string directory)
    {
        _db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, "blob-users.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        _db.Open();
        Exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; CREATE TABLE users(blob TEXT NOT NULL, version INTEGER NOT NULL)");
    }

    /// <summary>Records that <paramref name="version"/>'s catalog names each of <paramref name="blobs"/> (before <see cref="Seal"/>).</summary>
    public void Add(VersionState version, IEnumerable<string> blobs)
    {
        if (_query is not null)
        {
            throw new InvalidOperationException("the blob users are sealed");
        }

        int index = _versions.Count;
        _versions.Add(version);
        using SqliteTransaction t = _db.BeginTransaction();
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

    /// <summary>Indexes what was added (one sort, not one index update per row); only then can it be asked.</summary>
    public void Seal()
    {
        Exec("CREATE INDEX users_blob ON users(blob, version)");
        _query = _db.CreateCommand();
        _query.CommandText = "SELECT version FROM users WHERE blob = $b ORDER BY version";
        _query.Parameters.Add("$b", SqliteType.Text);
    }

    /// <summary>The versions whose catalog names <paramref name="blob"/>, in the order they were added. Safe from several threads.</summary>
    public IReadOnlyList<VersionState> Of(string blob)
    {
        SqliteCommand query = _query ?? throw new InvalidOperationException("the blob users are not sealed yet");
        var users = new List<VersionState>();
        lock (_lock)
        {
            query.Parameters[0].Value = blob;
            using SqliteDataReader r = query.ExecuteReader();
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
        _db.Dispose();
    }

    private void Exec(string sql)
    {
        using SqliteCommand c = _db.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }
}
