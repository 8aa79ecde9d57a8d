using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Archiver;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

/// <summary>
/// The environment's description (components and their warnings) runs beside the walk: the snapshot waits for
/// it before making its blobs durable, records what it gives, and fails with its error, committing nothing.
/// </summary>
public sealed class TreeSnapshotterEnvironmentTests
{
    private static readonly CapsuleName Demo = CapsuleName.Parse("demo");

    /// <summary>A guard against a hang only: every snapshot here ends in well under a second when it works.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    private static MemoryTree Files(int count)
    {
        var tree = new MemoryTree();
        for (int i = 0; i < count; i++)
        {
            tree.Add($"f{i:D3}", ArchiverFixture.Random(50_000, i));
        }

        return tree;
    }

    [Fact]
    public async Task Snapshot_DescriptionWaitsForTheWalk_RunsBesideItAndIsRecorded()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var snapshotter = new TreeSnapshotter(f.Archive);
        SnapshotMonitor monitor = snapshotter.Monitor;
        var components = new EnvironmentComponents { Curation = new CurationComponent { Experiment = "ALEPH", Spec = BlobId.Of("spec"u8).ToString() } };

        // Were the description run before the walk, it would wait here until the guard fails it.
        SnapshotResult r = await snapshotter.SnapshotAsync(
            new SnapshotOptions
            {
                Source = "s", Tree = Files(20), Capsule = Demo,
                DescribeEnvironment = async ct =>
                {
                    using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    guard.CancelAfter(TimeSpan.FromSeconds(30));
                    while (monitor.ScannedFiles == 0)
                    {
                        await Task.Delay(1, guard.Token);
                    }

                    return new EnvironmentDescription(components, [new CaptureWarning("CAP013", null, "unknown distribution")]);
                },
            },
            default).WaitAsync(Hang);

        Manifest m = (await f.Archive.ReadManifestAsync(Demo, 1, default)).Manifest;
        Assert.Equal(r.Version.Sha256, (await f.Archive.ReadManifestAsync(Demo, 1, default)).Sha256);
        Assert.Equal("ALEPH", m.Components?.Curation?.Experiment);
        Assert.Equal(["CAP013"], m.Warnings.Select(w => w.Code));
        Assert.Equal(20, m.Tree.Files);
    }

    [Fact]
    public async Task Snapshot_BlobTheDescriptionStores_IsDurableWithTheVersion()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        byte[] specBytes = "name: demo\n"u8.ToArray();
        BlobId spec = BlobId.Of(specBytes);

        await new TreeSnapshotter(f.Archive).SnapshotAsync(
            new SnapshotOptions
            {
                Source = "s", Tree = Files(3), Capsule = Demo,
                DescribeEnvironment = async ct =>
                {
                    (BlobId id, _) = await f.Archive.Blobs.PutAsync(specBytes, ct);
                    return new EnvironmentDescription(new EnvironmentComponents { Curation = new CurationComponent { Spec = id.ToString() } }, []);
                },
            },
            default).WaitAsync(Hang);

        // A new store over the same directory sees only what was published, not what one process staged.
        var fresh = new FileSystemObjectStore(Path.Combine(f.Root, "archive"));
        Assert.True(await fresh.ExistsAsync(spec.Key, default));
        Assert.Equal(spec.ToString(), (await f.Archive.ReadManifestAsync(Demo, 1, default)).Manifest.Components?.Curation?.Spec);
    }

    [Fact]
    public async Task Snapshot_DescriptionFails_FailsWithItsErrorAndCommitsNothing()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var refused = new PreserveException(FailureKind.Usage, "spec.yaml: os.metapackage 'SL_base' is named, but the tree's package database cannot be read");

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => new TreeSnapshotter(f.Archive).SnapshotAsync(
            new SnapshotOptions { Source = "s", Tree = Files(30), Capsule = Demo, DescribeEnvironment = _ => throw refused },
            default).WaitAsync(Hang));

        Assert.Same(refused, e);
        Assert.Empty(await f.Archive.ListCapsulesAsync(default));
        await foreach (string key in f.Archive.Store.ListAsync("journal/", default))
        {
            Assert.Fail($"an event was written: {key}");
        }
    }

    [Fact]
    public async Task Snapshot_DescriptionFailsWhileFilesAreRead_StopsTheReadingAndFailsWithItsError()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        for (int i = 0; i < 200; i++)
        {
            tree.Add($"l{i:D3}", ArchiverFixture.Random(300_000, 5000 + i));
        }

        var snapshotter = new TreeSnapshotter(f.Archive);
        SnapshotMonitor monitor = snapshotter.Monitor;

        InvalidDataException e = await Assert.ThrowsAsync<InvalidDataException>(() => snapshotter.SnapshotAsync(
            new SnapshotOptions
            {
                Source = "s", Tree = tree, Capsule = Demo, Workers = 1,
                DescribeEnvironment = async ct =>
                {
                    while (monitor.FilesDone == 0)
                    {
                        await Task.Delay(1, ct);
                    }

                    throw new InvalidDataException("Packages: page 7 points past the end of the file");
                },
            },
            default).WaitAsync(Hang));

        Assert.Contains("page 7", e.Message);
        Assert.True(monitor.FilesDone < 200, $"{monitor.FilesDone} of 200 files were read after the description failed");
        Assert.Empty(await f.Archive.ListCapsulesAsync(default));
    }

    [Fact]
    public async Task Snapshot_DescriptionFailsAfterTheWalk_FailsWithItsErrorNotACancellation()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var snapshotter = new TreeSnapshotter(f.Archive);
        SnapshotMonitor monitor = snapshotter.Monitor;

        InvalidDataException e = await Assert.ThrowsAsync<InvalidDataException>(() => snapshotter.SnapshotAsync(
            new SnapshotOptions
            {
                Source = "s", Tree = Files(30), Capsule = Demo,
                DescribeEnvironment = async ct =>
                {
                    while (monitor.ScannedFiles < 30)
                    {
                        await Task.Delay(1, ct);
                    }

                    throw new InvalidDataException("Packages: page 7 points past the end of the file");
                },
            },
            default).WaitAsync(Hang));

        Assert.Contains("page 7", e.Message);
        Assert.Empty(await f.Archive.ListCapsulesAsync(default));
    }
}
