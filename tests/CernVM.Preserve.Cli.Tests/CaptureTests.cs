using System.Text.Json.Nodes;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>What a snapshot records besides plain files: exclusions, pseudo file systems, unreadable entries.</summary>
public class CaptureTests
{
    [Fact]
    public void Snapshot_ProcMountedInTheTree_IsRecordedAsPseudoAndNotDescended()
    {
        using var t = new TempDir();
        string tree = t["tree"];
        Directory.CreateDirectory(Path.Combine(tree, "proc"));
        File.WriteAllText(Path.Combine(tree, "hello"), "hi\n");
        CliRunner.Sh($"mount -t proc proc '{tree}/proc'");
        try
        {
            Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
            CliResult s = CliRunner.Run("snapshot", "--rootfs", tree, "--name", "p", "--archive", t["a"], "--json");
            Assert.True(s.ExitCode == 0, s.ToString());
            Assert.Equal(1, (int)JsonNode.Parse(s.Stdout)!["tree"]!["pseudo"]!);
            Assert.Equal(3, (int)JsonNode.Parse(s.Stdout)!["tree"]!["entries"]!);
            JsonNode ls = JsonNode.Parse(CliRunner.Run("ls", "p", "/", "--json", "--archive", t["a"]).Stdout)!;
            JsonNode proc = ls["entries"]!.AsArray().Single(e => (string)e!["path"]! == "/proc")!;
            Assert.Equal("pseudo", (string)proc["state"]!);
            Assert.Equal("proc", (string)proc["note"]!);

            CliResult r = CliRunner.Run("restore", "p", "--to", t["out"], "--archive", t["a"]);
            Assert.Equal(0, r.ExitCode);
            Assert.True(Directory.Exists(t["out/proc"]));
            Assert.Empty(Directory.EnumerateFileSystemEntries(t["out/proc"]));
        }
        finally
        {
            CliRunner.Sh($"umount '{tree}/proc'");
        }
    }

    [Fact]
    public void Snapshot_Exclusions_AreRecordedWithTheirPatternAndNothingBelowIsCaptured()
    {
        using var t = new TempDir();
        string tree = t["tree"];
        Directory.CreateDirectory(Path.Combine(tree, "var/cache/apt"));
        File.WriteAllText(Path.Combine(tree, "var/cache/apt/pkgcache.bin"), "cache");
        Directory.CreateDirectory(Path.Combine(tree, "src"));
        File.WriteAllText(Path.Combine(tree, "src/a.o"), "object");
        File.WriteAllText(Path.Combine(tree, "src/a.c"), "int main(){}");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult s = CliRunner.Run("snapshot", "--rootfs", tree, "--name", "x", "--exclude", "/var/cache", "--exclude", "*.o", "--archive", t["a"], "--json");
        Assert.True(s.ExitCode == 0, s.ToString());
        Assert.Equal(2, (int)JsonNode.Parse(s.Stdout)!["tree"]!["excluded"]!);
        JsonNode ls = JsonNode.Parse(CliRunner.Run("ls", "x", "/", "-R", "--json", "--archive", t["a"]).Stdout)!;
        var paths = ls["entries"]!.AsArray().ToDictionary(e => (string)e!["path"]!, e => e!);
        Assert.Equal("excluded", (string)paths["/var/cache"]["state"]!);
        Assert.Equal("--exclude /var/cache", (string)paths["/var/cache"]["note"]!);
        Assert.Equal("--exclude *.o", (string)paths["/src/a.o"]["note"]!);
        Assert.DoesNotContain("/var/cache/apt", paths.Keys);
        Assert.Equal("captured", (string)paths["/src/a.c"]["state"]!);
    }

    [Fact]
    public void Snapshot_AsAnUnprivilegedUser_ReportsUnreadableEntriesAndKeepsTheRest()
    {
        using var t = new TempDir();
        string tree = t["tree"];
        Directory.CreateDirectory(Path.Combine(tree, "secret-dir"));
        File.WriteAllText(Path.Combine(tree, "secret-dir/inside"), "x");
        File.WriteAllText(Path.Combine(tree, "shadow"), "root only");
        File.WriteAllText(Path.Combine(tree, "public"), "everyone");
        CliRunner.Sh($"chmod 0755 '{t.Path}' && chmod 0000 '{tree}/shadow' '{tree}/secret-dir' && chmod -R a+rX '{tree}/public' && mkdir '{t["a"]}' && chown 65534:65534 '{t["a"]}'");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliRunner.Sh($"chown -R 65534:65534 '{t["a"]}'");

        string json = CliRunner.Sh(
            $"cd / && HOME=/tmp DOTNET_CLI_HOME=/tmp setpriv --reuid=65534 --regid=65534 --clear-groups {CliRunner.ShellCommand} snapshot --rootfs '{tree}' --name u --archive '{t["a"]}' --json || test $? -eq 8");
        JsonNode result = JsonNode.Parse(json)!;
        Assert.Equal(2, (int)result["tree"]!["unreadable"]!);
        var warnings = result["warnings"]!.AsArray().Select(w => ((string)w!["code"]!, (string)w["path"]!)).ToList();
        Assert.Contains(("CAP001", "shadow"), warnings);
        Assert.Contains(("CAP001", "secret-dir"), warnings);
        Assert.Equal("everyone", CliRunner.Run("cat", "u", "/public", "--archive", t["a"]).Stdout);
    }

    [Fact]
    public void Restore_AsAnUnprivilegedUser_SaysWhatIsNotRestored()
    {
        using var t = new TempDir();
        string tree = t["tree"];
        Directory.CreateDirectory(tree);
        File.WriteAllText(Path.Combine(tree, "file"), "data");
        CliRunner.Sh($"mknod '{tree}/null' c 1 3 && chown 1042:1042 '{tree}/file'");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", tree, "--name", "r", "--archive", t["a"]).ExitCode);
        CliRunner.Sh($"chmod -R a+rX '{t["a"]}' && chmod 0755 '{t.Path}' && mkdir '{t["out"]}' && chown 65534:65534 '{t["out"]}'");

        string json = CliRunner.Sh(
            $"cd / && HOME=/tmp DOTNET_CLI_HOME=/tmp setpriv --reuid=65534 --regid=65534 --clear-groups {CliRunner.ShellCommand} restore r --to '{t["out"]}' --archive '{t["a"]}' --json");
        JsonNode result = JsonNode.Parse(json)!;
        var codes = result["problems"]!.AsArray().Select(p => (string)p!["code"]!).ToList();
        Assert.Contains("RST002", codes);
        Assert.Contains("RST006", codes);
        Assert.DoesNotContain(result["problems"]!.AsArray(), p => (bool)p!["error"]!);
        Assert.Equal("data", File.ReadAllText(t["out/file"]));
    }
}
