using System.Text.Json.Nodes;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>`show NAME --packages`: the installed-package list a capsule keeps as a blob (FORMAT.md §5.3 os.packages).</summary>
public class ShowPackagesTests
{
    [Fact]
    public void Show_Packages_ListsWhatRpmListsWithVersionAndArchitecture()
    {
        using var t = new TempDir();
        CliRunner.Sh($"'{CliRunner.RepoRoot}/tools/make-demo-env.sh' '{t["env"]}'");
        File.WriteAllText(t["spec.yaml"], $"name: pkgs\nos:\n  rootfs: {t["env"]}\n");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult s = CliRunner.Run("snapshot", t["spec.yaml"], "--archive", t["a"]);
        Assert.True(s.ExitCode == 0, s.ToString());

        // What rpm itself lists from the same database: name, [epoch:]version-release, arch.
        string[] expected = CliRunner.Sh($"rpm --root '{t["env"]}' --dbpath /var/lib/rpm -qa --qf '%{{NAME}} %|EPOCH?{{%{{EPOCH}}:}}:{{}}|%{{VERSION}}-%{{RELEASE}} %{{ARCH}}\\n' | sort")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, expected.Length);
        Assert.Contains("alpha-demo 2:11.6-1 x86_64", expected);

        CliResult text = CliRunner.Run("show", "pkgs@v1", "--packages", "--archive", t["a"]);
        Assert.True(text.ExitCode == 0, text.ToString());
        string[] lines = text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "VERSION", "ARCH"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        string[] rows = lines.Skip(1).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, rows);

        JsonNode json = JsonNode.Parse(CliRunner.Run("show", "pkgs", "--packages", "--json", "--archive", t["a"]).Stdout)!;
        Assert.Equal("rpm-sqlite", (string)json["format"]!);
        Assert.Equal("/var/lib/rpm/rpmdb.sqlite", (string)json["database"]!);
        JsonArray packages = json["packages"]!.AsArray();
        Assert.Equal(3, packages.Count);
        JsonNode alpha = packages.Single(p => (string)p!["name"]! == "alpha-demo")!;
        Assert.Equal(2, (int)alpha["epoch"]!);
        Assert.Equal("11.6", (string)alpha["version"]!);
        Assert.Equal("1", (string)alpha["release"]!);
        Assert.Equal("x86_64", (string)alpha["arch"]!);
        Assert.True((long)alpha["size"]! > 0);
    }

    [Fact]
    public void Show_PackagesOfACapsuleWithoutPackageDatabase_Exit5NamingTheVersion()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["tree/etc"]);
        File.WriteAllText(t["tree/etc/motd"], "no packages here\n");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "bare", "--archive", t["a"]).ExitCode);

        CliResult r = CliRunner.Run("show", "bare", "--packages", "--archive", t["a"]);
        Assert.Equal(5, r.ExitCode);
        Assert.Contains("bare@v1", r.Stderr);
        Assert.Contains("no package list", r.Stderr);
        Assert.Equal("", r.Stdout);
    }
}
