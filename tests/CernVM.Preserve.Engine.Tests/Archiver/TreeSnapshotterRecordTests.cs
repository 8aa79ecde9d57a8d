using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Archiver;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

/// <summary>
/// What a snapshot records, read back from the archive in-process: the manifest's fields (FORMAT.md §5.2:
/// previous, producer, title, description, tree, components, warnings, statistics), the ingestion event that
/// follows the commit (§7), and the summary the caller gets, which must agree with both.
/// </summary>
public sealed class TreeSnapshotterRecordTests
{
    private static readonly CapsuleName Demo = CapsuleName.Parse("demo");

    private static Task<SnapshotResult> SnapshotAsync(ArchiverFixture f, ITreeSource tree, Func<SnapshotOptions, SnapshotOptions>? with = null, SnapshotMonitor? monitor = null)
    {
        var options = new SnapshotOptions { Source = "the source", Tree = tree, Capsule = Demo, Workers = 2 };
        return new TreeSnapshotter(f.Archive, monitor).SnapshotAsync(with is null ? options : with(options), default);
    }

    private static async Task<List<PreservationEvent>> EventsAsync(Archive archive)
    {
        var events = new List<PreservationEvent>();
        await foreach (string key in archive.Store.ListAsync("journal/", default))
        {
            events.Add(CanonicalJson.Deserialize<PreservationEvent>((await archive.Store.TryGetAsync(key, default))!, key));
        }

        return [.. events.OrderBy(e => e.DateTime, StringComparer.Ordinal)];
    }

    private static async Task<byte[]> CatalogAsync(ArchiverFixture f, LoadedManifest m) =>
        await f.Archive.Blobs.GetAsync(BlobId.Parse(m.Manifest.Tree.Catalog), default);

    [Fact]
    public async Task Snapshot_ManifestRecordsTheOptionsTheTreeAndTheStatisticsOfTheSummary()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        tree.Add("a", "alpha");
        tree.Add("b", "beta");
        tree.Add("big", ArchiverFixture.Random(600_000, 30));
        var components = new EnvironmentComponents { Curation = new CurationComponent { Experiment = "ALEPH", DphepLevel = 4, Spec = BlobId.Of("spec"u8).ToString() } };
        DateTimeOffset before = DateTimeOffset.UtcNow.AddSeconds(-1);

        SnapshotResult r = await SnapshotAsync(f, tree, o => new SnapshotOptions
        {
            Source = o.Source, Tree = o.Tree, Capsule = o.Capsule, Workers = 1, Title = "A title", Description = "A description",
            DescribeEnvironment = _ => Task.FromResult(new EnvironmentDescription(components, [])),
        });

        LoadedManifest back = await f.Archive.ReadManifestAsync(Demo, 1, default);
        Manifest m = back.Manifest;
        Assert.Equal(r.Version.Sha256, back.Sha256);
        Assert.Equal(("demo", 1, (PreviousVersion?)null), (m.Capsule, m.Version, m.Previous));
        Assert.Equal(("A title", "A description"), (m.Title, m.Description));
        Assert.Equal(components.Curation, m.Components?.Curation);
        Assert.Equal(ProducerInfo.Current, m.Producer);
        Assert.InRange(ArchiveTime.Parse(m.Created), before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Empty(m.Warnings);

        byte[] catalog = await CatalogAsync(f, back);
        List<TreeEntry> entries = TreeCatalog.ReadAll(catalog, "catalog");
        Assert.Equal(["", "a", "b", "big"], entries.Select(e => e.DisplayPath));
        Assert.Equal(
            ("the source", 4L, 1L, 3L, 600_009L, (long)catalog.Length, (long)entries.SelectMany(e => e.Extents).Select(x => x.Blob).Distinct().Count()),
            (m.Tree.Source, m.Tree.Entries, m.Tree.Directories, m.Tree.Files, m.Tree.Bytes, m.Tree.CatalogBytes, m.Tree.Blobs));
        Assert.Equal(TreeCounts.Of(entries), r.Summary.Tree);
        Assert.Equal(catalog.Length, r.Summary.CatalogBytes);

        SnapshotSummary s = r.Summary;
        Assert.Equal((3L, 600_009L, 0L), (s.FilesRead, s.BytesRead, s.FilesUnchanged));
        Assert.Equal(new NewData(1, catalog.Length, s.Catalog.StoredBytes), s.Catalog);
        Assert.Equal(m.Tree.Blobs, s.Content.Blobs);
        Assert.Equal(600_009, s.Content.Bytes);
        Assert.True(s.Content.StoredBytes > 0 && s.Catalog.StoredBytes > 0);
        Assert.Equal(
            (s.FilesRead, s.FilesUnchanged, s.BytesRead, s.Total.Blobs, s.Total.Bytes, s.Total.StoredBytes),
            (m.Statistics.FilesRead, m.Statistics.FilesUnchanged, m.Statistics.BytesRead, m.Statistics.NewBlobs, m.Statistics.NewBytes, m.Statistics.NewCompressedBytes));
        Assert.InRange(m.Statistics.DurationSeconds, 0, 600);
        Assert.Equal(Math.Round(m.Statistics.DurationSeconds, 3), m.Statistics.DurationSeconds);
    }

    [Fact]
    public async Task Snapshot_SecondVersion_LinksTheFirstAndCountsWhatItReusedAndRead()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("same", "unchanged"u8.ToArray());
        f.Write("changes", "first"u8.ToArray());
        SnapshotResult first = await SnapshotAsync(f, f.Source());
        f.Write("changes", "second!"u8.ToArray());

        SnapshotResult second = await SnapshotAsync(f, f.Source());

        Manifest m = (await f.Archive.ReadManifestAsync(Demo, 2, default)).Manifest;
        Assert.Equal(1, second.PreviousVersion);
        Assert.Equal(new PreviousVersion(1, first.Version.Sha256), m.Previous);
        Assert.Equal((1L, 1L, 7L), (m.Statistics.FilesRead, m.Statistics.FilesUnchanged, m.Statistics.BytesRead));
        Assert.Equal((1L, 1L, 7L), (second.Summary.FilesRead, second.Summary.FilesUnchanged, second.Summary.BytesRead));
        Assert.Equal(new NewData(1, 7, second.Summary.Content.StoredBytes), second.Summary.Content);
    }

    [Fact]
    public async Task Snapshot_EveryVersion_WritesOneIngestionEventNamingItAndSayingWhatItHolds()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("x/one", "1"u8.ToArray());
        f.Write("x/two", "22"u8.ToArray());
        DateTimeOffset before = DateTimeOffset.UtcNow.AddSeconds(-1);
        SnapshotResult first = await SnapshotAsync(f, f.Source());
        SnapshotResult second = await SnapshotAsync(f, f.Source());

        List<PreservationEvent> events = await EventsAsync(f.Archive);

        Assert.Equal(2, events.Count);
        foreach ((PreservationEvent e, SnapshotResult r) in events.Zip([first, second]))
        {
            Assert.Equal(("ingestion", "success"), (e.EventType, e.Outcome));
            Assert.Equal(ProducerInfo.Current, e.Agent);
            Assert.Equal([new EventObject("demo", r.Version.Version, r.Version.Sha256)], e.Objects);
            Assert.InRange(ArchiveTime.Parse(e.DateTime), before, DateTimeOffset.UtcNow.AddSeconds(1));
            Assert.Matches("^[0-9a-f]{32}$", e.EventId);
        }

        Assert.Equal("snapshot of the source: 4 entries, 3 bytes, 2 new blobs, 0 warnings", events[0].Detail);
        Assert.Equal("snapshot of the source: 4 entries, 3 bytes, 0 new blobs, 0 warnings", events[1].Detail);
        Assert.NotEqual(events[0].EventId, events[1].EventId);
    }

    [Fact]
    public async Task Snapshot_WarningsOfTheEnvironmentTheWalkAndTheReading_RecordedInThatOrderAndTheEventSaysWarning()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        tree.Add("gone", "was here").OpenError = new IOException("no such file");
        tree.Add("kept", "kept");
        tree.WalkWarnings.Add(new CaptureWarning("CAP003", "vanished", "vanished while walking"));
        CaptureWarning[] extra = [new("CAP013", null, "unknown distribution"), new("CAP010", null, "no package database")];

        SnapshotResult r = await SnapshotAsync(f, tree, o => new SnapshotOptions { Source = o.Source, Tree = o.Tree, Capsule = o.Capsule, DescribeEnvironment = _ => Task.FromResult(new EnvironmentDescription(null, extra)) });

        Manifest m = (await f.Archive.ReadManifestAsync(Demo, 1, default)).Manifest;
        Assert.Equal(["CAP013", "CAP010", "CAP003", "CAP001"], m.Warnings.Select(w => w.Code));
        Assert.Equal(("gone", "unreadable, recorded without content: no such file"), (m.Warnings[3].Path, m.Warnings[3].Message));
        Assert.Equal((1L, 1L, 4L), (m.Tree.Unreadable, m.Tree.Files, m.Tree.Bytes));
        PreservationEvent e = Assert.Single(await EventsAsync(f.Archive));
        Assert.Equal("warning", e.Outcome);
        Assert.Equal("snapshot of the source: 3 entries, 4 bytes, 2 new blobs, 4 warnings", e.Detail);
        Assert.Equal(1, r.Summary.Tree.Unreadable);
    }

    [Fact]
    public async Task Snapshot_TreeUnchanged_RecordsThePreviousCatalogAndItsSize()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("a", "a"u8.ToArray());
        SnapshotResult first = await SnapshotAsync(f, f.Source());

        SnapshotResult second = await SnapshotAsync(f, f.Source());

        Manifest m = (await f.Archive.ReadManifestAsync(Demo, 2, default)).Manifest;
        Assert.Equal((first.Version.Manifest.Tree.Catalog, first.Version.Manifest.Tree.CatalogBytes), (m.Tree.Catalog, m.Tree.CatalogBytes));
        Assert.Equal((long)(await CatalogAsync(f, first.Version)).Length, m.Tree.CatalogBytes);
        Assert.Equal(m.Tree.CatalogBytes, second.Summary.CatalogBytes);
        Assert.Equal((0L, 0L, 0L), (m.Statistics.NewBlobs, m.Statistics.NewBytes, m.Statistics.NewCompressedBytes));
    }

    /// <summary>A tree changed, then changed back: the third catalog is the first one again, already stored, so no new catalog is counted.</summary>
    [Fact]
    public async Task Snapshot_CatalogAlreadyInTheArchive_NotCountedAsNewData()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        MemoryTree Tree(string content)
        {
            var t = new MemoryTree();
            t.Add("a", content);
            return t;
        }

        SnapshotResult first = await SnapshotAsync(f, Tree("one"));
        SnapshotResult second = await SnapshotAsync(f, Tree("two"));

        SnapshotResult third = await SnapshotAsync(f, Tree("one"));

        Assert.NotEqual(first.Version.Manifest.Tree.Catalog, second.Version.Manifest.Tree.Catalog);
        Assert.Equal(first.Version.Manifest.Tree.Catalog, third.Version.Manifest.Tree.Catalog);
        Assert.Equal(NewData.None, third.Summary.Catalog);
        Assert.Equal(NewData.None, third.Summary.Content);
        Assert.Equal(first.Summary.CatalogBytes, third.Summary.CatalogBytes);
        Assert.Equal(0, third.Version.Manifest.Statistics.NewBlobs);
    }

    [Fact]
    public async Task Snapshot_AfterAnInterruptedCommit_FollowsTheLastCompleteVersion()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("a", "a"u8.ToArray());
        SnapshotResult first = await SnapshotAsync(f, f.Source());
        // Version 2's manifest without its sidecar: a commit that never finished (FORMAT.md §5.1, §8).
        await f.Archive.Store.PutIfAbsentAsync(ArchiveLayout.Manifest(Demo, 2), first.Version.Bytes, default);
        await f.Archive.Store.FlushAsync(default);

        SnapshotResult third = await SnapshotAsync(f, f.Source());

        Assert.Equal(3, third.Version.Version);
        Assert.Equal(1, third.PreviousVersion);
        Assert.Equal(new PreviousVersion(1, first.Version.Sha256), third.Version.Manifest.Previous);
        Assert.Equal(1, third.Summary.FilesUnchanged);
    }

    [Fact]
    public async Task Snapshot_StaleTemporariesOfADeadWriter_AreRemovedFirst()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("a", "a"u8.ToArray());
        string tmp = Path.Combine(f.Root, "archive", "tmp");
        Directory.CreateDirectory(tmp);
        string stale = Path.Combine(tmp, "999999999-left-behind");
        string ours = Path.Combine(tmp, $"{Environment.ProcessId}-in-use");
        File.WriteAllText(stale, "x");
        File.WriteAllText(ours, "x");

        await SnapshotAsync(f, f.Source());

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(ours));
    }

    [Fact]
    public async Task Snapshot_Done_MonitorSaysSoAndCountsTheFiles()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var monitor = new SnapshotMonitor();
        var tree = new MemoryTree();
        tree.Add("a", "12");
        tree.Add("b", "345");

        var snapshotter = new TreeSnapshotter(f.Archive, monitor);
        SnapshotResult r = await snapshotter.SnapshotAsync(new SnapshotOptions { Source = "s", Tree = tree, Capsule = Demo, Workers = 1 }, default);

        Assert.Same(monitor, snapshotter.Monitor);
        Assert.Equal("done", monitor.Phase);
        Assert.Equal((3L, 2L, 5L, true), (monitor.Entries, monitor.FilesDone, monitor.BytesDone, monitor.ScanComplete));
        Assert.Equal((2L, 5L), (r.Summary.FilesRead, r.Summary.BytesRead));
    }

    [Fact]
    public async Task Snapshot_NoMonitorGiven_HasItsOwn()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("a", "a"u8.ToArray());
        var snapshotter = new TreeSnapshotter(f.Archive);

        await snapshotter.SnapshotAsync(new SnapshotOptions { Source = "s", Tree = f.Source(), Capsule = Demo, Workers = 1 }, default);

        Assert.Equal(("done", 1L), (snapshotter.Monitor.Phase, snapshotter.Monitor.FilesDone));
    }

    [Fact]
    public void Constructor_NoArchive_Refused() =>
        Assert.Equal("archive", Assert.Throws<ArgumentNullException>(() => new TreeSnapshotter(null!)).ParamName);

    [Fact]
    public async Task Snapshot_NoOptions_Refused()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();

        ArgumentNullException e = await Assert.ThrowsAsync<ArgumentNullException>(() => new TreeSnapshotter(f.Archive).SnapshotAsync(null!, default));

        Assert.Equal("options", e.ParamName);
    }
}
