using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Engine.Archiver;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

/// <summary>
/// The phase the monitor shows (the progress display prints it) at each step that belongs to one phase
/// only: files are opened while "reading", the catalog is stored while "cataloguing", the blobs are made
/// durable while "committing", the manifest and the event are written while "writing manifest", and the
/// snapshot ends "done".
/// </summary>
public sealed class TreeSnapshotterPhaseTests
{
    [Fact]
    public async Task Snapshot_EachStep_HappensInItsPhase()
    {
        string dir = Directory.CreateTempSubdirectory("cvmp-snapshot-phases-").FullName;
        var monitor = new SnapshotMonitor();
        monitor.Phase = "done"; // a monitor used before
        var store = new PhaseStore(new FileSystemObjectStore(Path.Combine(dir, "archive")), monitor);
        Archive archive = await Archive.InitAsync(store, null, default);
        try
        {
            var opened = new ConcurrentQueue<string>();
            string? walking = null;
            var tree = new MemoryTree { Opening = _ => opened.Enqueue(monitor.Phase), Walking = () => walking = monitor.Phase };
            tree.Add("a", "alpha");
            tree.Add("b", ArchiverFixture.Random(300_000, 40));
            store.Watching = true;

            SnapshotResult r = await new TreeSnapshotter(archive, monitor).SnapshotAsync(
                new SnapshotOptions { Source = "s", Tree = tree, Capsule = CapsuleName.Parse("demo"), Workers = 1 }, default);

            // The walk and the loading of the previous version run side by side: reading starts when the loading is over.
            Assert.Contains(walking, new[] { "walking", "reading" });
            Assert.Equal(["reading", "reading"], opened);
            Assert.Equal("cataloguing", store.PhaseOf(BlobId.Parse(r.Version.Manifest.Tree.Catalog).Key));
            Assert.Equal("writing manifest", store.PhaseOf(ArchiveLayout.Manifest(r.Version.Capsule, 1)));
            Assert.Equal("writing manifest", store.PhaseOf(ArchiveLayout.ManifestSidecar(r.Version.Capsule, 1)));
            Assert.Equal("writing manifest", store.PhaseOf(store.Written.Keys.Single(k => k.StartsWith("journal/", StringComparison.Ordinal))));
            Assert.Contains("committing", store.Flushes);
            Assert.Equal("done", monitor.Phase);
        }
        finally
        {
            await archive.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A store that notes the monitor's phase at each write and each flush.</summary>
    private sealed class PhaseStore(IObjectStore inner, SnapshotMonitor monitor) : IObjectStore
    {
        public bool Watching { get; set; }

        public ConcurrentDictionary<string, string> Written { get; } = new(StringComparer.Ordinal);

        public ConcurrentQueue<string> Flushes { get; } = new();

        public string PhaseOf(string key) => Written[key];

        public string Location => inner.Location;

        public StoreCapabilities Capabilities => inner.Capabilities;

        public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => inner.ExistsAsync(key, cancellationToken);

        public Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
        {
            if (Watching)
            {
                Written.TryAdd(key, monitor.Phase);
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

        public Task FlushAsync(CancellationToken cancellationToken)
        {
            if (Watching)
            {
                Flushes.Enqueue(monitor.Phase);
            }

            return inner.FlushAsync(cancellationToken);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
