using System.Text.Json.Nodes;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>What the reading commands say and how they exit: restore's counts and report, diff's exit codes, no default archive made by a reader.</summary>
public class ReaderCommandTests
{
    /// <summary>A tree of 12 files, 10 of them excluded by one pattern, snapshotted into a new archive.</summary>
    private static TempDir SnapshotWithExclusions()
    {
        var t = new TempDir();
        string tree = t["tree"];
        Directory.CreateDirectory(Path.Combine(tree, "src"));
        Directory.CreateDirectory(Path.Combine(tree, "var/cache/apt"));
        File.WriteAllText(Path.Combine(tree, "var/cache/apt/pkgcache.bin"), "cache");
        File.WriteAllText(Path.Combine(tree, "src/main.c"), "int main(){}\n");
        for (int i = 0; i < 10; i++)
        {
            File.WriteAllText(Path.Combine(tree, "src", $"f{i}.o"), $"object {i}");
        }

        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult s = CliRunner.Run("snapshot", "--rootfs", tree, "--name", "x", "--exclude", "*.o", "--exclude", "/var/cache", "--archive", t["a"]);
        Assert.True(s.ExitCode == 0, s.ToString());
        return t;
    }

    [Fact]
    public void Restore_TreeWithExcludedEntries_CountsWhatItRestoredApartFromThem()
    {
        using TempDir t = SnapshotWithExclusions();

        CliResult json = CliRunner.Run("restore", "x", "--to", t["out-json"], "--json", "--archive", t["a"]);
        CliResult text = CliRunner.Run("restore", "x", "--to", t["out-text"], "--archive", t["a"]);

        Assert.True(json.ExitCode == 0, json.ToString());
        JsonNode r = JsonNode.Parse(json.Stdout)!;
        // root, src, src/main.c, var: restored; 10 objects and /var/cache: excluded.
        Assert.Equal(15, (long)r["entries"]!);
        Assert.Equal(4, (long)r["restored"]!);
        Assert.Equal(11, (long)r["excluded"]!);
        Assert.Equal((0L, 0L, 0L), ((long)r["pseudo"]!, (long)r["unreadable"]!, (long)r["notRestored"]!));
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains(": 4 entries, 1 files, ", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("11 excluded, 0 pseudo, 0 unreadable", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_ManyProblemsOfOneCode_OneLinePerCodeUnlessAllAreAskedFor()
    {
        using TempDir t = SnapshotWithExclusions();

        CliResult summary = CliRunner.Run("restore", "x", "--to", t["out"], "--archive", t["a"]);
        CliResult all = CliRunner.Run("restore", "x", "--to", t["out-all"], "--all-problems", "--archive", t["a"]);

        Assert.True(summary.ExitCode == 0, summary.ToString());
        string line = Assert.Single(summary.Stderr.Split('\n'), l => l.Contains("RST004", StringComparison.Ordinal));
        Assert.Contains("RST004 (10 times) /src/f0.o: not restored: it was excluded at capture (--exclude *.o)", line, StringComparison.Ordinal);
        Assert.Contains("also /src/f1.o, /src/f2.o, /src/f3.o, /src/f4.o and 5 more (--all-problems lists each)", line, StringComparison.Ordinal);
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Equal(10, all.Stderr.Split('\n').Count(l => l.Contains("RST004", StringComparison.Ordinal)));
        Assert.Contains("RST004 /src/f9.o: not restored", all.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Diff_ExitsAsDiff1Does_0Same1Different2OrMoreTrouble()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["tree"]);
        File.WriteAllText(t["tree/f"], "one");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "d", "--archive", t["a"]).ExitCode);
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "d", "--archive", t["a"]).ExitCode);
        File.WriteAllText(t["tree/f"], "two");
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "d", "--archive", t["a"]).ExitCode);

        CliResult same = CliRunner.Run("diff", "d@v1", "d@v2", "--archive", t["a"]);
        CliResult different = CliRunner.Run("diff", "d@v2", "d@v3", "--archive", t["a"]);
        CliResult differentJson = CliRunner.Run("diff", "d@v2", "d@v3", "--json", "--archive", t["a"]);
        CliResult missing = CliRunner.Run("diff", "d@v1", "d@v9", "--archive", t["a"]);
        CliResult bad = CliRunner.Run("diff", "d@v1", "Not A Name", "--archive", t["a"]);

        Assert.True(same.ExitCode == 0, same.ToString());
        Assert.Contains("0 added, 0 removed, 0 changed", same.Stdout, StringComparison.Ordinal);
        Assert.True(different.ExitCode == 1, different.ToString());
        Assert.Contains("/f", different.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, differentJson.ExitCode);
        Assert.Equal("/f", (string)JsonNode.Parse(differentJson.Stdout)!["changed"]![0]!["path"]!);
        Assert.Equal(5, missing.ExitCode);
        Assert.Equal(2, bad.ExitCode);
    }

    [Fact]
    public void ReadingCommands_WithoutTheDefaultArchive_SayThereIsNoneAndCreateNothing()
    {
        using var t = new TempDir();
        var env = new Dictionary<string, string> { ["XDG_DATA_HOME"] = t["data"], ["CVMPRESERVE_ARCHIVE"] = "" };
        string[][] commands =
        [
            ["list"], ["list", "--json"], ["show", "x"], ["ls", "x"], ["cat", "x", "/f"], ["diff", "x@v1", "x@v2"],
            ["restore", "x", "--to", t["out"]], ["export", "x", "--cvmfs-stratum", t["stratum"]],
        ];

        foreach (string[] args in commands)
        {
            CliResult r = CliRunner.Run(TimeSpan.FromMinutes(1), env, args);
            Assert.True(r.ExitCode == 4, $"{string.Join(' ', args)}: {r}");
            Assert.Contains("there is no archive yet", r.Stderr, StringComparison.Ordinal);
            Assert.Contains(Path.Combine(t["data"], "cvmpreserve", "archive"), r.Stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(t["data"]), string.Join(' ', args) + " created the default archive's directory");
        }

        Directory.CreateDirectory(t["tree"]);
        File.WriteAllText(t["tree/f"], "first use");
        CliResult snapshot = CliRunner.Run(TimeSpan.FromMinutes(1), env, "snapshot", "--rootfs", t["tree"], "--name", "x");
        Assert.True(snapshot.ExitCode == 0, snapshot.ToString());
        Assert.Equal("first use", CliRunner.Run(TimeSpan.FromMinutes(1), env, "cat", "x", "/f").Stdout);
    }
}
