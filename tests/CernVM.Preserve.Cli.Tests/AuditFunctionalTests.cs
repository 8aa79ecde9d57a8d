using System.Text.Json.Nodes;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>
/// `audit --functional`: the audit replays each capsule's run entries through the real replay (QEMU under TCG, or the
/// container target) and reports AUD090 when the outputs do not reproduce the references, AUD091 when no verdict
/// could be reached.
/// </summary>
public class AuditFunctionalTests(ReplayArchive fixture) : IClassFixture<ReplayArchive>
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    [Fact]
    public void AuditFunctional_DemoCapsuleBootedOnTheCarrier_ReproducesItsReferencesAndSaysSoEverywhere()
    {
        string html = fixture.Dir["functional.html"];
        CliResult r = CliRunner.Run(Limit, null, "audit", "demo-aleph", "--functional", "--replay-to", fixture.Dir["kept"], "--report", html, "--json", "--archive", fixture.Archive);

        Assert.True(r.ExitCode == 0, r.ToString());
        JsonNode report = JsonNode.Parse(r.Stdout)!;
        JsonNode f = Assert.Single(report["functional"]!.AsArray())!;
        Assert.Equal("demo-aleph", (string)f["capsule"]!);
        Assert.Equal("match", (string)f["verdict"]!);
        Assert.Matches(@"^boot: QEMU \w+, carrier kernel on carrier-", (string)f["mode"]!);
        Assert.Empty(report["findings"]!.AsArray());

        // The replay's own evidence is kept where asked, and the replay wrote its own journal event.
        JsonNode replayReport = JsonNode.Parse(File.ReadAllText(fixture.Dir["kept/demo-aleph-v1/report.json"]))!;
        Assert.Equal("match", (string)replayReport["verdict"]!);
        List<JsonNode> journal = Journal();
        JsonNode audit = journal.Last(e => (string)e["eventType"]! == "fixity check");
        Assert.Contains("1 replayed (1 reproduce their references)", (string)audit["detail"]!);
        Assert.Contains(journal, e => (string)e["eventType"]! == "replay verification" && ((string)e["detail"]!).Contains("demo-aleph@v1", StringComparison.Ordinal));

        string page = File.ReadAllText(html);
        Assert.Contains("<h2>Functional fixity</h2>", page);
        Assert.Matches("<tr class=\"good\"><td>demo-aleph@v1</td><td>match</td>", page);
    }

    [Fact]
    public void AuditFunctional_ChangedReference_Exits3WithAUD090NamingTheOutput()
    {
        string env = fixture.Dir["env-audit-changed"];
        CliRunner.Sh($"cp -a '{fixture.Dir["env"]}' '{env}' && sed -i '3s/.*/changed on purpose/' '{env}/aleph/reference/histogram.txt'");
        string spec = File.ReadAllText(fixture.Spec("audit-changed.yaml", env)).Replace("name: demo-aleph", "name: audit-changed");
        File.WriteAllText(fixture.Dir["audit-changed.yaml"], spec);
        ReplayArchive.Require(CliRunner.Run("snapshot", fixture.Dir["audit-changed.yaml"], "--archive", fixture.Archive));

        CliResult r = CliRunner.Run(Limit, null, "audit", "audit-changed", "--functional", "--functional-target", "container", "--archive", fixture.Archive);

        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Matches(@"functional\s+audit-changed@v1: differ \(container: unshare on the host kernel[^)]*\): alpha-histogram /tmp/alpha-out/histogram.txt: differ, line 3", r.Stdout);
        Assert.Matches(@"error\s+AUD090 audit-changed@v1: replayed \(container", r.Stdout);
        Assert.Contains("audit-changed@v1: alpha-histogram:/tmp/alpha-out/histogram.txt", r.Stdout);
        Assert.DoesNotContain("alpha.log", r.Stdout); // the numeric output still matches
    }

    [Fact]
    public void AuditFunctional_NoCarrierInTheArchive_AUD091SayingWhatToImport()
    {
        using var t = new TempDir();
        ReplayArchive.Require(CliRunner.Run("init", t["a"]));
        ReplayArchive.Require(CliRunner.Run("snapshot", fixture.Spec("no-carrier.yaml", fixture.Dir["env"]), "--archive", t["a"]));

        CliResult r = CliRunner.Run(Limit, null, "audit", "--functional", "--archive", t["a"]);

        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Matches(@"error\s+AUD091 demo-aleph@v1: the replay reached no verdict: .*carrier import", r.Stdout);
        Assert.Contains(Directory.EnumerateFiles(t["a/journal"], "*.json", SearchOption.AllDirectories), f => File.ReadAllText(f).Contains("\"fixity check\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Audit_FunctionalOptionsWithoutFunctional_Exits2()
    {
        CliResult r = CliRunner.Run("audit", "--replay-to", fixture.Dir["x"], "--archive", fixture.Archive);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--functional-target and --replay-to go with --functional", r.Stderr);
        CliResult bad = CliRunner.Run("audit", "--functional", "--functional-target", "cloud", "--archive", fixture.Archive);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--functional-target cloud: use boot or container", bad.Stderr);
    }

    private List<JsonNode> Journal() =>
        Directory.EnumerateFiles(Path.Combine(fixture.Archive, "journal"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => JsonNode.Parse(File.ReadAllText(f))!).ToList();
}
