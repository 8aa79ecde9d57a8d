using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Format;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>`cvmpreserve snapshot SPEC`: the demo environment of tools/make-demo-env.sh as a curator captures it.</summary>
public class SpecSnapshotTests
{
    private static string Repo() => CliRunner.RepoRoot;

    [Fact]
    public void Snapshot_DemoSpec_RecordsOsPinSoftwareAndRunEntries()
    {
        using var t = new TempDir();
        CliRunner.Sh($"'{Repo()}/tools/make-demo-env.sh' '{t["env"]}'");
        string spec = File.ReadAllText(Path.Combine(Repo(), "fixtures/demo/capsule.yaml")).Replace("../../out/demo-env", t["env"]);
        File.WriteAllText(t["capsule.yaml"], spec);
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult s = CliRunner.Run("snapshot", t["capsule.yaml"], "--archive", t["a"]);
        Assert.True(s.ExitCode == 0, s.ToString());

        // The capture report: what was left out and why, and what the environment is made of.
        Assert.Contains("excluded   /proc: --exclude /proc", s.Stdout);
        Assert.Contains("pin         demo-meta 1.0-1: 2 satisfied, 0 deviations, 0 missing", s.Stdout);
        Assert.Contains("software    alpha-demo 11.6 at /aleph/alpha", s.Stdout);
        JsonNode again = JsonNode.Parse(CliRunner.Run("snapshot", t["capsule.yaml"], "--json", "--archive", t["a"]).Stdout)!;
        Assert.Contains(again["notCaptured"]!.AsArray(), n => (string)n!["path"]! == "/tmp/alpha.fifo" && (string)n["reason"]! == "--exclude /tmp/*");
        Assert.Equal("demo-meta", (string)again["components"]!["os"]!["pin"]!["metapackage"]!);

        JsonNode show = JsonNode.Parse(CliRunner.Run("show", "demo-aleph", "--json", "--archive", t["a"]).Stdout)!;
        JsonNode c = show["manifest"]!["components"]!;
        Assert.Equal("Scientific Linux SL release 4.7 (Beryllium)", (string)c["os"]!["release"]!);
        Assert.Equal("x86_64", (string)c["os"]!["architecture"]!);
        Assert.Equal("rpm-sqlite", (string)c["os"]!["packages"]!["format"]!);
        Assert.Equal(3, (int)c["os"]!["packages"]!["count"]!);
        Assert.True((bool)c["os"]!["pin"]!["consistent"]!);
        Assert.Equal(2, (int)c["os"]!["pin"]!["satisfied"]!);
        Assert.Equal("/aleph/alpha", (string)c["software"]![0]!["mountPoint"]!);
        JsonNode output = c["run"]![0]!["outputs"]![1]!;
        Assert.Equal(1e-9, (double)output["compare"]!["numeric"]!["relTol"]!);

        // The package list and the reference outputs are blobs anyone can read back.
        string list = CliRunner.Sh($"zstd -q -d -c '{t["a"]}/blobs/sha256/{((string)c["os"]!["packages"]!["list"]!)[..2]}/{(string)c["os"]!["packages"]!["list"]!}'");
        Assert.Contains("\"alpha-demo\"", list);
        Assert.Contains("\"epoch\": 2", list);

        CliResult text = CliRunner.Run("show", "demo-aleph", "--archive", t["a"]);
        Assert.Contains("pin         demo-meta 1.0-1: 2 satisfied, 0 deviations, 0 missing", text.Stdout);
        Assert.Contains("run         alpha-histogram", text.Stdout);

        // The manifests as written, and the package list, go JSON → typed components → JSON unchanged (FORMAT.md §1.3).
        string[] manifests = Directory.GetFiles(Path.Combine(t["a"], "capsules", "demo-aleph"), "manifest.json", SearchOption.AllDirectories);
        Assert.Equal(2, manifests.Length);
        foreach (string file in manifests)
        {
            byte[] bytes = File.ReadAllBytes(file);
            Manifest typed = ManifestCodec.Decode(bytes, file);
            Assert.Equal(ComparisonKind.Numeric, typed.Components!.Run![0].Outputs[1].Compare.Kind);
            Assert.Equal(CanonicalJson.ToText(bytes), CanonicalJson.ToText(ManifestCodec.Encode(typed)));
        }

        byte[] listBytes = System.Text.Encoding.UTF8.GetBytes(list);
        Assert.Equal(list, CanonicalJson.ToText(PackageList.Serialize(PackageList.Parse(listBytes, "package list"))));
    }

    [Fact]
    public void Snapshot_SpecWithErrors_Exits2NamingLineAndField()
    {
        using var t = new TempDir();
        File.WriteAllText(t["capsule.yaml"], "name: x\nos:\n  rootfs: nowhere\ndphepLevel: nine\n");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult r = CliRunner.Run("snapshot", t["capsule.yaml"], "--archive", t["a"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("capsule.yaml:4:13: /dphepLevel", r.Stderr);

        File.WriteAllText(t["capsule.yaml"], "name: x\nos:\n  rootfs: nowhere\n");
        CliResult missing = CliRunner.Run("snapshot", t["capsule.yaml"], "--archive", t["a"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("os.rootfs 'nowhere'", missing.Stderr);
    }
}

/// <summary>An OS root given as a tarball gives the same capsule tree as the same root as a directory.</summary>
public class TarballSnapshotTests
{
    [Theory]
    [InlineData("gzip", "tar.gz")]
    [InlineData("xz", "tar.xz")]
    [InlineData("zstd", "tar.zst")]
    [InlineData(null, "tar")]
    public void Snapshot_TarballRootfs_EqualsTheDirectorySnapshot(string? compressor, string extension)
    {
        using var t = new TempDir();
        string repo = CliRunner.RepoRoot;
        CliRunner.Sh($"'{repo}/tools/make-demo-env.sh' '{t["env"]}'");
        string tarball = t[$"env.{extension}"];
        CliRunner.Sh($"tar --format=posix --xattrs --numeric-owner -C '{t["env"]}' -cf - . {(compressor is null ? "" : $"| {compressor} -c")} > '{tarball}'");
        File.WriteAllText(t["dir.yaml"], $"name: from-dir\nos:\n  rootfs: {t["env"]}\n  metapackage: demo-meta\n");
        File.WriteAllText(t["tar.yaml"], $"name: from-tar\nos:\n  rootfs: {tarball}\n  metapackage: demo-meta\n");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult d = CliRunner.Run("snapshot", t["dir.yaml"], "--archive", t["a"]);
        Assert.True(d.ExitCode == 0, d.ToString());
        CliResult s = CliRunner.Run("snapshot", t["tar.yaml"], "--archive", t["a"]);
        Assert.True(s.ExitCode == 0, s.ToString());

        JsonNode diff = JsonNode.Parse(CliRunner.Run("diff", "from-dir@v1", "from-tar@v1", "--json", "--archive", t["a"]).Stdout)!;
        Assert.True(diff["added"]!.AsArray().Count == 0 && diff["removed"]!.AsArray().Count == 0 && diff["changed"]!.AsArray().Count == 0, diff.ToJsonString());
        JsonNode pin = JsonNode.Parse(CliRunner.Run("show", "from-tar", "--json", "--archive", t["a"]).Stdout)!["manifest"]!["components"]!["os"]!["pin"]!;
        Assert.True((bool)pin["consistent"]!);

        // The quick form takes the tarball too, and records the OS it holds.
        CliResult q = CliRunner.Run("snapshot", "--rootfs", tarball, "--name", "quick", "--archive", t["a"]);
        Assert.True(q.ExitCode == 0, q.ToString());
        JsonNode quick = JsonNode.Parse(CliRunner.Run("diff", "from-dir@v1", "quick@v1", "--json", "--archive", t["a"]).Stdout)!;
        Assert.True(quick["added"]!.AsArray().Count == 0 && quick["removed"]!.AsArray().Count == 0 && quick["changed"]!.AsArray().Count == 0, quick.ToJsonString());
        JsonNode os = JsonNode.Parse(CliRunner.Run("show", "quick", "--json", "--archive", t["a"]).Stdout)!["manifest"]!["components"]!["os"]!;
        Assert.Equal("Scientific Linux", (string)os["distribution"]!);
    }
}

/// <summary>`cvmpreserve export --cvmfs-stratum`: a real CernVM-FS revision captured by a spec, written back.</summary>
public class CvmfsExportCommandTests
{
    [Fact]
    public void Export_CapturedRevision_WritesTheOriginalObjectsAndRefusesAnExistingDirectory()
    {
        using var t = new TempDir();
        string realData = Path.Combine(CliRunner.RepoRoot, "fixtures", "real-data", "cvmfs");
        Assert.True(Directory.Exists(realData), $"the real-data fixtures {realData} are missing");
        CliRunner.Sh($"mkdir -p '{t["src"]}' '{t["root"]}/etc' && tar -C '{t["src"]}' -xzf '{realData}/guinea_pig_repo_20-revision-3.tar.gz' && echo 'Scientific Linux SL release 5.11 (Boron)' > '{t["root"]}/etc/redhat-release'");
        string repo = Path.Combine(t["src"], "srv/cvmfs/testmigration.cern.ch/pub/catalogs"); // the 2.0 layout: data -> ../data
        File.WriteAllText(t["capsule.yaml"], $"name: cvmfs-env\nos:\n  rootfs: {t["root"]}\ncvmfs:\n  - repository: {repo}\n");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult s = CliRunner.Run("snapshot", t["capsule.yaml"], "--archive", t["a"]);
        Assert.True(s.ExitCode == 0, s.ToString());

        CliResult x = CliRunner.Run("export", "cvmfs-env", "--cvmfs-stratum", t["stratum"], "--json", "--archive", t["a"]);
        Assert.True(x.ExitCode == 0, x.ToString());
        JsonNode r = JsonNode.Parse(x.Stdout)!["repositories"]![0]!;
        Assert.Equal("testmigration.cern.ch", (string)r["fqrn"]!);
        Assert.True((int)r["objectsRebuilt"]! > 0 && (int)r["objectsOmitted"]! == 0, x.Stdout);
        string exported = Path.Combine(t["stratum"], "testmigration.cern.ch");
        foreach (string f in Directory.GetFiles(exported, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(exported, f);
            Assert.True(File.ReadAllBytes(Path.Combine(repo, relative)).AsSpan().SequenceEqual(File.ReadAllBytes(f)), relative);
        }

        CliResult again = CliRunner.Run("export", "cvmfs-env", "--cvmfs-stratum", t["stratum"], "--archive", t["a"]);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already exists", again.Stderr);
    }
}
