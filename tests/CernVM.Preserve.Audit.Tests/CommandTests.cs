using System.Text.Json.Nodes;
using CernVM.Preserve.Cli.Tests;
using Xunit;

namespace CernVM.Preserve.Audit.Tests;

/// <summary>The audit and journal commands as an officer runs them: exit codes, output, the journal they leave.</summary>
public class CommandTests : IClassFixture<GoodArchive>
{
    private readonly GoodArchive _good;

    public CommandTests(GoodArchive good) => _good = good;

    [Fact]
    public void Audit_GoodArchive_Exits0AndRecordsAFixityEventLinkedToTheNewest()
    {
        using TempDir t = _good.Copy(out string archive);
        string before = GoodArchive.Events(archive)[^1];
        CliResult r = CliRunner.Run("audit", "--deep", "--json", "--archive", archive);
        Assert.True(r.ExitCode == 0, r.ToString());
        JsonNode json = JsonNode.Parse(r.Stdout)!;
        Assert.Equal("success", (string)json["outcome"]!);
        Assert.Empty(json["findings"]!.AsArray());
        string eventFile = Path.Combine(archive, (string)json["event"]!);
        JsonNode e = JsonNode.Parse(File.ReadAllText(eventFile))!;
        Assert.Equal("fixity check", (string)e["eventType"]!);
        Assert.Equal(before[(archive.Length + 1)..], (string)e["previousEvent"]!["key"]!);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(before))), (string)e["previousEvent"]!["sha256"]!);
        Assert.Equal("deep", (string)e["fixity"]!["scope"]!);
        Assert.Equal(3, e["objects"]!.AsArray().Count);
    }

    [Fact]
    public void Audit_CorruptBlob_Exits3NamingBlobVersionsAndPaths()
    {
        using TempDir t = _good.Copy(out string archive);
        string blob = BadArchives.SomeContentBlob(archive);
        BadArchives.FlipByte(GoodArchive.BlobPath(archive, blob), 0.3);
        CliResult r = CliRunner.Run("audit", "--deep", "--archive", archive);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains($"AUD041 blobs/sha256/{blob[..2]}/{blob} is corrupt", r.Stdout);
        Assert.Contains("good@v1: /big.bin", r.Stdout);
        Assert.Contains("good@v2: /big.bin", r.Stdout);
        Assert.Contains("other@v1: /big.bin", r.Stdout);
    }

    [Fact]
    public void Audit_OneVersion_AuditsOnlyThatVersion()
    {
        using TempDir t = _good.Copy(out string archive);
        CliResult r = CliRunner.Run("audit", "good@v2", "--deep", "--json", "--archive", archive);
        Assert.True(r.ExitCode == 0, r.ToString());
        JsonNode json = JsonNode.Parse(r.Stdout)!;
        Assert.Equal("good", (string)Assert.Single(json["versions"]!.AsArray())!["capsule"]!);
        Assert.Empty(json["findings"]!.AsArray());
    }

    [Theory]
    [InlineData("--deep", "--sample", "10")]
    [InlineData("--sample", "0")]
    [InlineData("--sample", "101")]
    [InlineData("--trust", "/nonexistent/key.pub")]
    public void Audit_BadArguments_Exits2(params string[] args)
    {
        using TempDir t = _good.Copy(out string archive);
        CliResult r = CliRunner.Run(["audit", .. args, "--archive", archive]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Equal(GoodArchive.Events(_good.Archive).Count, GoodArchive.Events(archive).Count);
    }

    [Fact]
    public void Audit_TrustFileThatIsNoKey_Exits2NamingTheFile()
    {
        using TempDir t = _good.Copy(out string archive);
        File.WriteAllText(t["not-a-key.pub"], "hello\n");
        CliResult r = CliRunner.Run("audit", "--trust", t["not-a-key.pub"], "--archive", archive);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("not-a-key.pub: not an Ed25519 public key", r.Stderr);
    }

    [Fact]
    public void Audit_NotAnArchive_Exits4()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["empty"]);
        CliResult r = CliRunner.Run("audit", "--archive", t["empty"]);
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("not a CernVM.Preserve archive", r.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(t["empty"]));
    }

    [Fact]
    public void Journal_IntactChain_ListsEveryEventAndExits0()
    {
        using TempDir t = _good.Copy(out string archive);
        CliResult r = CliRunner.Run("journal", "--json", "--archive", archive);
        Assert.True(r.ExitCode == 0, r.ToString());
        JsonNode json = JsonNode.Parse(r.Stdout)!;
        Assert.True((bool)json["chainIntact"]!);
        JsonArray events = json["events"]!.AsArray();
        Assert.Equal(3, events.Count);
        Assert.Null(events[0]!["previousEvent"]);
        Assert.Equal((string)events[0]!["key"]!, (string)events[1]!["previousEvent"]!["key"]!);
        Assert.Equal((string)events[0]!["sha256"]!, (string)events[1]!["previousEvent"]!["sha256"]!);
        Assert.Equal((string)events[2]!["key"]!, (string)json["head"]!["key"]!);
    }

    [Theory]
    [InlineData("AUD081")]
    [InlineData("AUD082")]
    public void Journal_RemovedOrEditedEvent_Exits3NamingIt(string code)
    {
        using TempDir t = _good.Copy(out string archive);
        BadArchives.Local[code].Damage(_good, archive);
        CliResult r = CliRunner.Run("journal", "--archive", archive);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains($"error   {code}", r.Stdout);
        Assert.Contains("chain BROKEN", r.Stdout);
        CliResult audit = CliRunner.Run("audit", "--archive", archive);
        Assert.Equal(3, audit.ExitCode);
        Assert.Contains(code, audit.Stdout);
    }

    [Fact]
    public void Journal_Fork_IsAWarningAndExits0()
    {
        using TempDir t = _good.Copy(out string archive);
        BadArchives.Local["AUD083"].Damage(_good, archive);
        CliResult r = CliRunner.Run("journal", "--archive", archive);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("warning AUD083", r.Stdout);
    }

    [Fact]
    public void AuditDeep_FrozenFormat1Fixture_FindsNoErrorAndItsUnchainedJournalIsIntact()
    {
        // Archives written before the journal's hash chain (FORMAT.md §7.1) audit clean; the chain starts at the next event.
        using var t = new TempDir();
        CliRunner.Sh($"cp -a '{Path.Combine(CliRunner.RepoRoot, "fixtures", "format1", "archive")}' '{t["a"]}'");
        CliResult r = CliRunner.Run("audit", "--deep", "--json", "--archive", t["a"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        JsonNode json = JsonNode.Parse(r.Stdout)!;
        Assert.Empty(json["findings"]!.AsArray());
        Assert.Equal(2, json["versions"]!.AsArray().Count);
        CliResult journal = CliRunner.Run("journal", "--json", "--archive", t["a"]);
        Assert.True(journal.ExitCode == 0, journal.ToString());
        JsonArray events = JsonNode.Parse(journal.Stdout)!["events"]!.AsArray();
        Assert.Equal(3, events.Count);
        Assert.Null(events[1]!["previousEvent"]);
        Assert.Equal((string)events[1]!["key"]!, (string)events[2]!["previousEvent"]!["key"]!);
    }
}
