using System.Globalization;
using CernVM.Preserve.Cli.Tests;
using Xunit;

namespace CernVM.Preserve.Audit.Tests;

/// <summary>Sampled audits rotate through the blob-id space, each recording what it covered (FORMAT.md §7.2).</summary>
public class SampleTests : IClassFixture<GoodArchive>
{
    private readonly GoodArchive _good;

    public SampleTests(GoodArchive good) => _good = good;

    [Fact]
    public async Task AuditSample_SuccessiveAudits_CoverTheWholeIdSpaceInTurnAndRecordIt()
    {
        using TempDir t = _good.Copy(out string archive);
        var ranges = new List<(string From, string To)>();
        for (int i = 0; i < 5; i++)
        {
            AuditReport r = await GoodArchive.AuditAsync(archive, new AuditOptions(Scope: FixityScope.Sample, SamplePercent: 30));
            Assert.Empty(r.Findings);
            ranges.Add((r.Coverage.From, r.Coverage.To));
        }

        Assert.Equal(
            [("00000000", "4ccccccd"), ("4ccccccd", "9999999a"), ("9999999a", "e6666667"), ("e6666667", "100000000"), ("00000000", "4ccccccd")],
            ranges);

        // What the journal holds is what the audits covered.
        JournalCheck journal;
        await using (var store = new Storage.FileSystemObjectStore(archive))
        {
            journal = await JournalVerifier.VerifyAsync(store, CancellationToken.None);
        }

        Assert.True(journal.ChainIntact);
        Assert.Equal(ranges, journal.Events.Where(e => e.Fixity is not null).Select(e => (e.Fixity!.From, e.Fixity.To)));
    }

    [Fact]
    public async Task AuditSample_OneRottenBlob_IsFoundByExactlyTheAuditWhoseShareHoldsIt()
    {
        using TempDir t = _good.Copy(out string archive);
        string blob = BadArchives.SomeContentBlob(archive);
        BadArchives.FlipByte(GoodArchive.BlobPath(archive, blob), 0.5);
        ulong position = ulong.Parse(blob[..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        int found = 0;
        for (int i = 0; i < 4; i++)
        {
            AuditReport r = await GoodArchive.AuditAsync(archive, new AuditOptions(Scope: FixityScope.Sample, SamplePercent: 30));
            ulong from = ulong.Parse(r.Coverage.From, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            ulong to = ulong.Parse(r.Coverage.To, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            bool holds = position >= from && position < to;
            Assert.Equal(holds, r.Findings.Any(f => f.Code.Code == "AUD041" && f.Subject.EndsWith(blob, StringComparison.Ordinal)));
            found += holds ? 1 : 0;
        }

        Assert.Equal(1, found);
    }
}
