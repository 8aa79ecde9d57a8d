using System.Text.Json.Nodes;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>
/// The archive in fixtures/format1 was written by the first release of format 1 and is never rewritten:
/// every later version of the software must read it exactly (docs/ARCHITECTURE.md, house rules: frozen fixtures, read forever).
/// </summary>
public class FrozenFixtureTests
{
    private static string Fixture() => Path.Combine(CliRunner.RepoRoot, "fixtures", "format1");

    [Fact]
    public void Format1Fixture_ListsShowsAndListsItsTreeAsWhenItWasWritten()
    {
        using var t = new TempDir();
        CliRunner.Sh($"cp -a '{Fixture()}/archive' '{t["a"]}'");
        JsonNode list = JsonNode.Parse(CliRunner.Run("list", "--json", "--archive", t["a"]).Stdout)!;
        Assert.Equal([1, 2], list["versions"]!.AsArray().Select(v => (int)v!["version"]!).ToArray());

        CliResult show = CliRunner.Run("show", "fixture@v2", "--json", "--archive", t["a"]);
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Equal(1, (int)JsonNode.Parse(show.Stdout)!["manifest"]!["previous"]!["version"]!);

        string expected = File.ReadAllText(Path.Combine(Fixture(), "archive.v1.expected.json"));
        string actual = CliRunner.Run("ls", "fixture@v1", "/", "-R", "--json", "--archive", t["a"]).Stdout;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), actual);
    }

    [Fact]
    public void Format1Fixture_RestoresEveryPropertyItHolds()
    {
        using var t = new TempDir();
        CliRunner.Sh($"cp -a '{Fixture()}/archive' '{t["a"]}'");
        CliResult r = CliRunner.Run("restore", "fixture@v1", "--to", t["out"], "--archive", t["a"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        string o = t["out"];
        string stat(string p) => CliRunner.Sh($"stat -c '%F|%a|%u:%g|%y|%s|%h' '{o}/{p}'").Trim();
        Assert.Equal("regular file|4755|1042:1042|1999-12-31 23:59:59.123456789 +0000|186690|2", stat("data/events.txt"));
        Assert.Equal("regular empty file|644|1042:1042|1969-07-20 20:17:40.000000000 +0000|0|1", stat("data/empty"));
        Assert.Equal("fifo|644|1042:1042|1999-12-31 23:59:59.123456789 +0000|0|1", stat("data/fifo"));
        Assert.Equal("directory|1777|0:0|1999-12-31 23:59:59.123456789 +0000|4096|2", stat("empty-dir"));
        Assert.Equal("../etc/redhat-release", CliRunner.Sh($"readlink '{o}/data/release-link'").Trim());
        Assert.Equal("latin-1 name\n", CliRunner.Sh($"cat '{o}'/data/caf$(printf '\\351')"));
        Assert.Equal(CliRunner.Sh($"stat -c %i '{o}/data/events.txt'"), CliRunner.Sh($"stat -c %i '{o}/data/sub/events-hardlink.txt'"));
        Assert.Equal("ALEPH", CliRunner.Sh($"getfattr --only-values -n user.origin '{o}/data/events.txt'"));
        Assert.Equal("1048576", CliRunner.Sh($"stat -c %s '{o}/data/sparse'").Trim());
        Assert.True(long.Parse(CliRunner.Sh($"stat -c %b '{o}/data/sparse'").Trim()) * 512 < 64 * 1024, "the sparse file lost its hole");
        Assert.Equal(
            CliRunner.Sh("awk 'BEGIN { for (i = 0; i < 20000; i++) printf \"%d %d\\n\", i, (i * 7919) % 1000 }' | sha256sum"),
            CliRunner.Sh($"sha256sum < '{o}/data/events.txt'"));
    }
}
