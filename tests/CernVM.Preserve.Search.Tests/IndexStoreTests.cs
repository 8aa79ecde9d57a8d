using CernVM.Preserve.Cli.Tests;
using Lucene.Net.Index;
using Xunit;

namespace CernVM.Preserve.Search.Tests;

/// <summary>
/// The index store in-process: paths kept once per distinct directory listing and still asked as paths of
/// versions; updates of one version merged rather than piling up; segments verified once each.
/// </summary>
public sealed class IndexStoreTests
{
    private static VersionContent Version(string capsule, int version, params string[] paths) => new(
        new VersionFacts { Capsule = capsule, Version = version, ManifestSha256 = new string('0', 63) + version, Title = $"{capsule} {version}" },
        [],
        [.. paths.Order(StringComparer.Ordinal)]);

    private static readonly string[] Base = ["/usr", "/usr/bin", "/usr/bin/perl", "/usr/bin/python", "/etc", "/etc/os-release", "/data"];

    private static void Put(string dir, params VersionContent[] versions)
    {
        using IndexStore store = IndexStore.Open(dir, "test", "test", fresh: false, TimeSpan.FromSeconds(10));
        store.Begin();
        foreach (VersionContent v in versions)
        {
            store.Put(v, []);
        }

        store.Commit(null);
        store.End();
    }

    private static SearchResult Find(string dir, SearchRequest request)
    {
        using IndexStore store = IndexStore.Open(dir, "test", "test", fresh: false, TimeSpan.FromSeconds(10));
        Assert.Null(store.RebuiltBecause);
        using DirectoryReader reader = store.OpenReader();
        return Searcher.Search(reader, store.Registry, request);
    }

    private static string[] Keys(SearchResult r) => [.. r.Hits.Select(h => h.Key).Order(StringComparer.Ordinal)];

    [Fact]
    public void Listings_SharedDirectoriesAreKeptOnce_AndPathsAnswerPerVersion()
    {
        using var t = new TempDir();
        string dir = t["index"];
        Put(dir,
            Version("alpha", 1, [.. Base, "/data/run1.dat"]),
            Version("alpha", 2, [.. Base, "/data/run1.dat", "/data/run2.dat"]),
            Version("beta", 1, [.. Base, "/data/Run1.dat"]));

        using (IndexStore store = IndexStore.Open(dir, "test", "test", fresh: false, TimeSpan.FromSeconds(10)))
        {
            // "/", /usr, /usr/bin and /etc are the same in all three; /data differs in each.
            Assert.Equal(4 + 3, store.Registry.Listings());
        }

        Assert.Equal(["alpha@v1", "alpha@v2", "beta@v1"], Keys(Find(dir, new SearchRequest { Files = ["/usr/bin/perl"], AllVersions = true })));
        Assert.Equal(["alpha@v2"], Keys(Find(dir, new SearchRequest { Files = ["/data/run2.dat"], AllVersions = true })));
        Assert.Equal(["alpha@v1", "alpha@v2"], Keys(Find(dir, new SearchRequest { Files = ["/data/run1.dat"], AllVersions = true })));
        Assert.Equal(["beta@v1"], Keys(Find(dir, new SearchRequest { Files = ["/data/R*"], AllVersions = true })));
        Assert.Equal(["alpha@v1", "beta@v1"], Keys(Find(dir, new SearchRequest { Query = "NOT path:\"/data/run2.dat\"", AllVersions = true })));
        Assert.Equal(["alpha@v2", "beta@v1"], Keys(Find(dir, new SearchRequest { Query = "path:\"/data/run2.dat\" OR title:beta", AllVersions = true })));
        Assert.Equal(["alpha@v1", "alpha@v2", "beta@v1"], Keys(Find(dir, new SearchRequest { Query = "path.segment:run1.dat", AllVersions = true })));
        Assert.Empty(Find(dir, new SearchRequest { Files = ["/nowhere"], AllVersions = true }).Hits);

        // Latest versions only, by default; the count of versions searched ignores the listing documents.
        SearchResult latest = Find(dir, new SearchRequest { Files = ["/usr/bin/p*"] });
        Assert.Equal(["alpha@v2", "beta@v1"], Keys(latest));
        Assert.Equal(2, latest.VersionsSearched);
        Assert.Equal(3, Find(dir, new SearchRequest { AllVersions = true }).VersionsSearched);

        // Each hit names the paths it holds, through its listings.
        SearchHit hit = Find(dir, new SearchRequest { Files = ["/data/run*.dat"], AllVersions = true }).Hits.Single(h => h.Key == "alpha@v2");
        Assert.Equal(
            [new MatchReason("path", "/data/run1.dat"), new MatchReason("path", "/data/run2.dat")],
            hit.Reasons.Where(r => r.Field == "path").OrderBy(r => r.Value, StringComparer.Ordinal));
    }

    [Fact]
    public void Listings_AVersionReplacedOrRemoved_StillAnswersRight_AndTheCheckCountsListings()
    {
        using var t = new TempDir();
        string dir = t["index"];
        Put(dir, Version("alpha", 1, [.. Base, "/data/old.dat"]));
        Put(dir, Version("alpha", 1, [.. Base, "/data/new.dat"]));
        Assert.Empty(Find(dir, new SearchRequest { Files = ["/data/old.dat"], AllVersions = true }).Hits);
        Assert.Equal(["alpha@v1"], Keys(Find(dir, new SearchRequest { Files = ["/data/new.dat"], AllVersions = true })));

        using (IndexStore store = IndexStore.Open(dir, "test", "test", fresh: false, TimeSpan.FromSeconds(10)))
        {
            store.Begin();
            store.Delete("alpha", 1);
            store.Commit(null);
            store.End();
        }

        Assert.Empty(Find(dir, new SearchRequest { Files = ["/usr/bin/perl"], AllVersions = true }).Hits);
        Assert.Null(IndexStore.Check(dir, "test"));
    }

    [Fact]
    public void UpdatesOfOneVersion_AreMerged_NotLeftAsOneSegmentEach()
    {
        using var t = new TempDir();
        string dir = t["index"];
        for (int v = 1; v <= 30; v++)
        {
            Put(dir, Version("alpha", v, [.. Base, $"/data/run{v}.dat"]));
        }

        using DirectoryReader reader = DirectoryReader.Open(Lucene.Net.Store.FSDirectory.Open(Path.Combine(dir, "lucene")));
        Assert.True(reader.Leaves.Count <= 12, $"{reader.Leaves.Count} segments after 30 updates of one version each");
        Assert.Equal(30, Find(dir, new SearchRequest { Files = ["/usr/bin/perl"], AllVersions = true }).Total);
    }

    [Fact]
    public void Compact_LeavesOneSegment_TheSameAnswers_AndATrustedIndex()
    {
        using var t = new TempDir();
        string dir = t["index"];
        for (int v = 1; v <= 6; v++)
        {
            Put(dir, Version("alpha", v, [.. Base, $"/data/run{v}.dat"]));
        }

        string before = string.Join(' ', Keys(Find(dir, new SearchRequest { Files = ["/data/run1*", "/usr/bin/perl"], AllVersions = true })));
        using (IndexStore store = IndexStore.Open(dir, "test", "test", fresh: false, TimeSpan.FromSeconds(10)))
        {
            store.Begin();
            store.Compact();
            store.End();
        }

        using (DirectoryReader reader = DirectoryReader.Open(Lucene.Net.Store.FSDirectory.Open(Path.Combine(dir, "lucene"))))
        {
            Assert.Single(reader.Leaves);
        }

        Assert.Equal("alpha@v1", before); // only the first version holds run1
        Assert.Null(IndexStore.Check(dir, "test"));
        Assert.Equal(before, string.Join(' ', Keys(Find(dir, new SearchRequest { Files = ["/data/run1*", "/usr/bin/perl"], AllVersions = true }))));
        Assert.Equal(6, Find(dir, new SearchRequest { Files = ["/usr/bin/perl"], AllVersions = true }).Total);
    }

    [Fact]
    public void Check_ReadsEachNewSegmentOnce_AndFindsDamageInOneNotReadYet()
    {
        using var t = new TempDir();
        string dir = t["index"];
        Put(dir, Version("alpha", 1, [.. Base]));
        Assert.Null(IndexStore.Check(dir, "test"));
        string[] stamp = File.ReadAllLines(Path.Combine(dir, "verified"));
        Assert.True(stamp.Length >= 2, "the stamp names the time of the full check and the segments read");

        // A new segment, damaged before any open has read it: found by the next check.
        Put(dir, Version("alpha", 2, [.. Base, "/data/x"]));
        string lucene = Path.Combine(dir, "lucene");
        HashSet<string> verified = [.. stamp.Skip(1).Select(l => l.Split(' ')[0])];
        string fresh = Directory.GetFiles(lucene, "*.cfs").Single(f => !verified.Contains(Path.GetFileNameWithoutExtension(f)));
        byte[] bytes = File.ReadAllBytes(fresh);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(fresh, bytes);
        Assert.NotNull(IndexStore.Check(dir, "test"));
    }

    [Fact]
    public void Rebuild_RecordsItsOwnSegmentsVerified_SoTheNextCheckReadsNone_ButAnUpdatesSegmentIsStillRead()
    {
        using var t = new TempDir();
        string dir = t["index"];
        Put(dir, Version("alpha", 1, [.. Base]));
        using (IndexStore store = IndexStore.Open(dir, "test", "test", fresh: true, TimeSpan.FromSeconds(10)))
        {
            store.Begin();
            store.Put(Version("alpha", 1, [.. Base]), []);
            store.Put(Version("alpha", 2, [.. Base, "/data/x"]), []);
            store.Commit(null);
            store.End();
        }

        // The stamp names every segment the rebuild committed; the next check finds nothing new and writes nothing.
        string stamp = Path.Combine(dir, "verified");
        string[] lines = File.ReadAllLines(stamp);
        HashSet<string> stamped = [.. lines.Skip(1).Select(l => l.Split(' ')[0])];
        string lucene = Path.Combine(dir, "lucene");
        Assert.Equal(Directory.GetFiles(lucene, "*.si").Select(f => Path.GetFileNameWithoutExtension(f)!).ToHashSet(), stamped);
        Assert.True(DateTime.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind) > DateTime.UtcNow.AddMinutes(-5));
        var written = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(stamp, written);
        Assert.Null(IndexStore.Check(dir, "test"));
        Assert.Equal(written, File.GetLastWriteTimeUtc(stamp));

        // A later update's segment is not the rebuild's: damaged before any open read it, the next check finds it.
        Put(dir, Version("alpha", 3, [.. Base, "/data/y"]));
        string added = Directory.GetFiles(lucene, "*.cfs").Single(f => !stamped.Contains(Path.GetFileNameWithoutExtension(f)));
        byte[] bytes = File.ReadAllBytes(added);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(added, bytes);
        Assert.NotNull(IndexStore.Check(dir, "test"));
    }

    [Fact]
    public void Check_NothingNewSinceTheStamp_WritesNothing()
    {
        // A search is a read: once every segment is in the stamp, opening the index leaves the cache as it was.
        using var t = new TempDir();
        string dir = t["index"];
        Put(dir, Version("alpha", 1, [.. Base]));
        Assert.Null(IndexStore.Check(dir, "test"));
        string stamp = Path.Combine(dir, "verified");
        string before = File.ReadAllText(stamp);
        var written = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(stamp, written);

        Assert.Null(IndexStore.Check(dir, "test"));

        Assert.Equal(written, File.GetLastWriteTimeUtc(stamp));
        Assert.Equal(before, File.ReadAllText(stamp));
    }
}
