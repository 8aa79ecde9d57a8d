using System.Text.Json.Nodes;
using CernVM.Preserve.Cli.Tests;
using Xunit;

namespace CernVM.Preserve.Storage.S3.Tests;

/// <summary>
/// The audit on s3:// archives in the real gateway: the Object Lock findings (AUD070–AUD072, the fixtures
/// the local bad-archive suite cannot build), and bit rot in blobs on the server.
/// </summary>
[Collection(RgwCollection.Name)]
public sealed class AuditS3Tests(RgwCluster rgw)
{
    private CliResult Cvm(params string[] args) => CliRunner.Run(TimeSpan.FromMinutes(5), rgw.Env, args);

    private static void MakeTree(string root, int seed)
    {
        var rng = new Random(seed);
        Directory.CreateDirectory(Path.Combine(root, "small"));
        for (int i = 0; i < 20; i++)
        {
            File.WriteAllText(Path.Combine(root, "small", $"f{i}.txt"), $"file {i} of {seed}\n");
        }

        byte[] big = new byte[2_500_000];
        rng.NextBytes(big);
        File.WriteAllBytes(Path.Combine(root, "big.bin"), big);
    }

    private static JsonNode Audit(CliResult r, int exitCode)
    {
        Assert.True(r.ExitCode == exitCode, r.ToString());
        return JsonNode.Parse(r.Stdout)!;
    }

    private static string[] Codes(JsonNode audit) =>
        [.. audit["findings"]!.AsArray().Select(f => (string)f!["code"]!).Distinct().Order(StringComparer.Ordinal)];

    [RgwFact]
    public void Audit_LockedArchiveWhoseRetentionEndsSoon_WarnsAud072ForEveryObject()
    {
        rgw.Require();
        using var t = new TempDir();
        MakeTree(t["tree"], 1);
        string a = $"s3://{RgwCluster.NewBucket("aud072")}/a";
        Assert.Equal(0, Cvm("init", a, "--object-lock", "governance", "--retention", "1d").ExitCode);
        Assert.Equal(0, Cvm("snapshot", "--rootfs", t["tree"], "--name", "c", "--archive", a).ExitCode);
        JsonNode audit = Audit(Cvm("audit", "--deep", "--json", "--archive", a), 0);
        Assert.Equal(["AUD072"], Codes(audit));
        int objects = rgw.Aws("s3", "ls", "--recursive", a + "/").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => !l.Contains(" a/tmp/", StringComparison.Ordinal));
        Assert.True(audit["findings"]!.AsArray().Count >= objects - 1, $"{audit["findings"]!.AsArray().Count} findings for {objects} objects");
    }

    [RgwFact]
    public void Audit_CopyOfALockedArchiveInABucketWithoutLock_FindsAud070()
    {
        rgw.Require();
        using var t = new TempDir();
        MakeTree(t["tree"], 2);
        string a = $"s3://{RgwCluster.NewBucket("aud070src")}/a";
        Assert.Equal(0, Cvm("init", a, "--object-lock", "governance", "--retention", "1d").ExitCode);
        Assert.Equal(0, Cvm("snapshot", "--rootfs", t["tree"], "--name", "c", "--archive", a).ExitCode);
        string plain = RgwCluster.NewBucket("aud070");
        Assert.Equal(0, rgw.Aws("s3api", "create-bucket", "--bucket", plain).ExitCode);
        (int rc, _, string err) = rgw.Aws("s3", "sync", "--only-show-errors", a, $"s3://{plain}/copy");
        Assert.True(rc == 0, err);
        JsonNode audit = Audit(Cvm("audit", "--json", "--archive", $"s3://{plain}/copy"), 3);
        Assert.Equal(["AUD070"], Codes(audit));
        Assert.Contains(audit["findings"]!.AsArray(), f => ((string)f!["subject"]!).StartsWith("capsules/c/v1/manifest.json", StringComparison.Ordinal));
    }

    [RgwFact]
    public void Audit_CopyIntoABucketLockedInAnotherMode_FindsAud071()
    {
        rgw.Require();
        using var t = new TempDir();
        MakeTree(t["tree"], 3);
        string a = $"s3://{RgwCluster.NewBucket("aud071src")}/a";
        Assert.Equal(0, Cvm("init", a, "--object-lock", "governance", "--retention", "1d").ExitCode);
        Assert.Equal(0, Cvm("snapshot", "--rootfs", t["tree"], "--name", "c", "--archive", a).ExitCode);

        // A bucket whose default retention is compliance: the copied objects take its mode, archive.json still says governance.
        string other = RgwCluster.NewBucket("aud071");
        Assert.Equal(0, Cvm("init", $"s3://{other}/scratch", "--object-lock", "compliance", "--retention", "40d").ExitCode);
        // Through a directory: a copy between buckets keeps each object's retention, an upload takes the bucket's.
        (int rc, _, string err) = rgw.Aws("s3", "sync", "--only-show-errors", a, t["local"]);
        Assert.True(rc == 0, err);
        (rc, _, err) = rgw.Aws("s3", "sync", "--only-show-errors", t["local"], $"s3://{other}/copy");
        Assert.True(rc == 0, err);
        JsonNode audit = Audit(Cvm("audit", "--json", "--archive", $"s3://{other}/copy"), 3);
        Assert.Equal(["AUD071"], Codes(audit));
    }

    [RgwFact]
    public void AuditDeep_ByteFlippedInRandomBlobsOnTheServer_NamesExactlyThoseBlobsAndTheirVersions()
    {
        rgw.Require();
        using var t = new TempDir();
        MakeTree(t["tree"], 4);
        string local = t["archive"];
        Assert.Equal(0, CliRunner.Run("init", local).ExitCode);
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "c", "--archive", local).ExitCode);
        File.WriteAllText(t["tree/small/f3.txt"], "changed\n");
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "c", "--archive", local).ExitCode);
        string bucket = RgwCluster.NewBucket("bitrot");
        Assert.Equal(0, rgw.Aws("s3api", "create-bucket", "--bucket", bucket).ExitCode);
        string a = $"s3://{bucket}/a";
        Assert.True(rgw.Aws("s3", "sync", "--only-show-errors", local, a).ExitCode == 0);

        string[] catalogs = [.. new[] { 1, 2 }.Select(v => (string)JsonNode.Parse(File.ReadAllText($"{local}/capsules/c/v{v}/manifest.json"))!["tree"]!["catalog"]!)];
        string[] blobs = [.. Directory.GetFiles(Path.Combine(local, "blobs"), "*", SearchOption.AllDirectories).Select(p => Path.GetFileName(p)!).Where(b => !catalogs.Contains(b)).Order(StringComparer.Ordinal)];
        var random = new Random(7);
        string[] flipped = [.. blobs.OrderBy(_ => random.Next()).Take(2)];
        var expected = new Dictionary<string, string[]>();
        foreach (string blob in flipped)
        {
            expected[blob] = [.. new[] { 1, 2 }.Where(v => CatalogNames(local, catalogs[v - 1], blob)).Select(v => $"c@v{v}")];
            string path = Path.Combine(local, "blobs", "sha256", blob[..2], blob);
            byte[] bytes = File.ReadAllBytes(path);
            bytes[random.Next(bytes.Length)] ^= 0x10;
            File.WriteAllBytes(t["rotten"], bytes);
            Assert.Equal(0, rgw.Aws("s3", "cp", "--only-show-errors", t["rotten"], $"{a}/blobs/sha256/{blob[..2]}/{blob}").ExitCode);
        }

        JsonNode audit = Audit(Cvm("audit", "--deep", "--json", "--archive", a), 3);
        JsonArray findings = audit["findings"]!.AsArray();
        Assert.All(findings, f => Assert.Equal("AUD041", (string)f!["code"]!));
        Assert.Equal(flipped.Order(StringComparer.Ordinal), findings.Select(f => ((string)f!["subject"]!)[^64..]).Order(StringComparer.Ordinal));
        foreach (JsonNode? f in findings)
        {
            string blob = ((string)f!["subject"]!)[^64..];
            Assert.Equal(expected[blob], f["affected"]!.AsArray().Select(x => $"{(string)x!["capsule"]!}@v{(int)x["version"]!}"));
            Assert.All(f["affected"]!.AsArray(), x => Assert.NotEmpty(x!["paths"]!.AsArray()));
        }
    }

    private static bool CatalogNames(string archive, string catalog, string blob)
    {
        string db = Path.Combine(Path.GetTempPath(), $"cvmp-cat-{Guid.NewGuid():N}.db");
        try
        {
            CliRunner.Sh($"zstd -q -d -c '{archive}/blobs/sha256/{catalog[..2]}/{catalog}' > '{db}'");
            return CliRunner.Sh($"sqlite3 -readonly '{db}' \"SELECT count(*) FROM extents WHERE blob = '{blob}'\"").Trim() != "0";
        }
        finally
        {
            File.Delete(db);
        }
    }

    /// <summary>
    /// Crash safety on the real gateway: a snapshot is killed with SIGKILL just after one of 20 requests spread
    /// over its whole conversation with the server (the requests of an uninterrupted run of the same snapshot,
    /// read from CVMPRESERVE_S3_LOG: listings, blob uploads, the catalog, the claim, the manifest, signature,
    /// sidecar and journal); after each kill a deep audit finds no error and the next snapshot restores exactly.
    /// </summary>
    [RgwFact]
    public void Snapshot_KilledAfterTwentyRequests_AuditFindsNoErrorAndTheNextSnapshotRestoresExactly()
    {
        rgw.Require();
        using var t = new TempDir();
        MakeTree(t["tree"], 5);
        CliRunner.Run("key", "new", "--out", t["k"]);
        string bucket = RgwCluster.NewBucket("crash");
        string Base(int i) => $"s3://{bucket}/a{i}";

        // The conversation of one undisturbed v2 snapshot, to choose the kill points from.
        void Prepare(int i)
        {
            File.WriteAllText(t["tree/small/f1.txt"], "v1\n");
            CliRunner.Sh($"rm -f '{t["tree"]}'/v2-*.bin");
            Assert.Equal(0, Cvm("init", Base(i)).ExitCode);
            Assert.Equal(0, Cvm("snapshot", "--rootfs", t["tree"], "--name", "c", "--sign", t["k"], "--archive", Base(i)).ExitCode);
            File.WriteAllText(t["tree/small/f1.txt"], "v2\n");

            // v2 also adds files of their own blob each: a conversation of some 30 requests to choose from.
            var rng = new Random(6);
            for (int f = 0; f < 12; f++)
            {
                byte[] b = new byte[300_000];
                rng.NextBytes(b);
                File.WriteAllBytes(t[$"tree/v2-{f}.bin"], b);
            }
        }

        Prepare(0);
        string log = t["scratch.log"];
        var env = rgw.Env;
        env["CVMPRESERVE_S3_LOG"] = log;
        Assert.Equal(0, CliRunner.Run(TimeSpan.FromMinutes(5), env, "snapshot", "--rootfs", t["tree"], "--name", "c", "--sign", t["k"], "--archive", Base(0)).ExitCode);
        string[] requests = [.. File.ReadAllLines(log).Select(Request)];
        Assert.True(requests.Length >= 20, $"{requests.Length} requests");
        var points = Enumerable.Range(0, 20)
            .Select(k => (int)((long)k * (requests.Length - 1) / 19))
            .Select(at => (Request: requests[at], Occurrence: requests.Take(at + 1).Count(r => r == requests[at])))
            .ToList();

        for (int i = 0; i < points.Count; i++)
        {
            (string point, int occurrence) = points[i];
            Prepare(i + 1);
            string killLog = t[$"kill-{i}.log"];
            env["CVMPRESERVE_S3_LOG"] = killLog;
            using (System.Diagnostics.Process p = CliRunner.Start(env, "snapshot", "--rootfs", t["tree"], "--name", "c", "--sign", t["k"], "--archive", Base(i + 1)))
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (!p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3))
                {
                    if (File.Exists(killLog) && ReadShared(killLog).Select(Request).Count(r => r == point) >= occurrence)
                    {
                        p.Kill(); // SIGKILL
                        break;
                    }

                    Thread.Sleep(2);
                }

                p.WaitForExit();
            }

            CliResult audit = Cvm("audit", "--deep", "--archive", Base(i + 1));
            Assert.True(audit.ExitCode == 0, $"killed after '{point}': {audit}");
            Assert.DoesNotContain("error ", audit.Stdout);
            CliResult next = Cvm("snapshot", "--rootfs", t["tree"], "--name", "c", "--sign", t["k"], "--archive", Base(i + 1));
            Assert.True(next.ExitCode == 0, $"killed after '{point}': {next}");
            string output = t[$"out-{i}"];
            CliResult restore = Cvm("restore", "c", "--to", output, "--archive", Base(i + 1));
            Assert.True(restore.ExitCode == 0, $"killed after '{point}': {restore}");
            Assert.Equal("", CliRunner.Sh($"diff -r --no-dereference '{t["tree"]}' '{output}' 2>&1 || true"));
        }
    }

    // "METHOD key" of a log line, with what differs from run to run (event ids, claim contents, query strings) left out.
    private static string Request(string line)
    {
        string[] f = line.Split(' ');
        string key = f.Length > 1 ? f[1].Split('?')[0] : "";
        key = System.Text.RegularExpressions.Regex.Replace(key, @"journal/\d{4}/[^/]+\.json$", "journal/EVENT");
        key = System.Text.RegularExpressions.Regex.Replace(key, @"^([^/]+/)?a\d+/", "");
        return f[0] + " " + key;
    }

    private static string[] ReadShared(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new StreamReader(s);
        return r.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
