using System.Diagnostics;
using System.Text.Json.Nodes;
using CernVM.Preserve.Cli.Tests;
using Xunit;

namespace CernVM.Preserve.Storage.S3.Tests;

/// <summary>
/// The real cvmpreserve on s3:// archives in the real gateway: every command, Object Lock end to end, copies
/// made with aws s3 sync in both directions, and snapshots through a network that drops, stalls or dies.
/// </summary>
[Collection(RgwCollection.Name)]
public sealed class S3CliTests(RgwCluster rgw, Xunit.Abstractions.ITestOutputHelper output)
{
    private CliResult Cvm(params string[] args) => CliRunner.Run(TimeSpan.FromMinutes(3), rgw.Env, args);

    private CliResult Cvm(IDictionary<string, string> extra, params string[] args)
    {
        Dictionary<string, string> env = rgw.Env;
        foreach ((string k, string v) in extra)
        {
            env[k] = v;
        }

        return CliRunner.Run(TimeSpan.FromMinutes(3), env, args);
    }

    private static void MakeTree(string root, int files, int size, int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < files; i++)
        {
            string dir = Path.Combine(root, $"d{i % 7}");
            Directory.CreateDirectory(dir);
            byte[] b = new byte[size + (i * 37)];
            rng.NextBytes(b);
            File.WriteAllBytes(Path.Combine(dir, $"f{i}.bin"), b);
        }

        File.WriteAllText(Path.Combine(root, "README"), "a preserved tree\n");
        File.CreateSymbolicLink(Path.Combine(root, "link"), "README");
    }

    /// <summary>Every complete version of the capsule restores with every blob and file verified.</summary>
    private void AssertConsistent(string archive, string capsule, TempDir t, IDictionary<string, string>? env = null)
    {
        CliResult list = CliRunner.Run(TimeSpan.FromMinutes(3), env ?? rgw.Env, "list", capsule, "--json", "--archive", archive);
        Assert.True(list.ExitCode == 0, list.ToString());
        foreach (JsonNode? v in JsonNode.Parse(list.Stdout)!["versions"]!.AsArray())
        {
            int n = (int)v!["version"]!;
            string target = t[$"check-v{n}-{Guid.NewGuid():N}"];
            CliResult r = CliRunner.Run(TimeSpan.FromMinutes(3), env ?? rgw.Env, "restore", $"{capsule}@v{n}", "--to", target, "--archive", archive);
            Assert.True(r.ExitCode == 0, $"v{n} does not restore cleanly: {r}");
        }
    }

    [RgwFact]
    public void EveryCommand_OnAnS3Archive_WorksAsOnADirectory()
    {
        using var t = new TempDir();
        MakeTree(t["tree"], 12, 100_000, 1);
        string a = $"s3://{RgwCluster.NewBucket("cli")}/archives/one";
        CliResult init = Cvm("init", a);
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Contains("retention: none (the store has no Object Lock)", init.Stdout, StringComparison.Ordinal);
        Assert.Equal(7, Cvm("init", a).ExitCode);

        CliResult s1 = Cvm("snapshot", "--rootfs", t["tree"], "--name", "demo", "--archive", a, "--json");
        Assert.True(s1.ExitCode == 0, s1.ToString());
        File.WriteAllText(t["tree/README"], "changed\n");
        CliResult s2 = Cvm("snapshot", "--rootfs", t["tree"], "--name", "demo", "--archive", a, "--s3-parallel", "2");
        Assert.True(s2.ExitCode == 0, s2.ToString());

        CliResult list = Cvm("list", "--json", "--archive", a);
        Assert.Equal(2, JsonNode.Parse(list.Stdout)!["versions"]!.AsArray().Count);
        CliResult show = Cvm("show", "demo@v1", "--json", "--archive", a);
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Null(JsonNode.Parse(show.Stdout)!["retention"]);
        Assert.Contains("retention   none (this store has no Object Lock)", Cvm("show", "demo", "--archive", a).Stdout, StringComparison.Ordinal);
        Assert.Contains("f3.bin", Cvm("ls", "demo", "/d3", "-l", "--archive", a).Stdout, StringComparison.Ordinal);
        Assert.Equal("a preserved tree\n", Cvm("cat", "demo@v1", "/README", "--archive", a).Stdout);
        CliResult diff = Cvm("diff", "demo@v1", "demo@v2", "--json", "--archive", a);
        Assert.True(diff.ExitCode == 1, diff.ToString()); // diff(1)'s convention: the versions differ
        Assert.Contains("README", diff.Stdout, StringComparison.Ordinal);
        CliResult restore = Cvm("restore", "demo@v2", "--to", t["back"], "--archive", a);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal("", CliRunner.Sh($"diff -r --no-dereference '{t["tree"]}' '{t["back"]}'"));
        Assert.Equal(5, Cvm("show", "nothing", "--archive", a).ExitCode);
    }

    [RgwFact]
    public void Init_ObjectLock_EveryVersionShowsItsRetentionReadFromTheServer()
    {
        using var t = new TempDir();
        MakeTree(t["tree"], 4, 50_000, 2);
        string bucket = RgwCluster.NewBucket("lockcli");
        string a = $"s3://{bucket}/p";
        CliResult init = Cvm("init", a, "--object-lock", "compliance", "--retention", "2d", "--json");
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Equal("compliance", (string?)JsonNode.Parse(init.Stdout)!["retention"]!["mode"]);
        Assert.Equal(0, Cvm("snapshot", "--rootfs", t["tree"], "--name", "locked", "--archive", a).ExitCode);

        CliResult show = Cvm("show", "locked", "--json", "--archive", a);
        JsonNode retention = JsonNode.Parse(show.Stdout)!["retention"]!;
        Assert.Equal("compliance", (string?)retention["mode"]);
        DateTime until = DateTime.Parse((string)retention["retainUntil"]!, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal);
        Assert.InRange(until, DateTime.UtcNow.AddDays(2).AddMinutes(-5), DateTime.UtcNow.AddDays(2).AddMinutes(5));
        Assert.Contains("Object Lock compliance until", Cvm("show", "locked", "--archive", a).Stdout, StringComparison.Ordinal);

        // The bucket exists with other settings: reported, nothing changed.
        CliResult mismatch = Cvm("init", $"s3://{bucket}/other", "--object-lock", "governance", "--retention", "10y");
        Assert.Equal(2, mismatch.ExitCode);
        Assert.Contains("compliance for 2 days, not the governance for 3650 days", mismatch.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, Cvm("init", t["dir"], "--object-lock", "compliance", "--retention", "1d").ExitCode);
        Assert.Equal(2, Cvm("init", $"s3://{bucket}/x", "--object-lock", "compliance", "--retention", "ten years").ExitCode);
    }

    [RgwFact]
    public void StorageValidate_OnPlainAndLockedBuckets_EveryCheckHolds()
    {
        string plain = RgwCluster.NewBucket("valplain");
        string locked = RgwCluster.NewBucket("vallocked");
        Assert.Equal(0, Cvm("init", $"s3://{plain}/a").ExitCode);
        Assert.Equal(0, Cvm("init", $"s3://{locked}/a", "--object-lock", "governance", "--retention", "1d").ExitCode);

        CliResult p = Cvm("storage", "validate", $"s3://{plain}/a", "--json");
        Assert.True(p.ExitCode == 0, p.ToString());
        JsonNode pj = JsonNode.Parse(p.Stdout)!;
        Assert.True((bool)pj["ok"]!);
        Assert.Contains(pj["checks"]!.AsArray(), c => ((string)c!["name"]!).Contains("16,777,217 bytes", StringComparison.Ordinal) && (bool)c["held"]!);
        Assert.Contains(pj["checks"]!.AsArray(), c => ((string)c!["name"]!).Contains("retention", StringComparison.Ordinal) && !(bool)c["applicable"]!);

        CliResult l = Cvm("storage", "validate", $"s3://{locked}/a");
        Assert.True(l.ExitCode == 0, l.ToString());
        Assert.Contains("ok   every object carries its retention: governance until", l.Stdout, StringComparison.Ordinal);
        Assert.Contains("cannot be deleted before their retention ends", l.Stdout, StringComparison.Ordinal);

        // The archive itself is untouched: the scratch prefix is writers' scratch space (FORMAT.md §1.1).
        Assert.Equal(0, Cvm("list", "--archive", $"s3://{locked}/a").ExitCode);
    }

    [RgwFact]
    public void AwsS3Sync_BothWays_GivesValidArchives()
    {
        using var t = new TempDir();
        MakeTree(t["tree"], 10, 80_000, 3);
        string bucket = RgwCluster.NewBucket("sync");
        string a = $"s3://{bucket}/pre/fix";
        Assert.Equal(0, Cvm("init", a, "--object-lock", "governance", "--retention", "1d").ExitCode);
        Assert.Equal(0, Cvm("snapshot", "--rootfs", t["tree"], "--name", "synced", "--archive", a).ExitCode);

        // S3 → directory: a valid local archive.
        (int rc, _, string err) = rgw.Aws("s3", "sync", "--only-show-errors", a, t["local"]);
        Assert.True(rc == 0, err);
        CliResult localRestore = CliRunner.Run("restore", "synced", "--to", t["from-local"], "--archive", t["local"]);
        Assert.True(localRestore.ExitCode == 0, localRestore.ToString());
        Assert.Equal("", CliRunner.Sh($"diff -r --no-dereference '{t["tree"]}' '{t["from-local"]}'"));

        // Directory → S3 (another bucket): a valid S3 archive; a new version can be added to it.
        MakeTree(t["tree2"], 3, 20_000, 4);
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", t["tree2"], "--name", "local", "--archive", t["local"]).ExitCode);
        string other = RgwCluster.NewBucket("syncback");
        Assert.Equal(0, rgw.Aws("s3api", "create-bucket", "--bucket", other).ExitCode);
        (rc, _, err) = rgw.Aws("s3", "sync", "--only-show-errors", t["local"], $"s3://{other}/copy");
        Assert.True(rc == 0, err);
        AssertConsistent($"s3://{other}/copy", "synced", t);

        // The copy's archive.json still declares the Object Lock of the original; this bucket has none: said, not hidden.
        CliResult warned = Cvm("list", "--archive", $"s3://{other}/copy");
        Assert.Equal(0, warned.ExitCode);
        Assert.Contains("archive.json declares Object Lock governance for 1 days, but the store applies no retention", warned.Stderr, StringComparison.Ordinal);
        AssertConsistent($"s3://{other}/copy", "local", t);
        Assert.Equal(0, Cvm("snapshot", "--rootfs", t["tree2"], "--name", "local", "--archive", $"s3://{other}/copy").ExitCode);
        CliResult list = Cvm("list", "local", "--json", "--archive", $"s3://{other}/copy");
        Assert.Equal(2, JsonNode.Parse(list.Stdout)!["versions"]!.AsArray().Count);
    }

    [RgwFact]
    public void Tls_WithTheGatewaysCertificateTrusted_EveryCommandWorks_Untrusted_FailsAtOnceNamingTheCause()
    {
        using var t = new TempDir();
        MakeTree(t["tree"], 12, 30_000, 11);
        string a = $"s3://{RgwCluster.NewBucket("tls")}/archive";
        var trusted = new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = rgw.TlsEndpoint, ["AWS_CA_BUNDLE"] = rgw.CaFile };
        CliResult init = Cvm(trusted, "init", a);
        Assert.True(init.ExitCode == 0, init.ToString());
        CliResult snap = Cvm(trusted, "snapshot", "--rootfs", t["tree"], "--name", "over-tls", "--archive", a);
        Assert.True(snap.ExitCode == 0, snap.ToString());
        CliResult restore = Cvm(trusted, "restore", "over-tls", "--to", t["back"], "--archive", a);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(t["tree"], "d3", "f3.bin")), File.ReadAllBytes(Path.Combine(t["back"], "d3", "f3.bin")));

        // The same archive over plain HTTP: TLS carried the very objects the plain endpoint serves.
        Assert.Equal(0, Cvm("cat", "over-tls", "/README", "--archive", a).ExitCode);

        // Without the certificate trusted, the system's authorities refuse it: a permanent failure, at once.
        var clock = Stopwatch.StartNew();
        CliResult untrusted = Cvm(new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = rgw.TlsEndpoint }, "list", "--archive", a);
        Assert.Equal(6, untrusted.ExitCode);
        Assert.Contains("TLS connection failed", untrusted.Stderr);
        Assert.Contains("AWS_CA_BUNDLE", untrusted.Stderr);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"an untrusted certificate was retried for {clock.Elapsed}");

        CliResult missing = Cvm(new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = rgw.TlsEndpoint, ["AWS_CA_BUNDLE"] = t["nowhere.pem"] }, "list", "--archive", a);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("AWS_CA_BUNDLE", missing.Stderr);
    }

    [RgwFact]
    public void BadInput_GivesClearErrorsWithTheDocumentedExitCodes()
    {
        string bucket = RgwCluster.NewBucket("errors");
        Assert.Equal(0, Cvm("init", $"s3://{bucket}/a").ExitCode);

        var wrongSecret = new Dictionary<string, string> { ["AWS_SECRET_ACCESS_KEY"] = "wrong" };
        CliResult denied = Cvm(wrongSecret, "list", "--archive", $"s3://{bucket}/a");
        Assert.Equal(6, denied.ExitCode);
        Assert.Contains(rgw.Endpoint, denied.Stderr, StringComparison.Ordinal);
        Assert.Contains(bucket, denied.Stderr, StringComparison.Ordinal);

        CliResult missing = Cvm("list", "--archive", $"s3://{RgwCluster.NewBucket("nothere")}/a");
        Assert.Equal(4, missing.ExitCode);
        Assert.Contains("does not exist", missing.Stderr, StringComparison.Ordinal);

        CliResult notArchive = Cvm("list", "--archive", $"s3://{bucket}/elsewhere");
        Assert.Equal(4, notArchive.ExitCode);

        Assert.Equal(2, Cvm("list", "--archive", "s3://A_B/x").ExitCode);
        Assert.Equal(2, Cvm(new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = "ftp://x" }, "list", "--archive", $"s3://{bucket}/a").ExitCode);
        Assert.Equal(2, Cvm("list", "--archive", $"s3://{bucket}/a", "--s3-parallel", "0").ExitCode);
    }

    [RgwFact]
    public void Snapshot_ThroughDroppedAndStalledConnections_CompletesOrFailsCleanlyAndTheArchiveStaysConsistent()
    {
        using var t = new TempDir();
        MakeTree(t["tree"], 40, 300_000, 5);
        string bucket = RgwCluster.NewBucket("faults");
        string a = $"s3://{bucket}/a";
        Assert.Equal(0, Cvm("init", a, "--object-lock", "governance", "--retention", "1d").ExitCode);

        using var proxy = new FaultProxyHost(rgw.Endpoint, dropEvery: 3, stallEvery: 4);
        var flaky = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL"] = proxy.Proxy.Endpoint,
            ["CVMPRESERVE_S3_TIMEOUT"] = "3",
            ["CVMPRESERVE_S3_RETRIES"] = "8",
        };
        CliResult run = Cvm(flaky, "snapshot", "--rootfs", t["tree"], "--name", "flaky", "--archive", a, "--s3-parallel", "4");
        Assert.True(run.ExitCode is 0 or 6, run.ToString());
        output.WriteLine($"snapshot through the faulty proxy: exit {run.ExitCode}, {proxy.Proxy.Connections} connections, {proxy.Proxy.Faults} dropped or stalled");
        Assert.True(proxy.Proxy.Faults >= 1, $"no connection of {proxy.Proxy.Connections} was dropped or stalled: the test proved nothing");
        if (run.ExitCode == 6)
        {
            Assert.Contains(proxy.Proxy.Endpoint, run.Stderr, StringComparison.Ordinal);
        }

        // Whatever happened, the archive read directly is consistent, and a run over a sound network completes.
        AssertConsistent(a, "flaky", t);
        Assert.Equal(0, Cvm("snapshot", "--rootfs", t["tree"], "--name", "flaky", "--archive", a).ExitCode);
        AssertConsistent(a, "flaky", t);

        // A gateway that cannot be reached at all: exit 6 naming it, nothing new committed.
        proxy.Proxy.RefuseAll = true;
        var dead = new Dictionary<string, string>(flaky) { ["CVMPRESERVE_S3_RETRIES"] = "2" };
        File.WriteAllText(t["tree/new-file"], "new\n");
        CliResult down = Cvm(dead, "snapshot", "--rootfs", t["tree"], "--name", "flaky", "--archive", a);
        Assert.Equal(6, down.ExitCode);
        Assert.Contains(proxy.Proxy.Endpoint, down.Stderr, StringComparison.Ordinal);
        int versions = JsonNode.Parse(Cvm("list", "flaky", "--json", "--archive", a).Stdout)!["versions"]!.AsArray().Count;
        Assert.Equal(run.ExitCode == 0 ? 2 : 1, versions);
    }

    [RgwFact]
    public void Snapshot_ThreeRacingForOneCapsuleOnAnObjectLockBucket_GetDifferentVersionsEachWhole()
    {
        using var t = new TempDir();
        string a = $"s3://{RgwCluster.NewBucket("race")}/a";
        Assert.Equal(0, Cvm("init", a, "--object-lock", "compliance", "--retention", "1d").ExitCode);
        string[] trees = ["t1", "t2", "t3"];
        for (int i = 0; i < trees.Length; i++)
        {
            MakeTree(t[trees[i]], 5, 30_000, 10 + i);
        }

        var runs = trees.Select(tree => (Tree: tree, Process: CliRunner.Start(rgw.Env, "snapshot", "--rootfs", t[tree], "--name", "race", "--archive", a, "--json"))).ToList();
        var made = new Dictionary<int, string>();
        foreach ((string tree, Process p) in runs)
        {
            string stdout = p.StandardOutput.ReadToEnd();
            Assert.True(p.WaitForExit(120_000), "a racing snapshot did not finish");
            Assert.True(p.ExitCode == 0, $"{tree}: exit {p.ExitCode}: {p.StandardError.ReadToEnd()}");
            int version = (int)JsonNode.Parse(stdout)!["version"]!;
            Assert.True(made.TryAdd(version, tree), $"two snapshots both claim v{version}");
            p.Dispose();
        }

        // Each version holds the tree its own snapshot read.
        foreach ((int version, string tree) in made)
        {
            CliResult r = Cvm("restore", $"race@v{version}", "--to", t[$"back-{version}"], "--archive", a);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("", CliRunner.Sh($"diff -r --no-dereference '{t[tree]}' '{t[$"back-{version}"]}'"));
        }
    }

    [RgwFact]
    public void Snapshot_KilledMidwayThenRunAgain_DoesNotUploadAgainWhatWasStored()
    {
        using var t = new TempDir();
        MakeTree(t["tree"], 60, 400_000, 6); // ~24 MB of incompressible data: several bundles
        string bucket = RgwCluster.NewBucket("sigkill");
        string a = $"s3://{bucket}/a";
        Assert.Equal(0, Cvm("init", a).ExitCode);

        using var proxy = new FaultProxyHost(rgw.Endpoint, 0, 0) { BytesPerSecond = 2_000_000 };
        Dictionary<string, string> env1 = rgw.Env;
        env1["AWS_ENDPOINT_URL"] = proxy.Proxy.Endpoint;
        env1["CVMPRESERVE_S3_LOG"] = t["run1.log"];
        using (Process p = CliRunner.Start(env1, "snapshot", "--rootfs", t["tree"], "--name", "killed", "--archive", a, "--s3-parallel", "2"))
        {
            var clock = Stopwatch.StartNew();
            while (StoredBlobs(t["run1.log"]).Count < 2 && clock.Elapsed < TimeSpan.FromSeconds(60) && !p.HasExited)
            {
                Thread.Sleep(50);
            }

            Assert.False(p.HasExited, "the snapshot finished before it could be killed: make the tree bigger");
            p.Kill(); // SIGKILL
            p.WaitForExit();
        }

        HashSet<string> first = StoredBlobs(t["run1.log"]);
        Assert.NotEmpty(first);
        Assert.Empty(JsonNode.Parse(Cvm("list", "killed", "--json", "--archive", a).Stdout)!["versions"]!.AsArray());

        Dictionary<string, string> env2 = rgw.Env;
        env2["CVMPRESERVE_S3_LOG"] = t["run2.log"];
        CliResult again = CliRunner.Run(TimeSpan.FromMinutes(3), env2, "snapshot", "--rootfs", t["tree"], "--name", "killed", "--archive", a);
        Assert.True(again.ExitCode == 0, again.ToString());
        HashSet<string> second = StoredBlobs(t["run2.log"]);
        Assert.NotEmpty(second);
        Assert.Empty(first.Intersect(second)); // nothing stored by the killed run was sent again
        output.WriteLine($"killed run stored {first.Count} blobs; the second run stored {second.Count} others and sent none of the first again");
        AssertConsistent(a, "killed", t);
    }

    [RgwFact]
    public void Snapshot_BucketOverItsQuota_FailsWithExit6AndCommitsNothing()
    {
        using var t = new TempDir();
        MakeTree(t["tree"], 20, 300_000, 8); // 6 MB of random bytes
        string bucket = RgwCluster.NewBucket("quota");
        string a = $"s3://{bucket}/a";
        Assert.Equal(0, Cvm("init", a).ExitCode);
        rgw.Admin("quota", "set", "--quota-scope=bucket", $"--bucket={bucket}", "--max-size=2000000");
        rgw.Admin("quota", "enable", "--quota-scope=bucket", $"--bucket={bucket}");

        CliResult full = Cvm("snapshot", "--rootfs", t["tree"], "--name", "big", "--archive", a);
        Assert.True(full.ExitCode == 6, full.ToString());
        Assert.Contains("full or over its quota", full.Stderr, StringComparison.Ordinal);
        Assert.Contains($"bucket {bucket}", full.Stderr, StringComparison.Ordinal);
        Assert.Contains("Nothing was committed", full.Stderr, StringComparison.Ordinal);
        Assert.Empty(JsonNode.Parse(Cvm("list", "big", "--all", "--json", "--archive", a).Stdout)!["versions"]!.AsArray());
    }

    [RgwFact]
    public void Snapshot_InterruptedBySigint_Exits130AndCommitsNothing()
    {
        using var t = new TempDir();
        MakeTree(t["tree"], 30, 400_000, 7);
        string a = $"s3://{RgwCluster.NewBucket("sigint")}/a";
        Assert.Equal(0, Cvm("init", a, "--object-lock", "governance", "--retention", "1d").ExitCode);
        using var proxy = new FaultProxyHost(rgw.Endpoint, 0, 0) { BytesPerSecond = 1_000_000 };
        Dictionary<string, string> env = rgw.Env;
        env["AWS_ENDPOINT_URL"] = proxy.Proxy.Endpoint;
        env["CVMPRESERVE_S3_LOG"] = t["run.log"];
        using Process p = CliRunner.Start(env, "snapshot", "--rootfs", t["tree"], "--name", "stopped", "--archive", a);
        var clock = Stopwatch.StartNew();
        while (StoredBlobs(t["run.log"]).Count < 1 && clock.Elapsed < TimeSpan.FromSeconds(60) && !p.HasExited)
        {
            Thread.Sleep(50);
        }

        Assert.False(p.HasExited, "the snapshot finished before it could be interrupted");
        CliRunner.Sh($"kill -INT {p.Id}");
        Assert.True(p.WaitForExit(60_000), "the snapshot did not stop after SIGINT");
        Assert.Equal(130, p.ExitCode);
        Assert.Contains("interrupted", p.StandardError.ReadToEnd(), StringComparison.Ordinal);
        Assert.Empty(JsonNode.Parse(Cvm("list", "stopped", "--all", "--json", "--archive", a).Stdout)!["versions"]!.AsArray());
    }

    /// <summary>Blob keys a run's request log (CVMPRESERVE_S3_LOG) shows as stored (PUT answered 200).</summary>
    private static HashSet<string> StoredBlobs(string log)
    {
        if (!File.Exists(log))
        {
            return [];
        }

        using var reader = new StreamReader(new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd().Split('\n')
            .Select(l => l.Split(' '))
            .Where(f => f.Length >= 3 && f[0] == "PUT" && f[1].Contains("/blobs/", StringComparison.Ordinal) && f[2] == "200")
            .Select(f => f[1])
            .ToHashSet();
    }
}

/// <summary>A <see cref="FaultProxy"/> for synchronous tests.</summary>
public sealed class FaultProxyHost : IDisposable
{
    public FaultProxyHost(string upstream, int dropEvery, int stallEvery)
    {
        Proxy = new FaultProxy(new Uri(upstream)) { DropEvery = dropEvery, StallEvery = stallEvery };
    }

    public FaultProxy Proxy { get; }

    public int BytesPerSecond
    {
        get => Proxy.BytesPerSecond;
        init => Proxy.BytesPerSecond = value;
    }

    public void Dispose() => Proxy.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
