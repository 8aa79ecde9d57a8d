using CernVM.Preserve.Cli.Tests;
using Xunit;

namespace CernVM.Preserve.Audit.Tests;

/// <summary>
/// Bit rot: one byte flipped in random blobs; a deep audit names exactly those blobs, with the capsule
/// versions and paths they hold (found independently, with zstd and sqlite3 as FORMAT.md §9 reads), and
/// nothing else.
/// </summary>
public class BitRotTests : IClassFixture<GoodArchive>
{
    private readonly GoodArchive _good;

    public BitRotTests(GoodArchive good) => _good = good;

    [Theory]
    [InlineData(1, AuditOptions.DefaultCatalogMemoryBudget)]
    [InlineData(2, AuditOptions.DefaultCatalogMemoryBudget)]
    [InlineData(3, AuditOptions.DefaultCatalogMemoryBudget)]
    [InlineData(4, 0L)]
    [InlineData(5, 0L)]
    public async Task AuditDeep_ByteFlippedInRandomBlobs_NamesExactlyThoseBlobsVersionsAndPaths(int seed, long catalogMemoryBudget)
    {
        using TempDir t = _good.Copy(out string archive);
        var random = new Random(seed);
        string[] versions = ["good@v1", "good@v2", "other@v1"];
        var catalogs = versions.ToDictionary(v => v, v => GoodArchive.CatalogOf(archive, v.Split('@')[0], int.Parse(v.Split("@v")[1])));

        // What each blob holds, per version, computed before the damage.
        var expected = new Dictionary<string, Dictionary<string, List<string>>>();
        string[] all = [.. Directory.GetFiles(Path.Combine(archive, "blobs"), "*", SearchOption.AllDirectories).Select(Path.GetFileName)!.Order(StringComparer.Ordinal)!];
        string[] content = [.. all.Where(b => !catalogs.ContainsValue(b))];
        string[] flipped = [.. content.OrderBy(_ => random.Next()).Take(1 + random.Next(3))];
        foreach (string blob in flipped)
        {
            expected[blob] = versions.ToDictionary(v => v, v => BadArchives.Query(archive, v.Split('@')[0], int.Parse(v.Split("@v")[1]),
                $"SELECT hex(path) FROM entries WHERE id IN (SELECT entry FROM extents WHERE blob = '{blob}') OR hardlink_to IN (SELECT entry FROM extents WHERE blob = '{blob}') ORDER BY id").Select(h => PathText.Of(Convert.FromHexString(h))).ToList());
            BadArchives.FlipByte(GoodArchive.BlobPath(archive, blob), random.NextDouble());
        }

        AuditReport report = await GoodArchive.AuditAsync(archive, new AuditOptions(Scope: FixityScope.Deep, CatalogMemoryBudget: catalogMemoryBudget));

        Assert.All(report.Findings, f => Assert.Equal("AUD041", f.Code.Code));
        Assert.Equal(flipped.Order(StringComparer.Ordinal), report.Findings.Select(f => Path.GetFileName(f.Subject)).Order(StringComparer.Ordinal));
        foreach (Finding f in report.Findings)
        {
            Dictionary<string, List<string>> holds = expected[Path.GetFileName(f.Subject)];
            Assert.Equal(holds.Where(kv => kv.Value.Count > 0).Select(kv => kv.Key), f.Affected.Select(a => a.ToString()));
            foreach (AffectedVersion a in f.Affected)
            {
                Assert.Equal(holds[a.ToString()], a.Paths);
            }
        }
    }

    [Fact]
    public async Task AuditDeep_FlippedCatalog_NamesTheCatalogAndItsVersionAndNoOrphans()
    {
        using TempDir t = _good.Copy(out string archive);
        string catalog = GoodArchive.CatalogOf(archive, "other", 1);
        BadArchives.FlipByte(GoodArchive.BlobPath(archive, catalog), 0.6);
        AuditReport report = await GoodArchive.AuditAsync(archive, new AuditOptions(Scope: FixityScope.Deep));
        Finding f = Assert.Single(report.Findings);
        Assert.Equal("AUD041", f.Code.Code);
        Assert.EndsWith(catalog, f.Subject);
        AffectedVersion a = Assert.Single(f.Affected);
        Assert.Equal("other@v1", a.ToString());
        Assert.Equal(["(tree catalog)"], a.Paths);
    }

    /// <summary>
    /// A file held in pieces whose first blob is missing: its own pass stops there, and its other blobs are still
    /// each decoded and checked, so a flipped byte in its last blob is found and named with the file.
    /// </summary>
    [Fact]
    public async Task AuditDeep_PiecedFileFirstBlobMissing_ItsOtherBlobsStillChecked()
    {
        using TempDir t = _good.Copy(out string archive);
        List<string> pieces = BadArchives.Query(archive, "good", 1,
            "SELECT blob FROM extents WHERE entry = (SELECT id FROM entries WHERE hex(path) = hex('big.bin')) ORDER BY offset");
        Assert.True(pieces.Count >= 3, $"big.bin is held in {pieces.Count} pieces");
        File.Delete(GoodArchive.BlobPath(archive, pieces[0]));
        BadArchives.FlipByte(GoodArchive.BlobPath(archive, pieces[^1]), 0.5);

        AuditReport report = await GoodArchive.AuditAsync(archive, new AuditOptions(Scope: FixityScope.Deep));

        Assert.Equal(
            [("AUD040", pieces[0]), ("AUD041", pieces[^1])],
            report.Findings.Select(f => (f.Code.Code, Path.GetFileName(f.Subject))).Order());
        Finding corrupt = report.Findings.Single(f => f.Code.Code == "AUD041");
        Assert.Equal(["good@v1", "good@v2", "other@v1"], corrupt.Affected.Select(a => a.ToString()));
        Assert.All(corrupt.Affected, a => Assert.Contains(a.Paths, p => p.EndsWith("big.bin", StringComparison.Ordinal)));
    }
}
