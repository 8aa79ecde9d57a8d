using Xunit;

namespace CernVM.Preserve.Cli.Tests;

public class DebootstrapTests
{
    private static string Describe(string root) => CliRunner.Sh(
        $"cd '{root}' && find . ! -type d -printf '%y %m %U:%G %T@ %s %n %p -> %l\\n' | LC_ALL=C sort | sha256sum && " +
        "find . -type d -printf '%y %m %U:%G %T@ %p\\n' | LC_ALL=C sort | sha256sum && " +
        "find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2 | sha256sum && " +
        "getfattr -R -h -d -m - . 2>/dev/null | sha256sum");

    [Fact]
    public void SnapshotAndRestore_RealDebianRootTree_GivesBackTheSameTree()
    {
        string source = DebianTree.Path;
        using var t = new TempDir();
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult s = CliRunner.Run("snapshot", "--rootfs", source, "--name", "debian", "--archive", t["a"]);
        Assert.True(s.ExitCode == 0, s.ToString());
        CliResult r = CliRunner.Run("restore", "debian", "--to", t["out"], "--archive", t["a"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(Describe(source), Describe(t["out"]));
        Assert.Equal(
            CliRunner.Sh($"dpkg-query --admindir='{source}/var/lib/dpkg' -W"),
            CliRunner.Sh($"dpkg-query --admindir='{t["out"]}/var/lib/dpkg' -W"));

        // Unchanged: nothing new is stored and the catalog is the same blob.
        CliResult again = CliRunner.Run("snapshot", "--rootfs", source, "--name", "debian", "--archive", t["a"], "--json");
        var stats = System.Text.Json.Nodes.JsonNode.Parse(again.Stdout)!;
        Assert.Equal(0, (long)stats["statistics"]!["newBlobs"]!);
        Assert.Equal(0, (long)stats["statistics"]!["bytesRead"]!);
        string c1 = (string)System.Text.Json.Nodes.JsonNode.Parse(CliRunner.Run("show", "debian@v1", "--json", "--archive", t["a"]).Stdout)!["manifest"]!["tree"]!["catalog"]!;
        Assert.Equal(c1, (string)stats["tree"]!["catalog"]!);
    }

    // Snapshot and restore run in a no-GC region (CollectorHold): their pipelines' first buffers used to set off
    // two full, blocking collections each. The trace's last line counts collections per generation.
    [Fact]
    public void SnapshotAndRestore_RealDebianRootTree_NoFullCollectionBeyondTheRegionsStart()
    {
        string source = DebianTree.Path;
        using var t = new TempDir();
        var trace = new Dictionary<string, string> { ["CVMPRESERVE_TRACE"] = "1" };
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult s = CliRunner.Run(TimeSpan.FromMinutes(3), trace, "snapshot", "--rootfs", source, "--name", "debian", "--archive", t["a"]);
        Assert.True(s.ExitCode == 0, s.ToString());
        CliResult r = CliRunner.Run(TimeSpan.FromMinutes(3), trace, "restore", "debian", "--to", t["out"], "--archive", t["a"]);
        Assert.True(r.ExitCode == 0, r.ToString());

        foreach (CliResult run in new[] { s, r })
        {
            System.Text.RegularExpressions.Match m = System.Text.RegularExpressions.Regex.Match(run.Stderr, @"runtime: gc (\d+)/(\d+)/(\d+) \(gen0/1/2\)");
            Assert.True(m.Success, run.ToString());
            Assert.True(int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) <= 1, run.Stderr);
        }
    }
}
