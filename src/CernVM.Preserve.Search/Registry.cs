using System.Globalization;
using System.Text.Json;
using CernVM.Preserve.Core.Format;
using Microsoft.Data.Sqlite;

namespace CernVM.Preserve.Search;

/// <summary>One version the registry holds.</summary>
public sealed record RegisteredVersion(long Id, string Capsule, int Version, string ManifestSha256);

/// <summary>One installed package of a registered version, with the version's package database format.</summary>
public sealed record PackageRow(string Capsule, int Version, string? Format, string Name, int? Epoch, string PackageVersion, string Release, string? Arch)
{
    public string Key => VersionKey.Of(Capsule, Version);

    /// <summary><c>[epoch:]version[-release]</c> as rpm prints it, or the Debian version.</summary>
    public string Evr => (Epoch is int e ? $"{e.ToString(CultureInfo.InvariantCulture)}:" : "") + (Release.Length == 0 ? PackageVersion : $"{PackageVersion}-{Release}");
}

/// <summary>
/// The derived SQLite registry beside the Lucene index: the exact, structured half of the index (which
/// versions it holds and from which manifest, every installed package as its fields, the verdicts taken in),
/// for the question a full-text index answers badly: version ranges compared by rpm's or dpkg's rules.
/// </summary>
public sealed class Registry : IDisposable
{
    /// <summary>The registry's own schema; another value is a foreign index, rebuilt.</summary>
    public const string Schema = "cvmpreserve-search-registry-4";

    private readonly SqliteConnection _db;

    private Registry(SqliteConnection db) => _db = db;

    public static Registry Open(string file, bool readOnly)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = file,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        db.Open();
        var r = new Registry(db);
        if (!readOnly)
        {
            r.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        }

        return r;
    }

    /// <summary>Makes the tables of an empty registry and records its schema and archive.</summary>
    public void Create(string archiveId, string location)
    {
        Exec("""
            CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE versions(id INTEGER PRIMARY KEY, capsule TEXT NOT NULL, version INTEGER NOT NULL, manifest_sha256 TEXT NOT NULL,
                                  package_format TEXT, UNIQUE(capsule, version));
            CREATE TABLE version_facts(version_id INTEGER PRIMARY KEY, facts TEXT NOT NULL);
            CREATE TABLE package_versions(id INTEGER PRIMARY KEY, name TEXT NOT NULL, epoch INTEGER NOT NULL, version TEXT NOT NULL,
                                          release TEXT NOT NULL, arch TEXT NOT NULL);
            CREATE UNIQUE INDEX package_versions_key ON package_versions(name, epoch, version, release, arch);
            CREATE TABLE installed(package_version_id INTEGER NOT NULL, version_id INTEGER NOT NULL,
                                   PRIMARY KEY(package_version_id, version_id)) WITHOUT ROWID;
            CREATE INDEX installed_version ON installed(version_id);
            CREATE TABLE listings(id TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE verdicts(version_id INTEGER NOT NULL, kind TEXT NOT NULL, outcome TEXT NOT NULL, time TEXT NOT NULL, PRIMARY KEY(version_id, kind));
            CREATE TABLE capsule_tokens(capsule TEXT PRIMARY KEY, token TEXT NOT NULL) WITHOUT ROWID;
            """);
        SetMeta("schema", Schema);
        SetMeta("archive", archiveId);
        SetMeta("location", location);
        SetMeta("generation", "0");
        SetMeta("journal", "");
    }

    public string? Meta(string key)
    {
        using SqliteCommand c = Command("SELECT value FROM meta WHERE key = $k");
        c.Parameters.AddWithValue("$k", key);
        return c.ExecuteScalar() as string;
    }

    /// <summary>Sets a value (null: removes the key).</summary>
    public void SetMeta(string key, string? value)
    {
        if (value is null)
        {
            using SqliteCommand d = Command("DELETE FROM meta WHERE key = $k");
            d.Parameters.AddWithValue("$k", key);
            d.ExecuteNonQuery();
            return;
        }

        using SqliteCommand c = Command("INSERT INTO meta(key, value) VALUES($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
        c.Parameters.AddWithValue("$k", key);
        c.Parameters.AddWithValue("$v", value);
        c.ExecuteNonQuery();
    }

    public long Generation => long.Parse(Meta("generation") ?? "-1", CultureInfo.InvariantCulture);

    /// <summary>Whether SQLite finds the file sound (<c>PRAGMA quick_check</c>).</summary>
    public bool QuickCheck()
    {
        using SqliteCommand c = Command("PRAGMA quick_check");
        return c.ExecuteScalar() as string == "ok";
    }

    /// <summary>Starts the one write transaction of an update (plain SQL, so every command of this class takes part).</summary>
    public void Begin() => Exec("BEGIN IMMEDIATE");

    public void Commit() => Exec("COMMIT");

    public void Rollback()
    {
        _packageVersionIds.Clear();
        try
        {
            Exec("ROLLBACK");
        }
        catch (SqliteException)
        {
            // no transaction was open
        }

    }

    public IReadOnlyList<RegisteredVersion> Versions()
    {
        using SqliteCommand c = Command("SELECT id, capsule, version, manifest_sha256 FROM versions ORDER BY capsule, version");
        using SqliteDataReader r = c.ExecuteReader();
        var list = new List<RegisteredVersion>();
        while (r.Read())
        {
            list.Add(new RegisteredVersion(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetString(3)));
        }

        return list;
    }

    /// <summary>Installed packages recorded, over every version.</summary>
    public long PackageRows()
    {
        using SqliteCommand c = Command("SELECT count(*) FROM installed");
        return (long)c.ExecuteScalar()!;
    }

    /// <summary>Records one version (replacing what was recorded under its name) and returns its id.</summary>
    public long Add(VersionContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        VersionFacts f = content.Facts;
        Remove(f.Capsule, f.Version);
        long id;
        using (SqliteCommand c = Command("INSERT INTO versions(capsule, version, manifest_sha256, package_format) VALUES($c, $v, $m, $p) RETURNING id"))
        {
            c.Parameters.AddWithValue("$c", f.Capsule);
            c.Parameters.AddWithValue("$v", f.Version);
            c.Parameters.AddWithValue("$m", f.ManifestSha256);
            c.Parameters.AddWithValue("$p", (object?)f.PackageFormat ?? DBNull.Value);
            id = (long)c.ExecuteScalar()!;
        }

        using (SqliteCommand c = Command("INSERT INTO version_facts(version_id, facts) VALUES($id, $f)"))
        {
            c.Parameters.AddWithValue("$id", id);
            c.Parameters.AddWithValue("$f", JsonSerializer.Serialize(f, SearchJsonContext.Default.VersionFacts));
            c.ExecuteNonQuery();
        }

        // Each distinct package version is one row, named by id; a version installs ids. Capsule versions share
        // nearly all their packages' versions, so this is a tenth of the size of a row per installed package, and
        // `--package NAME` reads a few package versions and, for each, one contiguous range of installations.
        _installed ??= Prepared("INSERT INTO installed(package_version_id, version_id) VALUES($p, $v) ON CONFLICT DO NOTHING", "$p", "$v");
        _installed.Parameters[1].Value = id;
        foreach (PackageListEntry p in content.Packages)
        {
            _installed.Parameters[0].Value = PackageVersionId(p);
            _installed.ExecuteNonQuery();
        }

        return id;
    }

    /// <summary>
    /// Of <paramref name="ids"/>, the directory listings the index does not hold yet, now recorded as held (the
    /// caller adds their documents in the same update).
    /// </summary>
    public IReadOnlySet<string> AddListings(IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var added = new HashSet<string>(StringComparer.Ordinal);
        _addListing ??= Prepared("INSERT INTO listings(id) VALUES($id) ON CONFLICT DO NOTHING", "$id");
        foreach (string id in ids)
        {
            _addListing.Parameters[0].Value = id;
            if (_addListing.ExecuteNonQuery() > 0)
            {
                added.Add(id);
            }
        }

        return added;
    }

    private SqliteCommand? _addListing;

    private SqliteCommand Prepared(string sql, params string[] parameters)
    {
        SqliteCommand c = Command(sql);
        foreach (string p in parameters)
        {
            c.Parameters.Add(new SqliteParameter { ParameterName = p }); // typed by each value bound
        }

        c.Prepare();
        return c;
    }

    /// <summary>Versions and directory listings as the last commit recorded them (counted when it recorded none).</summary>
    public (long Versions, long Listings) Counts() =>
        long.TryParse(Meta("versions"), CultureInfo.InvariantCulture, out long v) && long.TryParse(Meta("listings"), CultureInfo.InvariantCulture, out long l)
            ? (v, l)
            : CountRows();

    /// <summary>Versions and directory listings as the tables hold them.</summary>
    public (long Versions, long Listings) CountRows()
    {
        using SqliteCommand c = Command("SELECT count(*) FROM versions");
        return ((long)c.ExecuteScalar()!, Listings());
    }

    /// <summary>Records the counts in the meta table (within the update's transaction), so that opening needs no count.</summary>
    public void RecordCounts()
    {
        (long versions, long listings) = CountRows();
        SetMeta("versions", versions.ToString(CultureInfo.InvariantCulture));
        SetMeta("listings", listings.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Directory listings held (their documents are in the Lucene index beside the versions').</summary>
    public long Listings()
    {
        using SqliteCommand c = Command("SELECT count(*) FROM listings");
        return (long)c.ExecuteScalar()!;
    }

    private SqliteCommand? _installed;
    private SqliteCommand? _findPackageVersion;
    private SqliteCommand? _addPackageVersion;

    /// <summary>Package versions' ids known in this session (ids of rows a rollback dropped are forgotten with it).</summary>
    private readonly Dictionary<(string Name, long Epoch, string Version, string Release, string Arch), long> _packageVersionIds = [];

    private long PackageVersionId(PackageListEntry p)
    {
        var key = (p.Name, (long)(p.Epoch ?? -1), p.Version, p.Release, p.Arch ?? "");
        if (_packageVersionIds.TryGetValue(key, out long id))
        {
            return id;
        }

        _findPackageVersion ??= Prepared("SELECT id FROM package_versions WHERE name = $n AND epoch = $e AND version = $v AND release = $r AND arch = $a", "$n", "$e", "$v", "$r", "$a");
        _addPackageVersion ??= Prepared("INSERT INTO package_versions(name, epoch, version, release, arch) VALUES($n, $e, $v, $r, $a) RETURNING id", "$n", "$e", "$v", "$r", "$a");
        object?[] values = [key.Name, key.Item2, key.Version, key.Release, key.Item5];
        for (int i = 0; i < values.Length; i++)
        {
            _findPackageVersion.Parameters[i].Value = values[i];
            _addPackageVersion.Parameters[i].Value = values[i];
        }

        id = _findPackageVersion.ExecuteScalar() is long found ? found : (long)_addPackageVersion.ExecuteScalar()!;
        _packageVersionIds[key] = id;
        return id;
    }

    /// <summary>Forgets a version (its packages and verdicts; the listings it shared stay, for the versions that name them).</summary>
    /// <summary>The names of the capsules of which some version is recorded.</summary>
    public IReadOnlyList<string> Capsules()
    {
        using SqliteCommand c = Command("SELECT DISTINCT capsule FROM versions ORDER BY capsule");
        using SqliteDataReader r = c.ExecuteReader();
        var list = new List<string>();
        while (r.Read())
        {
            list.Add(r.GetString(0));
        }

        return list;
    }

    /// <summary>The recorded version numbers of one capsule.</summary>
    public IReadOnlyList<int> VersionsOf(string capsule)
    {
        using SqliteCommand c = Command("SELECT version FROM versions WHERE capsule = $c ORDER BY version");
        c.Parameters.AddWithValue("$c", capsule);
        using SqliteDataReader r = c.ExecuteReader();
        var list = new List<int>();
        while (r.Read())
        {
            list.Add(r.GetInt32(0));
        }

        return list;
    }

    /// <summary>
    /// The store's token of each capsule's directory when its versions were last taken in whole
    /// (<c>IObjectStore.ChildrenTokenAsync</c>): while it is the same, the capsule's version directories are those recorded.
    /// </summary>
    public IReadOnlyDictionary<string, string> CapsuleTokens()
    {
        using SqliteCommand c = Command("SELECT capsule, token FROM capsule_tokens");
        using SqliteDataReader r = c.ExecuteReader();
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        while (r.Read())
        {
            tokens[r.GetString(0)] = r.GetString(1);
        }

        return tokens;
    }

    /// <summary>Records capsules' tokens (null: forget it, so that the capsule is listed next time).</summary>
    public void SetCapsuleTokens(IEnumerable<KeyValuePair<string, string?>> tokens)
    {
        using SqliteCommand set = Command("INSERT INTO capsule_tokens(capsule, token) VALUES($c, $t) ON CONFLICT(capsule) DO UPDATE SET token = excluded.token");
        using SqliteCommand forget = Command("DELETE FROM capsule_tokens WHERE capsule = $c");
        foreach ((string capsule, string? token) in tokens)
        {
            SqliteCommand c = token is null ? forget : set;
            c.Parameters.Clear();
            c.Parameters.AddWithValue("$c", capsule);
            if (token is not null)
            {
                c.Parameters.AddWithValue("$t", token);
            }

            c.ExecuteNonQuery();
        }
    }

    public void Remove(string capsule, int version)
    {
        using SqliteCommand c = Command("""
            DELETE FROM installed WHERE version_id IN (SELECT id FROM versions WHERE capsule = $c AND version = $v);
            DELETE FROM version_facts WHERE version_id IN (SELECT id FROM versions WHERE capsule = $c AND version = $v);
            DELETE FROM verdicts WHERE version_id IN (SELECT id FROM versions WHERE capsule = $c AND version = $v);
            DELETE FROM versions WHERE capsule = $c AND version = $v;
            """);
        c.Parameters.AddWithValue("$c", capsule);
        c.Parameters.AddWithValue("$v", version);
        c.ExecuteNonQuery();
    }

    /// <summary>Records a verdict when it is newer than the one held; true when it changed what is held.</summary>
    public bool SetVerdict(string capsule, int version, string? manifestSha256, Verdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        using SqliteCommand c = Command("""
            INSERT INTO verdicts(version_id, kind, outcome, time)
            SELECT id, $k, $o, $t FROM versions WHERE capsule = $c AND version = $v AND ($m IS NULL OR manifest_sha256 = $m)
            ON CONFLICT(version_id, kind) DO UPDATE SET outcome = excluded.outcome, time = excluded.time WHERE excluded.time >= verdicts.time
            """);
        c.Parameters.AddWithValue("$k", verdict.Kind);
        c.Parameters.AddWithValue("$o", verdict.Outcome);
        c.Parameters.AddWithValue("$t", verdict.Time);
        c.Parameters.AddWithValue("$c", capsule);
        c.Parameters.AddWithValue("$v", version);
        c.Parameters.AddWithValue("$m", (object?)manifestSha256 ?? DBNull.Value);
        return c.ExecuteNonQuery() > 0;
    }

    /// <summary>A distinct version of a package (a row of <c>package_versions</c>).</summary>
    public sealed record PackageVersion(long Id, string Name, int? Epoch, string Version, string Release, string? Arch);

    /// <summary>
    /// Every installation of a package of this name: the package version and the registry id of the capsule
    /// version that installs it (<see cref="DocumentBuilder.DvRegistryId"/> names it in Lucene), read as one
    /// range per package version, without a join.
    /// </summary>
    public IReadOnlyList<(PackageVersion Package, long VersionId)> Installations(string name)
    {
        var versions = new Dictionary<long, PackageVersion>();
        using (SqliteCommand c = Command("SELECT id, epoch, version, release, arch FROM package_versions WHERE name = $n"))
        {
            c.Parameters.AddWithValue("$n", name);
            using SqliteDataReader r = c.ExecuteReader();
            while (r.Read())
            {
                long epoch = r.GetInt64(1);
                string arch = r.GetString(4);
                versions[r.GetInt64(0)] = new PackageVersion(r.GetInt64(0), name, epoch < 0 ? null : (int)epoch, r.GetString(2), r.GetString(3), arch.Length == 0 ? null : arch);
            }
        }

        // One row per package version, its installations as one list: SQLite joins them in its own code, where a
        // row per installation (15,000 for openssl at 10,000 versions) cost a call and a handle check per column.
        var list = new List<(PackageVersion, long)>();
        using (SqliteCommand c = Command("SELECT package_version_id, group_concat(version_id) FROM installed WHERE package_version_id IN (SELECT id FROM package_versions WHERE name = $n) GROUP BY package_version_id"))
        {
            c.Parameters.AddWithValue("$n", name);
            using SqliteDataReader r = c.ExecuteReader();
            while (r.Read())
            {
                PackageVersion pv = versions[r.GetInt64(0)];
                foreach (long id in Ids(r.GetString(1)))
                {
                    list.Add((pv, id));
                }
            }
        }

        return list;
    }

    /// <summary>The numbers of a <c>group_concat</c> of integers.</summary>
    private static List<long> Ids(string joined)
    {
        var ids = new List<long>();
        foreach (Range part in joined.AsSpan().Split(','))
        {
            ids.Add(long.Parse(joined.AsSpan()[part], NumberStyles.None, CultureInfo.InvariantCulture));
        }

        return ids;
    }

    /// <summary>The registry ids of the versions whose package database is dpkg's (the others compare by rpm's rules).</summary>
    public IReadOnlySet<long> DpkgVersions()
    {
        using SqliteCommand c = Command("SELECT group_concat(id) FROM versions WHERE package_format = 'dpkg'");
        return c.ExecuteScalar() is string joined ? Ids(joined).ToHashSet() : [];
    }

    private void Exec(string sql)
    {
        using SqliteCommand c = Command(sql);
        c.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql)
    {
        SqliteCommand c = _db.CreateCommand();
        c.CommandText = sql;
        return c;
    }

    public void Dispose()
    {
        _addListing?.Dispose();
        _installed?.Dispose();
        _findPackageVersion?.Dispose();
        _addPackageVersion?.Dispose();
        _db.Dispose();
    }
}
