using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Engine.Archiver;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

public class TreeSnapshotterTests
{
    private static Task<SnapshotResult> SnapshotAsync(ArchiverFixture f, ITreeSource? tree = null) =>
        new TreeSnapshotter(f.Archive).SnapshotAsync(
            new SnapshotOptions { Source = f.Tree, Tree = tree ?? f.Source(), Capsule = CapsuleName.Parse("demo"), Workers = 2 },
            default);

    [Fact]
    public async Task Snapshot_FirstVersion_CommitsAManifestWhoseCatalogHoldsTheTree()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("etc/hello", "hello\n"u8.ToArray());
        f.Write("data/big", ArchiverFixture.Random(5 * 1024 * 1024, 4));

        SnapshotResult r = await SnapshotAsync(f);

        Assert.Equal(1, r.Version.Version);
        Assert.Null(r.PreviousVersion);
        LoadedManifest back = await f.Archive.ReadManifestAsync(CapsuleName.Parse("demo"), 1, default);
        Assert.Equal(r.Version.Sha256, back.Sha256);
        List<TreeEntry> catalog = TreeCatalog.ReadAll(await f.Archive.Blobs.GetAsync(BlobId.Parse(back.Manifest.Tree.Catalog), default), "catalog");
        Assert.Equal(["", "data", "data/big", "etc", "etc/hello"], catalog.Select(e => e.DisplayPath));
        Assert.Equal(BlobId.Of("hello\n"u8), catalog.Single(e => e.DisplayPath == "etc/hello").Content);
        Assert.Equal(2, r.Summary.Tree.Files);
        Assert.Equal(5 * 1024 * 1024 + 6, r.Summary.Tree.Bytes);
        Assert.Equal(r.Summary.Tree.Bytes, back.Manifest.Tree.Bytes);
        Assert.Equal(2, r.Summary.FilesRead);
        Assert.Equal(1, r.Summary.Catalog.Blobs);
        Assert.Equal(back.Manifest.Statistics.NewBlobs, r.Summary.Content.Blobs + 1);
    }

    [Fact]
    public async Task Snapshot_TreeUnchanged_ReadsNothingAndReusesTheCatalog()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("a", "a"u8.ToArray());
        f.Write("b/c", ArchiverFixture.Random(400_000, 5));
        SnapshotResult first = await SnapshotAsync(f);

        SnapshotResult second = await SnapshotAsync(f);

        Assert.Equal(1, second.PreviousVersion);
        Assert.Equal(0, second.Summary.FilesRead);
        Assert.Equal(2, second.Summary.FilesUnchanged);
        Assert.Equal(NewData.None, second.Summary.Content);
        Assert.Equal(NewData.None, second.Summary.Catalog);
        Assert.Equal(first.Version.Manifest.Tree.Catalog, second.Version.Manifest.Tree.Catalog);
    }

    [Fact]
    public async Task Snapshot_SmallChange_SplitsNewDataIntoContentAndTheTreeCatalog()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        for (int i = 0; i < 200; i++)
        {
            f.Write($"d{i % 7}/f{i}", System.Text.Encoding.UTF8.GetBytes($"file {i}\n"));
        }

        await SnapshotAsync(f);
        f.Write("d3/f3", "thirteen byte"u8.ToArray());

        SnapshotResult r = await SnapshotAsync(f);

        Assert.Equal(new NewData(1, 13, r.Summary.Content.StoredBytes), r.Summary.Content);
        Assert.Equal(1, r.Summary.Catalog.Blobs);
        Assert.Equal(r.Summary.CatalogBytes, r.Summary.Catalog.Bytes);
        Assert.True(r.Summary.Catalog.Bytes > 100 * r.Summary.Content.Bytes);
        Assert.Equal(r.Summary.Total.Bytes, r.Version.Manifest.Statistics.NewBytes);
    }

    [Fact]
    public async Task Snapshot_RootMissing_FailsWithTheWalksErrorAndCommitsNothing()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => SnapshotAsync(f, new DirectoryTreeSource(Path.Combine(f.Root, "nowhere"), [])));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Empty(await f.Archive.ListCapsulesAsync(default));
    }
}
