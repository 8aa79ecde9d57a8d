using System.Text.Json.Nodes;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>`cvmpreserve snapshot SPEC`: the demo environment of tools/make-demo-env.sh as a curator captures it.</summary>
public class SpecSnapshotTests
{
    private static string Repo()
    {
        string? d = AppContext.BaseDirectory;
        while (d is not null && !File.Exists(Path.Combine(d, "CernVM.Preserve.sln")))
        {
            d = Path.GetDirectoryName(d);
        }

        return d ?? throw new InvalidOperationException("repository root not found");
    }

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
