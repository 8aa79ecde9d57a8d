using System.Text.Json.Nodes;
using CernVM.Preserve.Cli.Tests;
using CernVM.Preserve.Storage;
using Microsoft.Data.Sqlite;
using Xunit;

namespace CernVM.Preserve.Search.Tests;

/// <summary>
/// The index follows the archive by itself (versions committed by another process), is rebuilt with the same
/// answers, and is never trusted when damaged, foreign, or half-updated; the CLI's search and index commands.
/// </summary>
public sealed class IndexLifecycleTests
{
    private static Dictionary<string, string> CacheEnv(string cache) => new() { ["XDG_CACHE_HOME"] = cache };

    private static CliResult Cvm(string cache, params string[] args) => CliRunner.Run(TimeSpan.FromMinutes(3), CacheEnv(cache), args);

    private static string NewArchive(TempDir t)
    {
        CapsuleArchive.Run("init", t["a"]);
        CapsuleArchive.Run("snapshot", "--rootfs", Trees.Make(t["alpha-tree"], "alpha", true), "--name", "alpha", "--title", "first", "--archive", t["a"]);
        return t["a"];
    }

    [Fact]
    public async Task SnapshotByAnotherProcess_IsTakenInByTheNextSearch_AndOnlyIt()
    {
        using var t = new TempDir();
        string a = NewArchive(t);
        string cache = t["cache"];
        (SearchResult first, SyncResult sync1, _) = await InProcess.SearchAsync(a, cache, new SearchRequest());
        Assert.Equal(["alpha@v1"], first.Keys());
        Assert.Equal(1, sync1.Added);

        // Another process (the real cvmpreserve) commits two versions; the index has not seen them.
        CapsuleArchive.Run("snapshot", "--rootfs", Trees.Make(t["beta-tree"], "beta", false), "--name", "beta", "--archive", a);
        File.WriteAllText(t["alpha-tree/data/alpha/more.dat"], "more\n");
        CapsuleArchive.Run("snapshot", "--rootfs", t["alpha-tree"], "--name", "alpha", "--archive", a);

        (SearchResult second, SyncResult sync2, _) = await InProcess.SearchAsync(a, cache, new SearchRequest { Files = ["/data/*/*.dat"] });
        Assert.Equal(2, sync2.Added);
        Assert.Equal(3, sync2.Held);
        Assert.Equal(["alpha@v2", "beta@v1"], second.Keys());
        Assert.Contains(new MatchReason("path", "/data/alpha/events.dat"), second.Hits[0].Reasons);
        Assert.Contains(new MatchReason("path", "/data/alpha/more.dat"), second.Hits[0].Reasons);

        (_, SyncResult sync3, _) = await InProcess.SearchAsync(a, cache, new SearchRequest());
        Assert.Equal(0, sync3.Added);

        // The CLI, with the same cache, answers from the same index without reading anything again.
        CliResult cli = CliRunner.Run(TimeSpan.FromMinutes(3), CacheEnv(cache), "search", "--file", "/data/beta/events.dat", "--json", "--archive", a);
        Assert.True(cli.ExitCode == 0, cli.ToString());
        JsonNode hit = Assert.Single(JsonNode.Parse(cli.Stdout)!["hits"]!.AsArray())!;
        Assert.Equal("beta", (string?)hit["capsule"]);
        Assert.Equal("/data/beta/events.dat", (string?)hit["matched"]![0]!["value"]);
    }

    /// <summary>
    /// The index's place: the archive's id and a hash of the location, the same for one location, another for
    /// another; an index named the earlier way (by SHA-256 of the location) is moved there once and opened as it
    /// is, not built again.
    /// </summary>
    [Fact]
    public async Task Place_OneForEachLocation_AnIndexNamedTheEarlierWayIsMovedAndKept()
    {
        using var t = new TempDir();
        string a = NewArchive(t);
        string cache = t["cache"];
        string place = ArchiveIndex.PlaceOf("id", "/srv/archive", cache);
        Assert.Equal(place, ArchiveIndex.PlaceOf("id", "/srv/archive", cache));
        Assert.NotEqual(place, ArchiveIndex.PlaceOf("id", "/srv/archive/", cache));
        Assert.NotEqual(place, ArchiveIndex.PlaceOf("id", "s3://bucket/archive", cache));
        Assert.Matches("^id-[0-9a-f]{16}$", Path.GetFileName(place));
        Assert.Equal(cache, Path.GetDirectoryName(place));

        await using Archive opened = await Archive.OpenAsync(new FileSystemObjectStore(a), CancellationToken.None);
        string now = ArchiveIndex.PlaceOf(opened.Descriptor.Id, opened.Location, cache);
        long generation;
        using (ArchiveIndex first = ArchiveIndex.Open(opened, rebuild: false, cache))
        {
            await first.UpdateAsync(CancellationToken.None);
            generation = first.Status().Generation;
        }

        string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(opened.Location)))[..12];
        string earlier = Path.Combine(cache, $"{opened.Descriptor.Id}-{hash}");
        Directory.Move(now, earlier);

        using ArchiveIndex again = ArchiveIndex.Open(opened, rebuild: false, cache);
        Assert.Null(again.Notice); // opened as it was, not rebuilt
        Assert.False(Directory.Exists(earlier));
        Assert.True(Directory.Exists(now));
        Assert.Equal(generation, again.Status().Generation);
        Assert.Equal(["alpha@v1"], again.Search(new SearchRequest { AllVersions = true }).Keys());
    }

    /// <summary>
    /// The archive is scanned while the index opens: the first update compares that scan (a version committed
    /// after the open waits for the next one), each later update scans again, and an index closed without an
    /// update stops its scan and leaves nothing behind that the next open would mind.
    /// </summary>
    [Fact]
    public async Task ScanTakenWhileTheIndexOpens_FirstUpdateUsesIt_LaterOnesScanAgain_ClosedUnusedLeavesTheIndexSound()
    {
        using var t = new TempDir();
        string a = NewArchive(t);
        string cache = t["cache"];
        await using Archive opened = await Archive.OpenAsync(new FileSystemObjectStore(a) { TokenSettleTime = TimeSpan.Zero }, CancellationToken.None);
        using (ArchiveIndex unused = ArchiveIndex.Open(opened, rebuild: false, cache))
        {
            Assert.Null(unused.Notice);
        }

        using ArchiveIndex index = ArchiveIndex.Open(opened, rebuild: false, cache);
        Assert.Null(index.Notice); // the index the unused one made, never updated, is sound
        await index.PendingScan!;
        CapsuleArchive.Run("snapshot", "--rootfs", Trees.Make(t["beta-tree"], "beta", false), "--name", "beta", "--archive", a);

        SyncResult first = await index.UpdateAsync(CancellationToken.None);
        Assert.Equal((1, 1), (first.Added, first.Held)); // alpha alone: beta's directory was not there when the index opened
        SyncResult second = await index.UpdateAsync(CancellationToken.None);
        Assert.Equal((1, 2), (second.Added, second.Held));
        Assert.Equal(["alpha@v1", "beta@v1"], index.Search(new SearchRequest { AllVersions = true }).Keys());
    }

    /// <summary>
    /// With each directory's token given as soon as it is made (no settle time), a catch-up reads only the capsules
    /// whose directory changed; a version not complete yet (its sidecar still to come, which does not change the
    /// capsule's directory) keeps its capsule read until it is complete, and is then taken in; the journal is listed
    /// only when an event was added.
    /// </summary>
    [Fact]
    public async Task CatchUp_ReadsOnlyCapsulesWhoseDirectoryChanged_AndAVersionNotCompleteUntilItIs()
    {
        using var t = new TempDir();
        string a = NewArchive(t);
        CapsuleArchive.Run("snapshot", "--rootfs", Trees.Make(t["beta-tree"], "beta", false), "--name", "beta", "--archive", a);
        string cache = t["cache"];

        SyncResult first = await CatchUpAsync(a, cache);
        Assert.Equal((2, 2), (first.Added, first.CapsulesRead));
        SyncResult current = await CatchUpAsync(a, cache);
        Assert.Equal((0, 0, 2), (current.Added, current.CapsulesRead, current.Held));

        // alpha v2 committed by another process, then seen as a writer between manifest and sidecar would leave it.
        File.WriteAllText(t["alpha-tree/data/alpha/more.dat"], "more\n");
        CapsuleArchive.Run("snapshot", "--rootfs", t["alpha-tree"], "--name", "alpha", "--archive", a);
        string sidecar = Path.Combine(a, "capsules/alpha/v2/manifest.json.sha256");
        File.Move(sidecar, t["sidecar-aside"]);
        for (int i = 0; i < 2; i++)
        {
            SyncResult pending = await CatchUpAsync(a, cache);
            Assert.Equal((0, 1, 2), (pending.Added, pending.CapsulesRead, pending.Held));
        }

        File.Move(t["sidecar-aside"], sidecar);
        SyncResult completed = await CatchUpAsync(a, cache);
        Assert.Equal((1, 1, 3), (completed.Added, completed.CapsulesRead, completed.Held));
        SyncResult after = await CatchUpAsync(a, cache);
        Assert.Equal((0, 0, 3), (after.Added, after.CapsulesRead, after.Held));

        // The journal: listed until a token vouches for it, then not, until an event is added (an audit's).
        Assert.False((await CatchUpAsync(a, cache)).JournalListed);
        CapsuleArchive.Run("audit", "alpha", "--archive", a);
        SyncResult audited = await CatchUpAsync(a, cache);
        Assert.True(audited.JournalListed);
        Assert.Equal(2, audited.VerdictsChanged); // both versions of alpha audited
        Assert.True((await CatchUpAsync(a, cache)).JournalListed); // the last event is another: listed once more for its token
        Assert.False((await CatchUpAsync(a, cache)).JournalListed);

        // A capsule's directory removed by hand: its versions leave the index.
        Directory.Delete(Path.Combine(a, "capsules/beta"), recursive: true);
        SyncResult removed = await CatchUpAsync(a, cache);
        Assert.Equal((1, 2), (removed.Removed, removed.Held));
        Assert.Equal(["alpha@v2"], (await InProcess.FindAsync(a, cache, new SearchRequest())).Keys());

        static async Task<SyncResult> CatchUpAsync(string archive, string cache)
        {
            await using Archive opened = await Archive.OpenAsync(new FileSystemObjectStore(archive) { TokenSettleTime = TimeSpan.Zero }, CancellationToken.None);
            using ArchiveIndex index = ArchiveIndex.Open(opened, rebuild: false, cache);
            return await index.UpdateAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Rebuild_GivesTheSameAnswersAsTheIncrementalIndex()
    {
        using var t = new TempDir();
        string a = NewArchive(t);
        string cache = t["cache"];
        await InProcess.SearchAsync(a, cache, new SearchRequest());
        CapsuleArchive.Run("snapshot", "--rootfs", Trees.Make(t["beta-tree"], "beta", false), "--name", "beta", "--archive", a);
        CapsuleArchive.Run("audit", "--archive", a);
        await InProcess.SearchAsync(a, cache, new SearchRequest());
        File.WriteAllText(t["alpha-tree/data/alpha/more.dat"], "more\n");
        CapsuleArchive.Run("snapshot", "--rootfs", t["alpha-tree"], "--name", "alpha", "--archive", a);

        var incremental = new List<string>();
        foreach (SearchRequest r in Trees.Requests)
        {
            incremental.Add(Trees.Describe(await InProcess.FindAsync(a, cache, r)));
        }

        // The audit's verdict reached the versions it named, and only those.
        Assert.Contains("alpha@v1", incremental[6], StringComparison.Ordinal);
        Assert.Contains("beta@v1", incremental[6], StringComparison.Ordinal);
        Assert.DoesNotContain("alpha@v2", incremental[6], StringComparison.Ordinal);

        (SearchResult _, SyncResult rebuilt, _) = await InProcess.SearchAsync(a, cache, new SearchRequest(), rebuild: true);
        Assert.Equal(3, rebuilt.Added);
        var fresh = new List<string>();
        foreach (SearchRequest r in Trees.Requests)
        {
            fresh.Add(Trees.Describe(await InProcess.FindAsync(a, cache, r)));
        }

        Assert.Equal(incremental, fresh);
    }

    public static TheoryData<string> Damages => new() { "lucene-segments", "lucene-data", "registry-garbage", "registry-schema", "generation", "other-archive" };

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task DamagedOrForeignIndex_IsDetectedAndRebuilt(string damage)
    {
        using var t = new TempDir();
        string a = NewArchive(t);
        string cache = t["cache"];
        string before = Trees.Describe(await InProcess.FindAsync(a, cache, Trees.Requests[3]));
        string place = Assert.Single(Directory.GetDirectories(cache));
        string lucene = Path.Combine(place, "lucene");
        string registry = Path.Combine(place, "registry.sqlite");
        switch (damage)
        {
            case "lucene-segments":
                File.WriteAllBytes(Directory.GetFiles(lucene, "segments_*").Single(), [1, 2, 3, 4, 5]);
                break;
            case "lucene-data":
                string biggest = Directory.GetFiles(lucene).Where(f => !Path.GetFileName(f).StartsWith("segments", StringComparison.Ordinal)).MaxBy(f => new FileInfo(f).Length)!;
                byte[] bytes = File.ReadAllBytes(biggest);
                bytes[bytes.Length / 2] ^= 0xFF;
                File.WriteAllBytes(biggest, bytes);
                break;
            case "registry-garbage":
                File.WriteAllBytes(registry, new byte[8192]);
                break;
            default:
                using (var db = new SqliteConnection($"Data Source={registry};Pooling=False"))
                {
                    db.Open();
                    using SqliteCommand c = db.CreateCommand();
                    c.CommandText = damage switch
                    {
                        "registry-schema" => "UPDATE meta SET value = 'cvmpreserve-search-registry-0' WHERE key = 'schema'",
                        "generation" => "UPDATE meta SET value = '7' WHERE key = 'generation'",
                        _ => "UPDATE meta SET value = 'another' WHERE key = 'archive'",
                    };
                    Assert.Equal(1, c.ExecuteNonQuery());
                }

                break;
        }

        (SearchResult after, SyncResult sync, string? notice) = await InProcess.SearchAsync(a, cache, Trees.Requests[3]);
        Assert.NotNull(notice);
        Assert.Contains("was rebuilt", notice, StringComparison.Ordinal);
        Assert.Equal(1, sync.Added);
        Assert.Equal(before, Trees.Describe(after));
    }

    [Fact]
    public void Cli_BadQueryOrRange_Exit2WithTheColumn()
    {
        using var t = new TempDir();
        string a = NewArchive(t);
        CliResult q = Cvm(t["cache"], "search", "experiment:ALEPH AND (os.version:4*", "--archive", a);
        Assert.True(q.ExitCode == 2, q.ToString());
        Assert.Contains("column ", q.Stderr, StringComparison.Ordinal);

        CliResult j = Cvm(t["cache"], "search", "--package", "glibc>=2.3,<", "--json", "--archive", a);
        Assert.Equal(2, j.ExitCode);
        JsonNode error = JsonNode.Parse(j.Stdout)!["error"]!;
        Assert.Equal(13, (int)error["column"]!);
        Assert.Equal("--package", (string?)error["what"]);
        Assert.Contains("--package 'glibc>=2.3,<': column 13: a version is expected after '<'", j.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(t["cache"]), "a query that cannot be read touches no index");
    }

    [Fact]
    public void Cli_CacheThatCannotBeWritten_AnswersFromATemporaryRebuild()
    {
        using var t = new TempDir();
        string a = NewArchive(t);
        File.WriteAllText(t["not-a-directory"], "a file where the cache directory should be\n");
        CliResult r = Cvm(t["not-a-directory"], "search", "--package", "openssl<1.1.1l", "--archive", a);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("alpha@v1", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("openssl-1.1.1k-7.cm2.x86_64", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("cannot be written", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("removed afterwards", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_IndexStatusAndRebuild_AndFacetsInText()
    {
        using var t = new TempDir();
        string a = NewArchive(t);
        CliResult status = Cvm(t["cache"], "index", "status", "--json", "--archive", a);
        Assert.True(status.ExitCode == 0, status.ToString());
        JsonNode s = JsonNode.Parse(status.Stdout)!;
        Assert.Equal(1, (int)s["versions"]!);
        Assert.StartsWith(t["cache"], (string)s["path"]!, StringComparison.Ordinal);
        Assert.True((long)s["bytes"]! > 0);
        long generation = (long)s["generation"]!;

        CliResult rebuild = Cvm(t["cache"], "index", "rebuild", "--json", "--archive", a);
        Assert.True(rebuild.ExitCode == 0, rebuild.ToString());
        Assert.Equal(1, (int)JsonNode.Parse(rebuild.Stdout)!["versions"]!);
        Assert.True((long)JsonNode.Parse(rebuild.Stdout)!["generation"]! <= generation, "a rebuild starts the generations anew");

        CliResult text = Cvm(t["cache"], "search", "os.distribution:mariner", "--package", "bash", "--archive", a);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("1 of 1 capsules searched", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("bash-5.1.8-1.cm2.x86_64", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("facets:", text.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// Every form of Lucene's query syntax, through the published executable and in-process, gives the same hits.
    /// The executable is trimmed: Lucene.Net finds its codecs and the implementations of token attributes (those of
    /// prefix, fuzzy and regular-expression queries among them) by reflection, and only what Trimming.xml keeps is
    /// there; a query form that needs a type the trimmer removed fails here, not in a user's hands.
    /// </summary>
    [Theory]
    [InlineData("title:first")]
    [InlineData("capsule:alp*")]
    [InlineData("capsule:alpa~1")]
    [InlineData("capsule:/al.h./")]
    [InlineData("capsule:[a TO b}")]
    [InlineData("path.segment:event?.dat")]
    [InlineData("\"first\"~2 OR title:first^3")]
    [InlineData("os.distribution:mariner AND NOT capsule:beta")]
    public async Task Cli_EachQueryForm_SameHitsAsInProcess(string query)
    {
        using var t = new TempDir();
        string a = NewArchive(t);
        SearchResult expected = await InProcess.FindAsync(a, t["cache"], new SearchRequest { Query = query });
        Assert.Equal(["alpha@v1"], expected.Keys());

        CliResult cli = Cvm(t["cli-cache"], "search", query, "--json", "--archive", a);
        Assert.True(cli.ExitCode == 0, cli.ToString());
        Assert.Equal(
            expected.Keys(),
            JsonNode.Parse(cli.Stdout)!["hits"]!.AsArray().Select(h => VersionKey.Of((string)h!["capsule"]!, (int)h["version"]!)).ToList());
    }
}
