using System.Text.Json.Nodes;
using CernVM.Preserve.Cli.Tests;

namespace CernVM.Preserve.Audit.Tests;

/// <summary>
/// One damaged archive per finding code, named by the code: a copy of the good archive (made by the real
/// tool), then damaged the way the code describes. The audit options are part of the fixture (trust, depth).
/// Object Lock codes (AUD070–AUD072) need a real S3 gateway: their fixtures are <see cref="OnS3"/>, built in
/// tests/CernVM.Preserve.Storage.S3.Tests (AuditRetentionTests) on the Ceph RGW those tests start.
/// </summary>
public static class BadArchives
{
    public sealed record BadArchive(string Code, Action<GoodArchive, string> Damage, Func<GoodArchive, AuditOptions> Options);

    private static AuditOptions Deep(GoodArchive _) => new(Scope: FixityScope.Deep);

    public static IReadOnlyDictionary<string, BadArchive> Local { get; } = new[]
    {
        new BadArchive("AUD001", (_, a) => GoodArchive.Replace(Path.Combine(a, "0=cernvm-preserve_1"), "cernvm-preserve_one\n"u8.ToArray()), Deep),
        new BadArchive("AUD002", (_, a) => GoodArchive.Replace(Path.Combine(a, "archive.json"),
            System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(Path.Combine(a, "archive.json")).Replace("\"sha256\"", "\"md5\"", StringComparison.Ordinal))), Deep),
        new BadArchive("AUD003", (_, a) => Delete(Path.Combine(a, "FORMAT.md")), Deep),
        new BadArchive("AUD010", (_, a) =>
        {
            // A snapshot killed after its manifest, before its sidecar (FORMAT.md §8 step 4).
            Directory.CreateDirectory(Path.Combine(a, "capsules", "good", "v3"));
            File.Copy(GoodArchive.ManifestPath(a, "good", 2), GoodArchive.ManifestPath(a, "good", 3));
        }, Deep),
        new BadArchive("AUD011", (_, a) => GoodArchive.Replace(GoodArchive.ManifestPath(a, "good", 2) + ".sha256", "not a sha256sum line\n"u8.ToArray()), Deep),
        new BadArchive("AUD012", (_, a) =>
        {
            string m = GoodArchive.ManifestPath(a, "good", 2);
            GoodArchive.Replace(m, System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(m).Replace("\"good\"", "\"g00d\"", StringComparison.Ordinal)));
        }, Deep),
        new BadArchive("AUD013", (_, a) => GoodArchive.EditManifest(a, "good", 2, m => m.Remove("tree")), Deep),
        new BadArchive("AUD014", (_, a) => GoodArchive.EditManifest(a, "good", 2, m => m["version"] = 7), Deep),
        new BadArchive("AUD015", (_, a) => Delete(GoodArchive.ManifestPath(a, "good", 2)), Deep),
        new BadArchive("AUD020", (_, a) =>
        {
            string sig = GoodArchive.ManifestPath(a, "good", 1) + ".sig";
            JsonObject s = JsonNode.Parse(File.ReadAllBytes(sig))!.AsObject();
            s["signature"] = Convert.ToBase64String(new byte[64]);
            GoodArchive.Replace(sig, System.Text.Encoding.UTF8.GetBytes(s.ToJsonString() + "\n"));
        }, Deep),
        new BadArchive("AUD021", (_, _) => { }, g => new AuditOptions(TrustedKeyIds: new HashSet<string> { GoodArchive.KeyId(g.OtherKey + ".pub") })),
        new BadArchive("AUD022", (_, _) => { }, g => new AuditOptions(TrustedKeyIds: new HashSet<string> { GoodArchive.KeyId(g.Key + ".pub") })),
        new BadArchive("AUD030", (_, a) => GoodArchive.EditManifest(a, "good", 2, m => m["previous"]!["manifestSha256"] = new string('0', 64)), Deep),
        new BadArchive("AUD040", (_, a) => Delete(GoodArchive.BlobPath(a, SomeContentBlob(a))), Deep),
        new BadArchive("AUD041", (_, a) => FlipByte(GoodArchive.BlobPath(a, SomeContentBlob(a)), 0.5), Deep),
        new BadArchive("AUD042", (_, a) => EditCatalog(a, "good", 2, "UPDATE entries SET content = '" + new string('e', 64) + "' WHERE path = CAST('small/f5.txt' AS BLOB)"), Deep),
        new BadArchive("AUD043", (_, a) =>
        {
            string id = GoodArchive.PutBlob(a, "this is no SQLite database"u8.ToArray());
            GoodArchive.EditManifest(a, "good", 2, m => m["tree"]!["catalog"] = id);
        }, Deep),
        new BadArchive("AUD050", (_, a) => GoodArchive.PutBlob(a, "bytes no version names"u8.ToArray()), Deep),
        new BadArchive("AUD060", (_, a) => GoodArchive.EditManifest(a, "good", 2, m => m["components"] = new JsonObject { ["curation"] = new JsonObject { ["dphepLevel"] = 4 } }), Deep),
        new BadArchive("AUD080", (_, a) =>
        {
            Directory.CreateDirectory(Path.Combine(a, "journal", "2099"));
            File.WriteAllText(Path.Combine(a, "journal", "2099", "20990101T000000.0000000Z-" + new string('a', 32) + ".json"), "{}\n");
        }, Deep),
        new BadArchive("AUD081", (_, a) => Delete(GoodArchive.Events(a)[0]), Deep),
        new BadArchive("AUD082", (_, a) =>
        {
            string first = GoodArchive.Events(a)[0];
            GoodArchive.Replace(first, System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(first).Replace("snapshot of", "snapshot from", StringComparison.Ordinal)));
        }, Deep),
        new BadArchive("AUD083", (_, a) =>
        {
            // A second writer that saw the same newest event as the last one did.
            string last = GoodArchive.Events(a)[^1];
            JsonObject e = JsonNode.Parse(File.ReadAllBytes(last))!.AsObject();
            WriteEvent(a, e, "20991231T000000.0000000Z");
        }, Deep),
        new BadArchive("AUD084", (_, a) =>
        {
            JsonObject e = JsonNode.Parse(File.ReadAllBytes(GoodArchive.Events(a)[^1]))!.AsObject();
            e.Remove("previousEvent");
            WriteEvent(a, e, "20991231T000000.0000000Z");
        }, Deep),
        // The snapshot of other@v1 ended after its commit, before its event: the newest event, whose loss no link shows.
        new BadArchive("AUD085", (_, a) => Delete(GoodArchive.Events(a)[^1]), Deep),
    }.ToDictionary(b => b.Code);

    /// <summary>Codes whose fixtures need Object Lock, hence a real S3 gateway: built and checked in the S3 tests.</summary>
    public static IReadOnlyList<string> OnS3 { get; } = ["AUD070", "AUD071", "AUD072"];

    /// <summary>A blob holding file content only (a chunk of big.bin, not a catalog).</summary>
    public static string SomeContentBlob(string archive) => ExtentBlobs(archive, "good", 1, "big.bin")[1];

    /// <summary>The blobs of a file of a version, in file order, found as a reader without the software would (FORMAT.md §9).</summary>
    public static List<string> ExtentBlobs(string archive, string capsule, int version, string path) =>
        [.. Query(archive, capsule, version, $"SELECT x.blob FROM extents x JOIN entries e ON e.id = x.entry WHERE e.path = CAST('{path}' AS BLOB) ORDER BY x.offset")];

    public static List<string> Query(string archive, string capsule, int version, string sql)
    {
        string catalog = GoodArchive.CatalogOf(archive, capsule, version);
        string db = Path.Combine(Path.GetTempPath(), $"cvmp-catalog-{Guid.NewGuid():N}.db");
        try
        {
            CliRunner.Sh($"zstd -q -d -c '{GoodArchive.BlobPath(archive, catalog)}' > '{db}'");
            return [.. CliRunner.Sh($"sqlite3 -readonly '{db}' \"{sql}\"").Split('\n', StringSplitOptions.RemoveEmptyEntries)];
        }
        finally
        {
            File.Delete(db);
        }
    }

    public static void FlipByte(string path, double where)
    {
        byte[] bytes = File.ReadAllBytes(path);
        bytes[(int)(bytes.Length * where)] ^= 0x5a;
        GoodArchive.Replace(path, bytes);
    }

    private static void Delete(string path)
    {
        File.Delete(path);
    }

    // A catalog changed with sqlite3 and stored as a new blob, the manifest pointing to it: every blob is
    // intact, but what the catalog says of a file is not what its bytes are.
    private static void EditCatalog(string archive, string capsule, int version, string sql)
    {
        string catalog = GoodArchive.CatalogOf(archive, capsule, version);
        string db = Path.Combine(Path.GetTempPath(), $"cvmp-catalog-{Guid.NewGuid():N}.db");
        CliRunner.Sh($"zstd -q -d -c '{GoodArchive.BlobPath(archive, catalog)}' > '{db}' && sqlite3 '{db}' \"{sql}\"");
        string id = GoodArchive.PutBlob(archive, File.ReadAllBytes(db));
        File.Delete(db);
        GoodArchive.EditManifest(archive, capsule, version, m => m["tree"]!["catalog"] = id);
    }

    private static void WriteEvent(string archive, JsonObject e, string compactTime)
    {
        string id = Guid.NewGuid().ToString("N");
        e["eventId"] = id;
        e["dateTime"] = $"{compactTime[..4]}-{compactTime[4..6]}-{compactTime[6..8]}T{compactTime[9..11]}:{compactTime[11..13]}:{compactTime[13..]}";
        string dir = Path.Combine(archive, "journal", compactTime[..4]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, $"{compactTime}-{id}.json"), e.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
