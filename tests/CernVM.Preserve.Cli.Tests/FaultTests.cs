using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>
/// Faults a real archive must survive (FORMAT.md §8): a full disk, Ctrl-C, SIGKILL at any moment, and
/// two snapshots racing for the same capsule. After each, the archive is consistent: every version that
/// exists restores byte for byte, and none exists that is not whole.
/// </summary>
[Collection("faults")]
public class FaultTests
{
    private static void MakeTree(string root, int files, int size, int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < files; i++)
        {
            string dir = Path.Combine(root, $"d{i % 17}");
            Directory.CreateDirectory(dir);
            var b = new byte[size];
            rng.NextBytes(b);
            File.WriteAllBytes(Path.Combine(dir, $"f{i}.bin"), b);
        }
    }

    /// <summary>Every complete version restores and matches its tree's content hashes; returns their numbers.</summary>
    private static List<int> AssertConsistent(string archive, string capsule, TempDir t)
    {
        var versions = new List<int>();
        CliResult list = CliRunner.Run("list", capsule, "--json", "--archive", archive);
        Assert.True(list.ExitCode == 0, list.ToString());
        foreach (JsonNode? v in JsonNode.Parse(list.Stdout)!["versions"]!.AsArray())
        {
            int n = (int)v!["version"]!;
            versions.Add(n);
            string target = t[$"check-v{n}-{Guid.NewGuid():N}"];
            CliResult r = CliRunner.Run("restore", $"{capsule}@v{n}", "--to", target, "--archive", archive);
            Assert.True(r.ExitCode == 0, $"v{n} does not restore cleanly: {r}");
        }

        return versions;
    }

    [Fact]
    public void Snapshot_DiskFull_FailsWithExit6AndLeavesEarlierVersionsIntact()
    {
        using var t = new TempDir();
        string mount = t["small"];
        Directory.CreateDirectory(mount);
        CliRunner.Sh($"mount -t tmpfs -o size=6m tmpfs '{mount}'");
        try
        {
            string a = Path.Combine(mount, "archive");
            Assert.Equal(0, CliRunner.Run("init", a).ExitCode);
            MakeTree(t["small-tree"], 20, 10_000, 1);
            Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", t["small-tree"], "--name", "demo", "--archive", a).ExitCode);

            MakeTree(t["big-tree"], 40, 512 * 1024, 2); // 20 MiB of random bytes: cannot fit in 6 MiB
            CliResult full = CliRunner.Run("snapshot", "--rootfs", t["big-tree"], "--name", "demo", "--archive", a);
            Assert.True(full.ExitCode == 6, full.ToString());
            Assert.Contains("full", full.Stderr);
            Assert.Contains("Nothing was committed", full.Stderr);

            Assert.Equal([1], AssertConsistent(a, "demo", t));
            Assert.Empty(Directory.GetFiles(Path.Combine(a, "tmp")));
            Assert.False(Directory.Exists(Path.Combine(a, "capsules/demo/v2")));
        }
        finally
        {
            CliRunner.Sh($"umount '{mount}'");
        }
    }

    [Fact]
    public async Task Snapshot_Interrupted_Exits130AndCommitsNothing()
    {
        using var t = new TempDir();
        string a = t["archive"];
        Assert.Equal(0, CliRunner.Run("init", a).ExitCode);
        MakeTree(t["tree"], 200, 1024 * 1024, 3);
        using Process p = CliRunner.Start(null, "snapshot", "--rootfs", t["tree"], "--name", "demo", "--archive", a, "--workers", "1", "--compression-level", "19");
        Task<string> err = p.StandardError.ReadToEndAsync();
        WaitForBlobs(a, p);
        CliRunner.Sh($"kill -INT {p.Id}");
        Assert.True(p.WaitForExit(60_000), "the snapshot did not stop after SIGINT");
        string stderr = await err;
        Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {stderr}");
        Assert.Contains("interrupted", stderr);
        Assert.Empty(AssertConsistent(a, "demo", t));
        Assert.Empty(Directory.GetFiles(Path.Combine(a, "tmp")));

        CliResult again = CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "demo", "--archive", a);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal([1], AssertConsistent(a, "demo", t));
    }

    [Fact]
    public void Snapshot_KilledAtAnyMoment_NeverLeavesAVersionThatLooksComplete()
    {
        using var t = new TempDir();
        string a = t["archive"];
        Assert.Equal(0, CliRunner.Run("init", a).ExitCode);
        MakeTree(t["tree"], 60, 256 * 1024, 4);
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "demo", "--archive", a).ExitCode);
        MakeTree(t["tree"], 60, 300 * 1024, 5);

        // Kill the second snapshot after different delays, so that the kill lands in different phases.
        foreach (int delayMs in new[] { 150, 400, 700, 1000, 1500 })
        {
            using Process p = CliRunner.Start(null, "snapshot", "--rootfs", t["tree"], "--name", "demo", "--archive", a, "--workers", "1");
            Thread.Sleep(delayMs);
            CliRunner.Sh($"kill -KILL {p.Id} 2>/dev/null || true");
            p.WaitForExit(30_000);
            List<int> versions = AssertConsistent(a, "demo", t);
            Assert.Contains(1, versions);
        }

        CliResult final = CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "demo", "--archive", a, "--json");
        Assert.True(final.ExitCode == 0, final.ToString());
        List<int> all = AssertConsistent(a, "demo", t);
        Assert.Equal((int)JsonNode.Parse(final.Stdout)!["version"]!, all.Max());
        Assert.Equal(File.ReadAllBytes(t["tree/d5/f5.bin"]), File.ReadAllBytes(Directory.GetDirectories(t.Path, $"check-v{all.Max()}-*").Single() + "/d5/f5.bin"));
        Assert.Empty(Directory.GetFiles(Path.Combine(a, "tmp")));
    }

    [Fact]
    public async Task Snapshot_TwoAtOnceIntoOneCapsule_GiveTwoCompleteVersions()
    {
        using var t = new TempDir();
        string a = t["archive"];
        Assert.Equal(0, CliRunner.Run("init", a).ExitCode);
        MakeTree(t["tree-a"], 80, 64 * 1024, 6);
        MakeTree(t["tree-b"], 80, 64 * 1024, 7);
        using Process pa = CliRunner.Start(null, "snapshot", "--rootfs", t["tree-a"], "--name", "demo", "--archive", a, "--json");
        using Process pb = CliRunner.Start(null, "snapshot", "--rootfs", t["tree-b"], "--name", "demo", "--archive", a, "--json");
        Task<string> oa = pa.StandardOutput.ReadToEndAsync(), ob = pb.StandardOutput.ReadToEndAsync();
        Task<string> ea = pa.StandardError.ReadToEndAsync(), eb = pb.StandardError.ReadToEndAsync();
        Assert.True(pa.WaitForExit(120_000) && pb.WaitForExit(120_000));
        Assert.True(pa.ExitCode == 0, await ea);
        Assert.True(pb.ExitCode == 0, await eb);
        int va = (int)JsonNode.Parse(await oa)!["version"]!, vb = (int)JsonNode.Parse(await ob)!["version"]!;
        Assert.NotEqual(va, vb);
        Assert.Equal([1, 2], AssertConsistent(a, "demo", t).Order().ToList());

        // Each version holds the tree its own snapshot read.
        CliResult ra = CliRunner.Run("restore", $"demo@v{va}", "--to", t["ra"], "--archive", a);
        CliResult rb = CliRunner.Run("restore", $"demo@v{vb}", "--to", t["rb"], "--archive", a);
        Assert.Equal(0, ra.ExitCode);
        Assert.Equal(0, rb.ExitCode);
        Assert.Equal(File.ReadAllBytes(t["tree-a/d3/f3.bin"]), File.ReadAllBytes(t["ra/d3/f3.bin"]));
        Assert.Equal(File.ReadAllBytes(t["tree-b/d3/f3.bin"]), File.ReadAllBytes(t["rb/d3/f3.bin"]));
    }

    private static void WaitForBlobs(string archive, Process p)
    {
        var clock = Stopwatch.StartNew();
        string tmp = Path.Combine(archive, "tmp");
        while (clock.Elapsed < TimeSpan.FromSeconds(60) && !p.HasExited)
        {
            if (Directory.Exists(tmp) && Directory.GetFiles(tmp).Length >= 2)
            {
                return;
            }

            Thread.Sleep(20);
        }

        Assert.Fail("the snapshot wrote no blob within 60 s, or ended before it could be interrupted");
    }
}
