using System.Runtime.CompilerServices;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Engine.Archiver;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

/// <summary>
/// A snapshot that fails part-way: a blob saver that dies, a file saver that dies, a previous version that
/// cannot be read. The snapshot fails with the error that caused it (not a cancellation, not a wrapper), does
/// not hang with one side waiting on the other, and commits nothing: no version, no event.
/// </summary>
public sealed class TreeSnapshotterFailureTests
{
    private static readonly CapsuleName Demo = CapsuleName.Parse("demo");

    /// <summary>A guard against a hang only: every snapshot here ends in well under a second when it works.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    private static async Task<WrappedArchive> ArchiveAsync(Func<IObjectStore, IObjectStore> wrap)
    {
        string dir = Directory.CreateTempSubdirectory("cvmp-snapshot-failure-").FullName;
        return new WrappedArchive(dir, await Archive.InitAsync(wrap(new FileSystemObjectStore(Path.Combine(dir, "archive"))), null, default));
    }

    /// <summary>An archive over a store a test wraps, in a temporary directory removed with it.</summary>
    private sealed record WrappedArchive(string Dir, Archive Archive) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Archive.DisposeAsync();
            Directory.Delete(Dir, recursive: true);
        }
    }

    private static MemoryTree ManyFiles(int small, int large)
    {
        var tree = new MemoryTree();
        for (int i = 0; i < small; i++)
        {
            tree.Add($"s{i:D3}", ArchiverFixture.Random(100_000, i));
        }

        for (int i = 0; i < large; i++)
        {
            tree.Add($"l{i:D3}", ArchiverFixture.Random(300_000, 1000 + i));
        }

        return tree;
    }

    private static async Task AssertNothingCommittedAsync(Archive archive)
    {
        Assert.Empty(await archive.ListCapsulesAsync(default));
        await foreach (string key in archive.Store.ListAsync("journal/", default))
        {
            Assert.Fail($"an event was written: {key}");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public async Task Snapshot_NoWorkersAsked_CountsAsOne_AndCompletes(int workers)
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        SnapshotResult result = await new TreeSnapshotter(f.Archive).SnapshotAsync(
            new SnapshotOptions { Source = "s", Tree = ManyFiles(10, 5), Capsule = Demo, Workers = workers }, default).WaitAsync(Hang);

        Assert.Equal(15, result.Version.Manifest.Tree.Files);
        Assert.True(result.Summary.Content.Blobs > 0);
    }

    [Theory]
    [InlineData(1, 0)] // the first blob fails: with one worker, the file saver would otherwise wait on a full channel
    [InlineData(1, 5)]
    [InlineData(3, 2)]
    public async Task Snapshot_BlobSaverFails_FailsWithItsErrorAndCommitsNothing(int workers, int blobsBeforeFailure)
    {
        await using WrappedArchive w = await ArchiveAsync(inner => new FailingStore(inner, blobsBeforeFailure));
        var snapshot = new TreeSnapshotter(w.Archive).SnapshotAsync(
            new SnapshotOptions { Source = "s", Tree = ManyFiles(40, 20), Capsule = Demo, Workers = workers }, default);

        IOException e = await Assert.ThrowsAsync<IOException>(() => snapshot.WaitAsync(Hang));

        Assert.Equal("no space left on device", e.Message);
        await AssertNothingCommittedAsync(w.Archive);
    }

    [Fact]
    public async Task Snapshot_FileSaverFails_FailsWithItsErrorAndCommitsNothing()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        MemoryTree tree = ManyFiles(30, 30);
        tree["l010"].OpenError = new UnauthorizedAccessException("not allowed");

        var snapshot = new TreeSnapshotter(f.Archive).SnapshotAsync(new SnapshotOptions { Source = "s", Tree = tree, Capsule = Demo, Workers = 1 }, default);

        UnauthorizedAccessException e = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => snapshot.WaitAsync(Hang));
        Assert.Equal("not allowed", e.Message);
        await AssertNothingCommittedAsync(f.Archive);
    }

    [Fact]
    public async Task Snapshot_PreviousVersionUnreadable_FailsWithTheIntegrityErrorAndCommitsNothingMore()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        await DamagedFirstVersionAsync(f);

        var snapshot = new TreeSnapshotter(f.Archive).SnapshotAsync(new SnapshotOptions { Source = "s", Tree = ManyFiles(20, 2), Capsule = Demo }, default);

        Core.PreserveException e = await Assert.ThrowsAsync<Core.PreserveException>(() => snapshot.WaitAsync(Hang));
        Assert.Equal(Core.FailureKind.Integrity, e.Kind);
        Assert.Equal([1], (await f.Archive.ListVersionsAsync(Demo, default)).Select(v => v.Version));
    }

    [Fact]
    public async Task Snapshot_CancelledAsABlobFails_ReportsTheCancellation()
    {
        using var cancel = new CancellationTokenSource();
        await using WrappedArchive w = await ArchiveAsync(inner => new FailingStore(inner, 3, cancel));
        var snapshot = new TreeSnapshotter(w.Archive).SnapshotAsync(
            new SnapshotOptions { Source = "s", Tree = ManyFiles(10, 10), Capsule = Demo, Workers = 2 }, cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => snapshot.WaitAsync(Hang));

        await AssertNothingCommittedAsync(w.Archive);
    }

    [Fact]
    public async Task Snapshot_CancelledWhileReading_ThrowsTheCancellationAndCommitsNothing()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        using var cancel = new CancellationTokenSource();
        var tree = new MemoryTree { Opening = _ => cancel.Cancel() };
        tree.Add("a", "a");
        tree.Add("b", "b");

        var snapshot = new TreeSnapshotter(f.Archive).SnapshotAsync(new SnapshotOptions { Source = "s", Tree = tree, Capsule = Demo, Workers = 1 }, cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => snapshot.WaitAsync(Hang));
        await AssertNothingCommittedAsync(f.Archive);
    }

    /// <summary>The previous version cannot be read while a long walk goes on: the walk is stopped, and the error is the archive's.</summary>
    [Fact]
    public async Task Snapshot_PreviousUnreadableDuringALongWalk_StopsTheWalkAndFailsWithTheIntegrityError()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        await DamagedFirstVersionAsync(f);

        var snapshot = new TreeSnapshotter(f.Archive).SnapshotAsync(
            new SnapshotOptions { Source = "s", Tree = new MemoryTree { WalkUntilCancelled = true }, Capsule = Demo }, default);

        Core.PreserveException e = await Assert.ThrowsAsync<Core.PreserveException>(() => snapshot.WaitAsync(Hang));
        Assert.Equal(Core.FailureKind.Integrity, e.Kind);
    }

    /// <summary>Both the walk and the previous version fail: the walk's failure (a bad root) is the one reported.</summary>
    [Fact]
    public async Task Snapshot_WalkFailsAndPreviousUnreadable_ReportsTheWalksFailure()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        await DamagedFirstVersionAsync(f);
        var bad = new Core.PreserveException(Core.FailureKind.Usage, "the root is not a directory");

        var snapshot = new TreeSnapshotter(f.Archive).SnapshotAsync(
            new SnapshotOptions { Source = "s", Tree = new MemoryTree { WalkError = bad }, Capsule = Demo }, default);

        Assert.Same(bad, await Assert.ThrowsAsync<Core.PreserveException>(() => snapshot.WaitAsync(Hang)));
    }

    private static async Task DamagedFirstVersionAsync(ArchiverFixture f)
    {
        f.Write("a", "a"u8.ToArray());
        SnapshotResult first = await new TreeSnapshotter(f.Archive).SnapshotAsync(new SnapshotOptions { Source = "s", Tree = f.Source(), Capsule = Demo }, default);
        byte[] damaged = first.Version.Bytes.ToArray();
        damaged[^2] ^= 1;
        File.WriteAllBytes(Path.Combine(f.Root, "archive", ArchiveLayout.Manifest(Demo, 1)), damaged);
    }

    [Fact]
    public async Task Snapshot_Cancelled_ThrowsCancellationAndCommitsNothing()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        using var cancel = new CancellationTokenSource();
        MemoryTree tree = ManyFiles(10, 10);
        var snapshotter = new TreeSnapshotter(f.Archive);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => snapshotter.SnapshotAsync(new SnapshotOptions { Source = "s", Tree = tree, Capsule = Demo, Workers = 1 }, cancel.Token).WaitAsync(Hang));

        await AssertNothingCommittedAsync(f.Archive);
    }

    /// <summary>
    /// A store whose blob writes fail with "no space left on device" after the first few; <paramref name="cancelFirst"/>,
    /// when given, is cancelled just before the failure (the user pressed Ctrl-C as the disk filled).
    /// </summary>
    private sealed class FailingStore(IObjectStore inner, int blobsBeforeFailure, CancellationTokenSource? cancelFirst = null) : IObjectStore
    {
        private int _blobs;

        public string Location => inner.Location;

        public StoreCapabilities Capabilities => inner.Capabilities;

        public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => inner.ExistsAsync(key, cancellationToken);

        public Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
        {
            if (key.StartsWith("blobs/", StringComparison.Ordinal) && Interlocked.Increment(ref _blobs) > blobsBeforeFailure)
            {
                cancelFirst?.Cancel();
                throw new IOException("no space left on device");
            }

            return inner.PutIfAbsentAsync(key, content, cancellationToken);
        }

        public Task<byte[]?> TryGetAsync(string key, CancellationToken cancellationToken) => inner.TryGetAsync(key, cancellationToken);

        public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (string key in inner.ListAsync(prefix, cancellationToken))
            {
                yield return key;
            }
        }

        public Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
