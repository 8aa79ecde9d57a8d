using System.Text.Json.Nodes;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>
/// `snapshot --rootfs DIR --name N` is a spec holding only os.rootfs: a directory records the OS components it
/// holds, as a spec, a tarball or an image does.
/// </summary>
public class QuickFormTests
{
    [Fact]
    public void SnapshotRootfs_DirectoryWithDpkgStatus_RecordsOsAndPackages()
    {
        using var t = new TempDir();
        string tree = t["tree"];
        Directory.CreateDirectory(Path.Combine(tree, "etc"));
        Directory.CreateDirectory(Path.Combine(tree, "var/lib/dpkg"));
        File.WriteAllText(Path.Combine(tree, "etc/os-release"), "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_CODENAME=bookworm\n");
        File.WriteAllText(Path.Combine(tree, "etc/debian_version"), "12.8\n");
        File.WriteAllText(Path.Combine(tree, "var/lib/dpkg/status"),
            "Package: base-files\nStatus: install ok installed\nPriority: required\nArchitecture: amd64\nVersion: 12.4+deb12u8\nInstalled-Size: 341\nDescription: Debian base system miscellaneous files\n\n" +
            "Package: bash\nStatus: install ok installed\nPriority: required\nArchitecture: amd64\nVersion: 5.2.15-2+b7\nInstalled-Size: 7163\nDescription: GNU Bourne Again SHell\n\n");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);

        CliResult s = CliRunner.Run("snapshot", "--rootfs", tree, "--name", "deb", "--archive", t["a"], "--json");

        Assert.True(s.ExitCode == 0, s.ToString());
        JsonNode os = JsonNode.Parse(s.Stdout)!["components"]!["os"]!;
        Assert.Equal("Debian GNU/Linux", (string)os["distribution"]!);
        Assert.Equal("dpkg", (string)os["packages"]!["format"]!);
        Assert.Equal(2, (int)os["packages"]!["count"]!);
        Assert.Equal("/var/lib/dpkg/status", (string)os["packages"]!["database"]!);
        JsonNode shown = JsonNode.Parse(CliRunner.Run("show", "deb", "--json", "--archive", t["a"]).Stdout)!["manifest"]!;
        Assert.Equal(Path.GetFullPath(tree), (string)shown["tree"]!["source"]!);
        Assert.Equal(Path.GetFullPath(tree), (string)shown["components"]!["os"]!["rootfs"]!);
        Assert.Null(shown["components"]!["curation"]);
    }

    [Fact]
    public void SnapshotRootfs_DirectoryWithRpmDatabase_RecordsOsAndPackagesAsTheSpecDoes()
    {
        using var t = new TempDir();
        CliRunner.Sh($"'{CliRunner.RepoRoot}/tools/make-demo-env.sh' '{t["env"]}'");
        File.WriteAllText(t["spec.yaml"], $"name: by-spec\nos:\n  rootfs: {t["env"]}\n");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        Assert.Equal(0, CliRunner.Run("snapshot", t["spec.yaml"], "--archive", t["a"]).ExitCode);

        CliResult q = CliRunner.Run("snapshot", "--rootfs", t["env"], "--name", "quick", "--archive", t["a"]);

        Assert.True(q.ExitCode == 0, q.ToString());
        JsonNode bySpec = JsonNode.Parse(CliRunner.Run("show", "by-spec", "--json", "--archive", t["a"]).Stdout)!["manifest"]!["components"]!["os"]!;
        JsonNode quick = JsonNode.Parse(CliRunner.Run("show", "quick", "--json", "--archive", t["a"]).Stdout)!["manifest"]!["components"]!["os"]!;
        Assert.StartsWith("rpm", (string)quick["packages"]!["format"]!);
        Assert.True((int)quick["packages"]!["count"]! > 0);
        Assert.True(JsonNode.DeepEquals(bySpec["packages"], quick["packages"]), $"{bySpec["packages"]} vs {quick["packages"]}");
        Assert.Equal((string?)bySpec["distribution"], (string?)quick["distribution"]);
        Assert.Equal((string?)bySpec["release"], (string?)quick["release"]);
        Assert.Contains("captured", q.Stdout);
    }

    [Fact]
    public void SnapshotRootfs_MissingDirectory_ExitsWith2NamingIt()
    {
        using var t = new TempDir();
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);

        CliResult s = CliRunner.Run("snapshot", "--rootfs", t["nowhere"], "--name", "x", "--archive", t["a"]);

        Assert.Equal(2, s.ExitCode);
        Assert.Contains($"--rootfs {t["nowhere"]}", s.Stderr);
        Assert.Contains("does not exist", s.Stderr);
    }
}

/// <summary>The snapshot's summary and `list` count what was captured, and say what new data the tree catalog is.</summary>
public class CaptureSummaryTests
{
    [Fact]
    public void Snapshot_WithExclusions_CountsCapturedFilesAndBytesOnly()
    {
        using var t = new TempDir();
        string tree = t["tree"];
        Directory.CreateDirectory(Path.Combine(tree, "keep"));
        Directory.CreateDirectory(Path.Combine(tree, "drop"));
        File.WriteAllBytes(Path.Combine(tree, "keep/a"), new byte[1000]);
        File.WriteAllBytes(Path.Combine(tree, "keep/b"), new byte[2000]);
        File.WriteAllBytes(Path.Combine(tree, "drop/c.gz"), new byte[50_000]);
        File.WriteAllBytes(Path.Combine(tree, "keep/d.gz"), new byte[70_000]);
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);

        CliResult s = CliRunner.Run("snapshot", "--rootfs", tree, "--name", "x", "--exclude", "*.gz", "--archive", t["a"], "--json");

        Assert.True(s.ExitCode == 0, s.ToString());
        JsonNode summary = JsonNode.Parse(s.Stdout)!["tree"]!;
        Assert.Equal(2, (int)summary["files"]!);
        Assert.Equal(3000, (long)summary["bytes"]!);
        Assert.Equal(2, (int)summary["excluded"]!);
        Assert.Equal(3, (int)summary["directories"]!);
        Assert.Equal((long)summary["entries"]!, (long)summary["files"]! + (long)summary["directories"]! + (long)summary["excluded"]!);
        JsonNode listed = JsonNode.Parse(CliRunner.Run("list", "--json", "--archive", t["a"]).Stdout)!["versions"]![0]!;
        Assert.Equal(3000, (long)listed["bytes"]!);
        CliResult text = CliRunner.Run("snapshot", "--rootfs", tree, "--name", "x", "--exclude", "*.gz", "--archive", t["a"]);
        Assert.Contains("2 not captured", text.Stdout);
    }

    [Fact]
    public void Snapshot_SmallChangeToOneFile_SaysMostNewDataIsTheTreeCatalog()
    {
        using var t = new TempDir();
        string tree = t["tree"];
        for (int i = 0; i < 300; i++)
        {
            Directory.CreateDirectory(Path.Combine(tree, $"d{i % 10}"));
            File.WriteAllText(Path.Combine(tree, $"d{i % 10}/f{i}"), $"file {i}\n");
        }

        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", tree, "--name", "x", "--archive", t["a"]).ExitCode);
        File.WriteAllText(Path.Combine(tree, "d3/f3"), "thirteen byte");

        CliResult s = CliRunner.Run("snapshot", "--rootfs", tree, "--name", "x", "--archive", t["a"], "--json");
        CliResult unchanged = CliRunner.Run("snapshot", "--rootfs", tree, "--name", "x", "--archive", t["a"]);

        Assert.True(s.ExitCode == 0, s.ToString());
        JsonNode newData = JsonNode.Parse(s.Stdout)!["newData"]!;
        Assert.Equal(1, (int)newData["content"]!["blobs"]!);
        Assert.Equal(13, (long)newData["content"]!["bytes"]!);
        Assert.Equal(1, (int)newData["catalog"]!["blobs"]!);
        Assert.True((long)newData["catalog"]!["bytes"]! > 10_000);
        Assert.True(unchanged.ExitCode == 0, unchanged.ToString());
        Assert.Contains("of content in 0 blobs", unchanged.Stdout);
        Assert.Contains("tree catalog already stored", unchanged.Stdout);
    }
}
