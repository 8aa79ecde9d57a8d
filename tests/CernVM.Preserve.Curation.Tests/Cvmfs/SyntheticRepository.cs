using System.Globalization;
using System.IO.Compression;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CernVM.Preserve.Curation.Cvmfs;
using Microsoft.Data.Sqlite;

namespace CernVM.Preserve.Curation.Tests.Cvmfs;

/// <summary>The tree a <see cref="SyntheticRepository"/> holds.</summary>
internal enum SyntheticShape
{
    /// <summary>One of every column and flag the reader decodes (chunks, xattrs, external, special, RIPEMD-160, …).</summary>
    Features,

    /// <summary>
    /// What today's cvmfs_server writes that the 2.0-era fixtures lack (docs/CVMFS.md §11): nested catalogs two
    /// levels deep whose <c>previous_revision</c> is the null hash, hard-link groups whose numbers repeat across
    /// directories and catalogs, a group of hard-linked symlinks, a tag history, a signed manifest.
    /// </summary>
    ServerWritten,

    /// <summary>
    /// Not written by cvmfs_server: one hard-link group of one directory joining a file, a symlink and a file
    /// of other content, which cannot be one inode (docs/CVMFS.md §4.4).
    /// </summary>
    ContradictoryGroup,
}

/// <summary>
/// Writes a small current-format repository (catalog schema 2.5 revision 7, history schema 1.0
/// revision 3) with real SQLite, zlib and freshly generated RSA keys, covering what the 2.0-era real
/// fixtures lack (<see cref="SyntheticShape"/>), with a tag history, meta-info, and a correctly signed
/// manifest and whitelist. Layout and encodings follow docs/CVMFS.md §1–§5; nothing here is read back by the builder.
/// </summary>
internal sealed class SyntheticRepository
{
    public const string Fqrn = "synthetic.example.org";

    // Key generation dominates the run time; the keys carry no state between repositories.
    private static readonly Lazy<RSA> SharedMasterKey = new(() => RSA.Create(2048));
    private static readonly Lazy<RSA> SharedRepositoryKey = new(() => RSA.Create(2048));

    /// <summary>What cvmfs_server records for "no hash": <c>shash::Any()</c> printed, 20 zero bytes (cvmfs/crypto/hash.h).</summary>
    public const string NullHash = "0000000000000000000000000000000000000000";

    private readonly CvmfsHashAlgorithm _algorithm;
    private readonly string _nestedPreviousRevision;

    public SyntheticRepository(string root, CvmfsHashAlgorithm algorithm)
        : this(root, algorithm, SyntheticShape.Features)
    {
    }

    /// <param name="root">Directory to write the repository into.</param>
    /// <param name="algorithm">The content hash algorithm.</param>
    /// <param name="shape">Which tree to write.</param>
    /// <param name="nestedPreviousRevision">The <c>previous_revision</c> property of the nested catalogs of a
    /// <see cref="SyntheticShape.ServerWritten"/> repository, as cvmfs_server writes it on their first commit.</param>
    public SyntheticRepository(string root, CvmfsHashAlgorithm algorithm, SyntheticShape shape, string nestedPreviousRevision = NullHash)
    {
        Root = root;
        _algorithm = algorithm;
        _nestedPreviousRevision = nestedPreviousRevision;
        Directory.CreateDirectory(root);
        MasterKey = SharedMasterKey.Value;
        RepositoryKey = SharedRepositoryKey.Value;
        Build(shape);
    }

    public string Root { get; }

    public RSA MasterKey { get; }

    public RSA RepositoryKey { get; }

    public byte[] ChunkedContent { get; } = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();

    public ContentHash CurrentRoot { get; private set; }

    public ContentHash OlderRoot { get; private set; }

    public ContentHash NestedCatalog { get; private set; }

    /// <summary>The nested catalog below <see cref="NestedCatalog"/> (<see cref="SyntheticShape.ServerWritten"/>).</summary>
    public ContentHash InnerNestedCatalog { get; private set; }

    /// <summary>The revision number of <see cref="CurrentRoot"/>; <see cref="OlderRoot"/> is the one before.</summary>
    public long Revision { get; private set; } = 5;

    public ContentHash ExternalContent { get; private set; }

    public ContentHash ChunkedBulkHash { get; private set; }

    public List<ContentHash> ChunkObjects { get; } = [];

    private static byte[] Zlib(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(data);
        }

        return output.ToArray();
    }

    private static long FlagsFor(CvmfsHashAlgorithm algorithm, long flags) => flags | (((long)algorithm - 1) << 8);

    private ContentHash Store(byte[] content, char suffix, CvmfsHashAlgorithm? algorithm = null, bool compress = true)
    {
        byte[] stored = compress ? Zlib(content) : content;
        ContentHash hash = ContentHash.Compute(algorithm ?? _algorithm, stored, suffix);
        string path = Path.Combine(Root, hash.ObjectPath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, stored);
        return hash;
    }

    private void Build(SyntheticShape shape)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        switch (shape)
        {
            case SyntheticShape.ServerWritten:
                BuildServerWritten();
                break;
            case SyntheticShape.ContradictoryGroup:
                BuildContradictoryGroup();
                break;
            default:
                BuildFeatures();
                break;
        }

        Publish(now);
    }

    private void BuildFeatures()
    {
        OlderRoot = StoreCatalog(string.Empty, 4, null, db => Insert(db, string.Empty, 1, Convert.ToInt64("40755", 8), 4096));

        NestedCatalog = StoreCatalog("/nested", 2, null, db =>
        {
            Insert(db, "/nested", 33, Convert.ToInt64("40755", 8), 4096, mtime: 1700000000);
            Insert(db, "/nested/.cvmfscatalog", FlagsFor(_algorithm, 4), Convert.ToInt64("100644", 8), 0, hash: Store([], ObjectSuffix.None));
            Insert(db, "/nested/inner", FlagsFor(_algorithm, 4), Convert.ToInt64("100644", 8), 5, hash: Store("inner"u8.ToArray(), ObjectSuffix.None));
        });
        long nestedSize = NestedCatalogSize;

        ChunkedBulkHash = ContentHash.Compute(_algorithm, Zlib(ChunkedContent));
        ExternalContent = ContentHash.Compute(_algorithm, Zlib("0123456789"u8.ToArray()));
        ContentHash shared = Store("hard-linked\n"u8.ToArray(), ObjectSuffix.None);
        byte[] xattrs = [1, 2, 8, 3, .. "user.foo"u8, .. "bar"u8, 10, 0, .. "user.empty"u8];

        CurrentRoot = StoreCatalog(string.Empty, 5, OlderRoot, db =>
        {
            Insert(db, string.Empty, 1, Convert.ToInt64("40755", 8), 4096);
            Insert(db, "/dir", 1, Convert.ToInt64("40755", 8), 4096);
            Insert(db, "/dir/chunked", FlagsFor(_algorithm, 68), Convert.ToInt64("100644", 8), ChunkedContent.Length, hash: ChunkedBulkHash);
            foreach ((int offset, int size) in new[] { (0, 1000), (1000, 2000) })
            {
                ContentHash chunk = Store(ChunkedContent[offset..(offset + size)], ObjectSuffix.Partial);
                ChunkObjects.Add(chunk);
                InsertChunk(db, "/dir/chunked", offset, size, chunk);
            }

            Insert(db, "/dir/a", FlagsFor(_algorithm, 4), Convert.ToInt64("100644", 8), 12, hash: shared, hardlinks: (7L << 32) | 2);
            Insert(db, "/dir/b", FlagsFor(_algorithm, 4), Convert.ToInt64("100644", 8), 12, hash: shared, hardlinks: (7L << 32) | 2);
            Insert(db, "/dir/attrs", FlagsFor(_algorithm, 4), Convert.ToInt64("100600", 8), 6, hash: Store("attrs\n"u8.ToArray(), ObjectSuffix.None), xattr: xattrs, mtimens: 123456789, uid: 1000, gid: 1001);
            Insert(db, "/dir/rmd", FlagsFor(CvmfsHashAlgorithm.Ripemd160, 4), Convert.ToInt64("100644", 8), 4, hash: Store("rmd\n"u8.ToArray(), ObjectSuffix.None, CvmfsHashAlgorithm.Ripemd160));
            Insert(db, "/dir/plain", FlagsFor(_algorithm, 4) | (1L << 11), Convert.ToInt64("100644", 8), 6, hash: Store("plain\n"u8.ToArray(), ObjectSuffix.None, compress: false));
            Insert(db, "/ext", FlagsFor(_algorithm, 132), Convert.ToInt64("100644", 8), 10, hash: ExternalContent);
            Insert(db, "/link", 12, Convert.ToInt64("120777", 8), 11, symlink: "$(ARCH)/bin");
            Insert(db, "/fifo", 16, Convert.ToInt64("10644", 8), 0);
            Insert(db, "/nested", 3, Convert.ToInt64("40755", 8), 4096, mtime: 1700000000);
            using SqliteCommand nested = db.CreateCommand();
            nested.CommandText = "INSERT INTO nested_catalogs (path, sha1, size) VALUES ('/nested', $h, $s)";
            nested.Parameters.AddWithValue("$h", NestedCatalog.ToString());
            nested.Parameters.AddWithValue("$s", nestedSize);
            nested.ExecuteNonQuery();
        });
    }

    /// <summary>
    /// The tree of <see cref="SyntheticShape.ServerWritten"/>, with the numbers cvmfs_server gives
    /// (docs/CVMFS.md §4.3, §4.4, §11): every catalog numbers its hard-link groups from 1
    /// (cvmfs/catalog_mgr_rw.cc AddHardlinkGroup: the catalog's largest id + 1), so the numbers repeat across
    /// catalogs; within the root catalog they repeat across directories as well (legal: a number means one
    /// inode only within one directory), with other kinds and other content each time.
    /// </summary>
    private void BuildServerWritten()
    {
        Revision = 3;
        long dir = Convert.ToInt64("40755", 8);
        long file = Convert.ToInt64("100644", 8);
        long link = Convert.ToInt64("120777", 8);
        static long Group(long group, long count) => (group << 32) | count;

        // Revision 2, the repository's first publication after its creation: previous_revision is the null hash too.
        OlderRoot = StoreCatalog(string.Empty, 2, null, db =>
        {
            Insert(db, string.Empty, 1, dir, 4096);
            Insert(db, "/a", 1, dir, 4096);
            Insert(db, "/a/f1", FlagsFor(_algorithm, 4), file, 6, hash: Store("alpha\n"u8.ToArray(), ObjectSuffix.None), hardlinks: Group(1, 2));
            Insert(db, "/a/f2", FlagsFor(_algorithm, 4), file, 6, hash: Store("alpha\n"u8.ToArray(), ObjectSuffix.None), hardlinks: Group(1, 2));
        }, previousText: NullHash);

        InnerNestedCatalog = StoreCatalog("/n/m", 1, null, db =>
        {
            Insert(db, "/n/m", 33, dir, 4096);
            Insert(db, "/n/m/.cvmfscatalog", FlagsFor(_algorithm, 4), file, 0, hash: Store([], ObjectSuffix.None));
            Insert(db, "/n/m/x1", FlagsFor(_algorithm, 4), file, 6, hash: Store("inner\n"u8.ToArray(), ObjectSuffix.None), hardlinks: Group(1, 2));
            Insert(db, "/n/m/x2", FlagsFor(_algorithm, 4), file, 6, hash: Store("inner\n"u8.ToArray(), ObjectSuffix.None), hardlinks: Group(1, 2));
        }, previousText: _nestedPreviousRevision);
        long innerSize = NestedCatalogSize;

        NestedCatalog = StoreCatalog("/n", 1, null, db =>
        {
            Insert(db, "/n", 33, dir, 4096);
            Insert(db, "/n/.cvmfscatalog", FlagsFor(_algorithm, 4), file, 0, hash: Store([], ObjectSuffix.None));
            Insert(db, "/n/d", 1, dir, 4096);
            Insert(db, "/n/d/y1", FlagsFor(_algorithm, 4), file, 7, hash: Store("nested\n"u8.ToArray(), ObjectSuffix.None), hardlinks: Group(1, 3));
            Insert(db, "/n/d/y2", FlagsFor(_algorithm, 4), file, 7, hash: Store("nested\n"u8.ToArray(), ObjectSuffix.None), hardlinks: Group(1, 3));
            Insert(db, "/n/d/y3", FlagsFor(_algorithm, 4), file, 7, hash: Store("nested\n"u8.ToArray(), ObjectSuffix.None), hardlinks: Group(1, 3));
            Insert(db, "/n/m", 3, dir, 4096);
            AddNested(db, "/n/m", InnerNestedCatalog, innerSize);
        }, previousText: _nestedPreviousRevision);
        long nestedSize = NestedCatalogSize;

        CurrentRoot = StoreCatalog(string.Empty, 3, OlderRoot, db =>
        {
            Insert(db, string.Empty, 1, dir, 4096);
            Insert(db, "/a", 1, dir, 4096);
            Insert(db, "/a/f1", FlagsFor(_algorithm, 4), file, 6, hash: Store("alpha\n"u8.ToArray(), ObjectSuffix.None), hardlinks: Group(1, 2));
            Insert(db, "/a/f2", FlagsFor(_algorithm, 4), file, 6, hash: Store("alpha\n"u8.ToArray(), ObjectSuffix.None), hardlinks: Group(1, 2));
            Insert(db, "/a/solo", FlagsFor(_algorithm, 4), file, 5, hash: Store("solo\n"u8.ToArray(), ObjectSuffix.None));

            // Hard-linked symlinks (cvmfs/sync_mediator.cc AddLocalHardlinkGroups adds them as a group at once).
            Insert(db, "/b", 1, dir, 4096);
            Insert(db, "/b/s1", 12, link, 7, symlink: "../a/f1", hardlinks: Group(1, 2));
            Insert(db, "/b/s2", 12, link, 7, symlink: "../a/f1", hardlinks: Group(1, 2));

            Insert(db, "/c", 1, dir, 4096);
            Insert(db, "/c/g1", FlagsFor(_algorithm, 4), file, 6, hash: Store("gamma\n"u8.ToArray(), ObjectSuffix.None), hardlinks: Group(1, 2));
            Insert(db, "/c/g2", FlagsFor(_algorithm, 4), file, 6, hash: Store("gamma\n"u8.ToArray(), ObjectSuffix.None), hardlinks: Group(1, 2));
            Insert(db, "/c/h1", FlagsFor(_algorithm, 4), file, 6, hash: Store("delta\n"u8.ToArray(), ObjectSuffix.None), hardlinks: Group(2, 2));
            Insert(db, "/c/h2", FlagsFor(_algorithm, 4), file, 6, hash: Store("delta\n"u8.ToArray(), ObjectSuffix.None), hardlinks: Group(2, 2));

            Insert(db, "/n", 3, dir, 4096);
            AddNested(db, "/n", NestedCatalog, nestedSize);
        });
    }

    private void BuildContradictoryGroup()
    {
        Revision = 3;
        long group = (1L << 32) | 3;
        OlderRoot = StoreCatalog(string.Empty, 2, null, db => Insert(db, string.Empty, 1, Convert.ToInt64("40755", 8), 4096), previousText: NullHash);
        CurrentRoot = StoreCatalog(string.Empty, 3, OlderRoot, db =>
        {
            Insert(db, string.Empty, 1, Convert.ToInt64("40755", 8), 4096);
            Insert(db, "/x", 1, Convert.ToInt64("40755", 8), 4096);
            Insert(db, "/x/file", FlagsFor(_algorithm, 4), Convert.ToInt64("100644", 8), 4, hash: Store("one\n"u8.ToArray(), ObjectSuffix.None), hardlinks: group);
            Insert(db, "/x/link", 12, Convert.ToInt64("120777", 8), 4, symlink: "file", hardlinks: group);
            Insert(db, "/x/other", FlagsFor(_algorithm, 4), Convert.ToInt64("100644", 8), 4, hash: Store("two\n"u8.ToArray(), ObjectSuffix.None), hardlinks: group);
        });
    }

    private static void AddNested(SqliteConnection db, string path, ContentHash hash, long size)
    {
        using SqliteCommand nested = db.CreateCommand();
        nested.CommandText = "INSERT INTO nested_catalogs (path, sha1, size) VALUES ($p, $h, $s)";
        nested.Parameters.AddWithValue("$p", path);
        nested.Parameters.AddWithValue("$h", hash.ToString());
        nested.Parameters.AddWithValue("$s", size);
        nested.ExecuteNonQuery();
    }

    /// <summary>History, meta-info, certificate, then the signed manifest and whitelist, as a publication ends.</summary>
    private void Publish(long now)
    {
        ContentHash history = StoreHistory(now);
        ContentHash metaInfo = Store("{\"administrator\":\"nobody\",\"custom\":{}}"u8.ToArray(), ObjectSuffix.MetaInfo);
        using X509Certificate2 certificate = new CertificateRequest("CN=" + Fqrn + " CernVM-FS Release Managers", RepositoryKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        ContentHash certificateHash = Store(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()), ObjectSuffix.Certificate);

        string fields =
            $"C{CurrentRoot}\nB{CurrentRootSize}\nRd41d8cd98f00b204e9800998ecf8427e\nD240\nS{Revision}\nGno\nAno\nN{Fqrn}\nX{certificateHash}\nH{history}\nT{now}\nM{metaInfo}\n";
        File.WriteAllBytes(Path.Combine(Root, ".cvmfspublished"), Sign(fields, hashLine => RepositoryKey.SignData(hashLine, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1)));

        string fingerprint = CertificateFingerprint.Compute(certificate, _algorithm).ToString();
        DateTime created = DateTime.UtcNow;
        string whitelist =
            $"{created:yyyyMMddHHmmss}\nE{created.AddDays(30):yyyyMMddHHmmss}\nN{Fqrn}\n{fingerprint}\n";
        File.WriteAllBytes(Path.Combine(Root, ".cvmfswhitelist"), Sign(whitelist, RawPrivateEncrypt));
    }

    private long CurrentRootSize { get; set; }

    private long NestedCatalogSize { get; set; }

    private byte[] Sign(string fields, Func<byte[], byte[]> signer)
    {
        byte[] body = Encoding.ASCII.GetBytes(fields);
        string hashLine = ContentHash.Compute(_algorithm, body).ToString();
        byte[] signature = signer(Encoding.ASCII.GetBytes(hashLine));
        return [.. body, .. "--\n"u8, .. Encoding.ASCII.GetBytes(hashLine + "\n"), .. signature];
    }

    // RSA_private_encrypt with PKCS#1 type-1 padding, as cvmfs signs whitelists (crypto/signature.cc SignRsa).
    private byte[] RawPrivateEncrypt(byte[] message)
    {
        RSAParameters key = MasterKey.ExportParameters(includePrivateParameters: true);
        int length = key.Modulus!.Length;
        var block = new byte[length];
        block[1] = 0x01;
        block.AsSpan(2, length - message.Length - 3).Fill(0xFF);
        message.CopyTo(block, length - message.Length);
        BigInteger s = BigInteger.ModPow(
            new BigInteger(block, isUnsigned: true, isBigEndian: true),
            new BigInteger(key.D, isUnsigned: true, isBigEndian: true),
            new BigInteger(key.Modulus, isUnsigned: true, isBigEndian: true));
        byte[] raw = s.ToByteArray(isUnsigned: true, isBigEndian: true);
        var signature = new byte[length];
        raw.CopyTo(signature, length - raw.Length);
        return signature;
    }

    private ContentHash StoreCatalog(string rootPrefix, long revision, ContentHash? previous, Action<SqliteConnection> fill, string? previousText = null)
    {
        string file = Path.Combine(Root, $"catalog-{Guid.NewGuid():N}.sqlite");
        using (var db = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            db.Open();
            Execute(db,
                "CREATE TABLE catalog (md5path_1 INTEGER, md5path_2 INTEGER, parent_1 INTEGER, parent_2 INTEGER, hardlinks INTEGER, hash BLOB, size INTEGER, mode INTEGER, mtime INTEGER, mtimens INTEGER, flags INTEGER, name TEXT, symlink TEXT, uid INTEGER, gid INTEGER, xattr BLOB, CONSTRAINT pk_catalog PRIMARY KEY (md5path_1, md5path_2));" +
                "CREATE INDEX idx_catalog_parent ON catalog (parent_1, parent_2);" +
                "CREATE TABLE chunks (md5path_1 INTEGER, md5path_2 INTEGER, offset INTEGER, size INTEGER, hash BLOB, CONSTRAINT pk_chunks PRIMARY KEY (md5path_1, md5path_2, offset, size));" +
                "CREATE TABLE properties (key TEXT, value TEXT, CONSTRAINT pk_properties PRIMARY KEY (key));" +
                "CREATE TABLE nested_catalogs (path TEXT, sha1 TEXT, size INTEGER, CONSTRAINT pk_nested_catalogs PRIMARY KEY (path));" +
                "CREATE TABLE bind_mountpoints (path TEXT, sha1 TEXT, size INTEGER, CONSTRAINT pk_bind_mountpoints PRIMARY KEY (path));" +
                "CREATE TABLE statistics (counter TEXT, value INTEGER, CONSTRAINT pk_statistics PRIMARY KEY (counter));");
            SetProperty(db, "schema", "2.5");
            SetProperty(db, "schema_revision", "7");
            SetProperty(db, "revision", revision.ToString(CultureInfo.InvariantCulture));
            SetProperty(db, "last_modified", "1700000000");
            if (rootPrefix.Length > 0)
            {
                SetProperty(db, "root_prefix", rootPrefix);
            }

            if (previous is ContentHash p)
            {
                SetProperty(db, "previous_revision", p.ToString());
            }
            else if (previousText is not null)
            {
                SetProperty(db, "previous_revision", previousText);
            }

            fill(db);
        }

        byte[] bytes = File.ReadAllBytes(file);
        File.Delete(file);
        if (rootPrefix.Length > 0)
        {
            NestedCatalogSize = bytes.Length;
        }
        else
        {
            CurrentRootSize = bytes.Length;
        }

        return Store(bytes, ObjectSuffix.Catalog);
    }

    private ContentHash StoreHistory(long now)
    {
        string file = Path.Combine(Root, $"history-{Guid.NewGuid():N}.sqlite");
        using (var db = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            db.Open();
            Execute(db,
                "CREATE TABLE properties (key TEXT, value TEXT, CONSTRAINT pk_properties PRIMARY KEY (key));" +
                "CREATE TABLE branches (branch TEXT, parent TEXT, initial_revision INTEGER, CONSTRAINT pk_branch PRIMARY KEY (branch));" +
                "CREATE TABLE tags (name TEXT, hash TEXT, revision INTEGER, timestamp INTEGER, channel INTEGER, description TEXT, size INTEGER, branch TEXT, CONSTRAINT pk_tags PRIMARY KEY (name));" +
                "INSERT INTO branches VALUES ('', NULL, 0);");
            SetProperty(db, "schema", "1.0");
            SetProperty(db, "schema_revision", "3");
            SetProperty(db, "fqrn", Fqrn);
            // cvmfs_server keeps trunk and trunk-previous itself (docs/CVMFS.md §5); the others are named by people.
            (string, ContentHash, long, string)[] tags = Revision == 5
                ? [("trunk", CurrentRoot, 5L, "current HEAD"), ("release-4", OlderRoot, 4L, "the old one")]
                : [("trunk", CurrentRoot, Revision, "current HEAD"), ("trunk-previous", OlderRoot, Revision - 1, "default undo target"), ("analysis-2026", CurrentRoot, Revision, "the analysis ran here")];
            foreach ((string name, ContentHash root, long revision, string description) in tags)
            {
                using SqliteCommand command = db.CreateCommand();
                command.CommandText = "INSERT INTO tags VALUES ($n, $h, $r, $t, 0, $d, 4096, '')";
                command.Parameters.AddWithValue("$n", name);
                command.Parameters.AddWithValue("$h", root.ToString());
                command.Parameters.AddWithValue("$r", revision);
                command.Parameters.AddWithValue("$t", now - (Revision - revision) * 3600);
                command.Parameters.AddWithValue("$d", description);
                command.ExecuteNonQuery();
            }
        }

        byte[] bytes = File.ReadAllBytes(file);
        File.Delete(file);
        return Store(bytes, ObjectSuffix.History);
    }

    private static void Execute(SqliteConnection db, string sql)
    {
        using SqliteCommand command = db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void SetProperty(SqliteConnection db, string key, string value)
    {
        using SqliteCommand command = db.CreateCommand();
        command.CommandText = "INSERT INTO properties (key, value) VALUES ($k, $v)";
        command.Parameters.AddWithValue("$k", key);
        command.Parameters.AddWithValue("$v", value);
        command.ExecuteNonQuery();
    }

    private static void Insert(
        SqliteConnection db, string path, long flags, long mode, long size, ContentHash? hash = null, long hardlinks = 1, string? symlink = null,
        byte[]? xattr = null, int? mtimens = null, long uid = 0, long gid = 0, long mtime = 1600000000)
    {
        int slash = path.LastIndexOf('/');
        Md5Path key = Md5Path.FromPath(path);
        Md5Path parent = path.Length == 0 ? Md5Path.None : Md5Path.FromPath(path[..slash]);
        using SqliteCommand command = db.CreateCommand();
        command.CommandText = "INSERT INTO catalog VALUES ($m1, $m2, $p1, $p2, $hl, $hash, $size, $mode, $mtime, $ns, $flags, $name, $sym, $uid, $gid, $x)";
        command.Parameters.AddWithValue("$m1", key.Part1);
        command.Parameters.AddWithValue("$m2", key.Part2);
        command.Parameters.AddWithValue("$p1", parent.Part1);
        command.Parameters.AddWithValue("$p2", parent.Part2);
        command.Parameters.AddWithValue("$hl", hardlinks);
        command.Parameters.AddWithValue("$hash", hash is ContentHash h ? h.Digest.ToArray() : DBNull.Value);
        command.Parameters.AddWithValue("$size", size);
        command.Parameters.AddWithValue("$mode", mode);
        command.Parameters.AddWithValue("$mtime", mtime);
        command.Parameters.AddWithValue("$ns", mtimens is int ns ? ns : DBNull.Value);
        command.Parameters.AddWithValue("$flags", flags);
        command.Parameters.AddWithValue("$name", path.Length == 0 ? string.Empty : path[(slash + 1)..]);
        command.Parameters.AddWithValue("$sym", symlink ?? string.Empty);
        command.Parameters.AddWithValue("$uid", uid);
        command.Parameters.AddWithValue("$gid", gid);
        command.Parameters.AddWithValue("$x", xattr is null ? DBNull.Value : xattr);
        command.ExecuteNonQuery();
    }

    private static void InsertChunk(SqliteConnection db, string path, long offset, long size, ContentHash hash)
    {
        Md5Path key = Md5Path.FromPath(path);
        using SqliteCommand command = db.CreateCommand();
        command.CommandText = "INSERT INTO chunks VALUES ($m1, $m2, $o, $s, $h)";
        command.Parameters.AddWithValue("$m1", key.Part1);
        command.Parameters.AddWithValue("$m2", key.Part2);
        command.Parameters.AddWithValue("$o", offset);
        command.Parameters.AddWithValue("$s", size);
        command.Parameters.AddWithValue("$h", hash.Digest.ToArray());
        command.ExecuteNonQuery();
    }
}
