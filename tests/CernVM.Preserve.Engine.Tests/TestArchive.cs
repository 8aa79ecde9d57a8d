using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Engine.Tests;

/// <summary>A real directory archive (FileSystemObjectStore) in a temporary directory, removed at the end.</summary>
public sealed class TestArchive : IAsyncDisposable
{
    private TestArchive(string dir, Archive archive)
    {
        Dir = dir;
        Archive = archive;
    }

    /// <summary>The temporary directory: the archive is in "archive", the rest is the test's.</summary>
    public string Dir { get; }

    public Archive Archive { get; }

    public string this[string relative] => Path.Combine(Dir, relative);

    public static async Task<TestArchive> CreateAsync()
    {
        string dir = Directory.CreateTempSubdirectory("cvmp-engine-").FullName;
        Archive archive = await Archive.InitAsync(new FileSystemObjectStore(Path.Combine(dir, "archive")), null, default);
        return new TestArchive(dir, archive);
    }

    /// <summary>Stores the tree's blobs (no catalog, no version) and gives the tree as given, its catalog's checks not applied.</summary>
    public async Task<Engine.Trees.LoadedTree> StoreAsync(TreeBuilder tree)
    {
        foreach (byte[] blob in tree.Blobs.Values)
        {
            await Archive.Blobs.PutAsync(blob, default);
        }

        await Archive.Store.FlushAsync(default);
        return new Engine.Trees.LoadedTree(CapsuleName.Parse("t"), 1, BlobId.Of([1]), tree.Entries);
    }

    /// <summary>Stores the tree's blobs and its catalog, written by the catalog writer, and commits a version of <paramref name="capsule"/>.</summary>
    public async Task<LoadedManifest> CommitAsync(TreeBuilder tree, string capsule = "test", bool withBlobs = true)
    {
        if (withBlobs)
        {
            foreach (byte[] blob in tree.Blobs.Values)
            {
                await Archive.Blobs.PutAsync(blob, default);
            }
        }

        (BlobId catalog, _) = await Archive.Blobs.PutAsync(TreeCatalog.Write(tree.Entries), default);
        await Archive.Store.FlushAsync(default);
        return await Archive.CommitAsync(
            new Manifest
            {
                Capsule = capsule,
                Created = ArchiveTime.Format(DateTimeOffset.UtcNow),
                Producer = new Producer("test", "1", "h", "u"),
                Tree = new TreeSummary { Catalog = catalog.ToString(), Source = "built by the test", Entries = tree.Entries.Count },
                Statistics = new SnapshotStatistics(),
            },
            null,
            default);
    }

    public async ValueTask DisposeAsync()
    {
        await Archive.DisposeAsync();
        Directory.Delete(Dir, recursive: true);
    }
}
