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
    public async Task Snapshot_SeveralAtOnceIntoOneCapsule_GiveDistinctCompleteVersions()
    {
        using var t = new TempDir();
        string a = t["archive"];
        Assert.Equal(0, CliRunner.Run("init", a).ExitCode);
        string[] trees = ["tree-a", "tree-b", "tree-c"];
        for (int i = 0; i < trees.Length; i++)
        {
            MakeTree(t[trees[i]], 40, 32 * 1024, 10 + i);
        }

        // Rounds of three racing writers: each must get its own version number and a whole version.
        var made = new Dictionary<int, string>();
        for (int round = 0; round < 3; round++)
        {
            var runs = trees.Select(tree => (Tree: tree, Process: CliRunner.Start(null, "snapshot", "--rootfs", t[tree], "--name", "demo", "--archive", a, "--json"))).ToList();
            foreach ((string tree, System.Diagnostics.Process p) in runs)
            {
                using (p)
                {
                    Task<string> stdout = p.StandardOutput.ReadToEndAsync(), stderr = p.StandardError.ReadToEndAsync();
                    Assert.True(p.WaitForExit(120_000), "a racing snapshot did not finish");
                    Assert.True(p.ExitCode == 0, await stderr);
                    int version = (int)JsonNode.Parse(await stdout)!["version"]!;
                    Assert.True(made.TryAdd(version, tree), $"two snapshots both claim v{version}");
                }
            }
        }

        Assert.Equal(Enumerable.Range(1, 9), AssertConsistent(a, "demo", t).Order());

        // Each version holds the tree its own snapshot read.
        foreach ((int version, string tree) in made)
        {
            CliResult cat = CliRunner.Run("cat", $"demo@v{version}", "/d3/f3.bin", "--archive", a);
            Assert.Equal(0, cat.ExitCode);
            Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(t[$"{tree}/d3/f3.bin"]))),
                CliRunner.Sh($"{CliRunner.ShellCommand} cat demo@v{version} /d3/f3.bin --archive '{a}' | sha256sum | cut -c1-64").Trim().ToUpperInvariant());
        }
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
