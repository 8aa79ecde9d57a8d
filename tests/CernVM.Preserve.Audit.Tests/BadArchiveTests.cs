using System.Text.RegularExpressions;
using CernVM.Preserve.Cli.Tests;
using Xunit;

namespace CernVM.Preserve.Audit.Tests;

/// <summary>Every finding code has a damaged archive that yields it; the good archive yields none.</summary>
public class BadArchiveTests : IClassFixture<GoodArchive>
{
    private readonly GoodArchive _good;

    public BadArchiveTests(GoodArchive good) => _good = good;

    /// <summary>Every code, with its catalogs read in memory (the default) and from files (beyond the audit's memory budget).</summary>
    public static TheoryData<string, bool> LocalCodes()
    {
        var data = new TheoryData<string, bool>();
        foreach (string code in BadArchives.Local.Keys.Order(StringComparer.Ordinal))
        {
            data.Add(code, false);
            data.Add(code, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LocalCodes))]
    public async Task Audit_BadArchiveFixture_YieldsItsCode(string code, bool catalogsInFiles)
    {
        BadArchives.BadArchive bad = BadArchives.Local[code];
        using TempDir t = _good.Copy(out string archive);
        bad.Damage(_good, archive);
        AuditOptions options = bad.Options(_good);
        AuditReport report = await GoodArchive.AuditAsync(archive, catalogsInFiles ? options with { CatalogMemoryBudget = 0 } : options);
        Assert.True(report.Findings.Any(f => f.Code.Code == code), $"{code} expected; found: {string.Join("; ", report.Findings.Select(f => f.Code + " " + f.Message))}");
        FindingCode expected = FindingCodes.All.Single(c => c.Code == code);
        Assert.Equal(expected.Severity == FindingSeverity.Error, report.Errors > 0);
    }

    [Fact]
    public void FindingCodes_EveryDocumentedCode_HasAFixtureAndIsKnown()
    {
        string format = File.ReadAllText(Path.Combine(CliRunner.RepoRoot, "docs", "FORMAT.md"));
        string cli = File.ReadAllText(Path.Combine(CliRunner.RepoRoot, "docs", "CLI.md"));
        string[] documented = [.. Regex.Matches(format, @"`(AUD\d{3})`").Select(m => m.Groups[1].Value).Distinct().Order(StringComparer.Ordinal)];
        string[] inCli = [.. Regex.Matches(cli, @"`(AUD\d{3})`").Select(m => m.Groups[1].Value).Distinct().Order(StringComparer.Ordinal)];
        string[] known = [.. FindingCodes.All.Select(c => c.Code).Order(StringComparer.Ordinal)];
        string[] withFixture = [.. BadArchives.Local.Keys.Concat(BadArchives.OnS3).Order(StringComparer.Ordinal)];
        Assert.Equal(30, known.Length);
        Assert.Equal(known, documented);
        Assert.Equal(known, inCli);
        // The functional codes come from replays, tested through the CLI (AuditFunctionalTests), not from a bad archive.
        Assert.Equal(known.Except(FindingCodes.Functional.Select(c => c.Code)), withFixture);
        foreach (FindingCode c in FindingCodes.All)
        {
            Assert.Contains($"| `{c.Code}` | {(c.Severity == FindingSeverity.Error ? "error" : "warning")} |", format);
        }
    }

    /// <summary>Catalogs read in memory (the default budget), from files (none), and some of each (one catalog's bytes).</summary>
    [Theory]
    [InlineData(AuditOptions.DefaultCatalogMemoryBudget)]
    [InlineData(0L)]
    [InlineData(-1L)]
    public async Task Audit_GoodArchiveDeep_YieldsNoFindingAndChecksEveryBlobAndFile(long budget)
    {
        using TempDir t = _good.Copy(out string archive);
        if (budget < 0)
        {
            // Exactly the first catalog's decoded bytes: it is read in memory, the two after it from files.
            budget = long.Parse(BadArchives.Query(archive, "good", 1, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")[0]);
        }

        AuditReport report = await GoodArchive.AuditAsync(archive, new AuditOptions(Scope: FixityScope.Deep, CatalogMemoryBudget: budget));
        Assert.Empty(report.Findings);
        Assert.Equal(["good@v1", "good@v2", "other@v1"], report.Versions.Select(v => $"{v.Capsule}@v{v.Version}"));
        Assert.Equal(report.BlobsPresent, report.BlobsNamed);
        Assert.Equal(report.BlobsPresent, report.Coverage.BlobsChecked);
        long files = BadArchives.Query(archive, "good", 1, "SELECT count(*) FROM entries WHERE kind = 'file' AND hardlink_to IS NULL")
            .Concat(BadArchives.Query(archive, "good", 2, "SELECT count(*) FROM entries WHERE kind = 'file' AND hardlink_to IS NULL"))
            .Concat(BadArchives.Query(archive, "other", 1, "SELECT count(*) FROM entries WHERE kind = 'file' AND hardlink_to IS NULL")).Sum(long.Parse);
        Assert.Equal(files, report.FilesChecked);
        Assert.True(report.Journal.ChainIntact);
    }

    [Fact]
    public async Task Audit_GoodArchiveTrustingTheCurator_YieldsOnlyTheUnsignedVersion()
    {
        using TempDir t = _good.Copy(out string archive);
        AuditReport report = await GoodArchive.AuditAsync(archive, new AuditOptions(TrustedKeyIds: new HashSet<string> { GoodArchive.KeyId(_good.Key + ".pub") }));
        Finding f = Assert.Single(report.Findings);
        Assert.Equal("AUD022", f.Code.Code);
        Assert.Equal("good@v2", Assert.Single(f.Affected).ToString());
    }

    [Fact]
    public async Task Audit_MissingSharedBlob_NamesEveryVersionAndPathItAffects()
    {
        using TempDir t = _good.Copy(out string archive);
        BadArchives.Local["AUD040"].Damage(_good, archive);
        AuditReport report = await GoodArchive.AuditAsync(archive, new AuditOptions(Scope: FixityScope.Deep));
        Finding f = Assert.Single(report.Findings, f => f.IsError);
        Assert.Equal("AUD040", f.Code.Code);
        Assert.Equal(["good@v1", "good@v2", "other@v1"], f.Affected.Select(a => a.ToString()));
        Assert.All(f.Affected, a => Assert.Equal(["/big.bin"], a.Paths));
    }

    [Fact]
    public async Task Audit_EditedCatalogContent_NamesTheFileOfThatVersionOnly()
    {
        using TempDir t = _good.Copy(out string archive);
        BadArchives.Local["AUD042"].Damage(_good, archive);
        AuditReport report = await GoodArchive.AuditAsync(archive, new AuditOptions(Scope: FixityScope.Deep));
        Finding f = Assert.Single(report.Findings, f => f.IsError);
        Assert.Equal("AUD042", f.Code.Code);
        AffectedVersion a = Assert.Single(f.Affected);
        Assert.Equal("good@v2", a.ToString());
        Assert.Equal(["/small/f5.txt"], a.Paths);
    }
}
