using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Trees;

public sealed class TreeLoaderTests
{
    [Fact]
    public async Task LoadAsync_CommittedTree_GivesEveryEntryInIdOrder()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.Dir("etc");
        b.File("etc/hosts", "127.0.0.1 localhost\n");
        b.Symlink("hosts", "etc/hosts");
        LoadedManifest m = await a.CommitAsync(b);

        LoadedTree tree = await TreeLoader.LoadAsync(a.Archive, m, default);

        Assert.Equal("test@v1", tree.Name);
        Assert.Equal(BlobId.Parse(m.Manifest.Tree.Catalog), tree.Catalog);
        Assert.Equal(["", "etc", "etc/hosts", "hosts"], tree.Entries.Select(e => e.DisplayPath));
        Assert.Equal("etc/hosts", tree.Resolve("/etc/hosts").DisplayPath);
        Assert.Equal("etc/hosts", tree.Resolve("etc/hosts/").DisplayPath);
        Assert.Equal(1, tree.Resolve("/").Id);
    }

    [Fact]
    public async Task ChildrenAndDescendants_OfADirectory_AreWhatLsShows()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.Dir("usr");
        b.Dir("usr/bin");
        b.File("usr/bin/sh", "#!");
        b.File("usr/README", "r");
        b.Dir("usrlocal");
        LoadedTree tree = await TreeLoader.LoadAsync(a.Archive, await a.CommitAsync(b), default);

        Assert.Equal(["usr/README", "usr/bin"], tree.Children(tree.Resolve("/usr")).Select(e => e.DisplayPath).Order(StringComparer.Ordinal));
        Assert.Equal(["usr/README", "usr/bin", "usr/bin/sh"], tree.Descendants(tree.Resolve("usr")).Select(e => e.DisplayPath).Order(StringComparer.Ordinal));
        Assert.Equal(5, tree.Descendants(tree.Resolve("/")).Count());
        Assert.Equal("usr/bin/sh", tree.FirstName(tree.Resolve("usr/bin/sh")).DisplayPath);
    }

    [Fact]
    public async Task Resolve_PathNotInTheTree_IsNotFoundNamingTheVersion()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        LoadedTree tree = await TreeLoader.LoadAsync(a.Archive, await a.CommitAsync(new TreeBuilder()), default);

        PreserveException e = Assert.Throws<PreserveException>(() => tree.Resolve("/no/such"));

        Assert.Equal(FailureKind.NotFound, e.Kind);
        Assert.Contains("test@v1 has no entry '/no/such'", e.Message);
    }

    [Fact]
    public async Task ResolveAsync_NewestVersion_GivesItsManifestAndItsTree()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var first = new TreeBuilder();
        first.File("a", "one");
        await a.CommitAsync(first);
        var second = new TreeBuilder();
        second.File("b", "two");
        await a.CommitAsync(second);

        (LoadedManifest m, LoadedTree tree) = await TreeLoader.ResolveAsync(a.Archive, CapsuleRef.Parse("test"), default);

        Assert.Equal(2, m.Version);
        Assert.Equal(2, tree.Version);
        Assert.NotNull(tree.Find("b"u8));
        Assert.Null(tree.Find("a"u8));
    }

    [Fact]
    public async Task ResolveAsync_NoSuchVersion_FailsAsTheManifestCheckSays()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        await a.CommitAsync(new TreeBuilder());

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => TreeLoader.ResolveAsync(a.Archive, CapsuleRef.Parse("test@v7"), default));

        Assert.Equal(FailureKind.NotFound, e.Kind);
        Assert.Contains("v7", e.Message);
    }

    [Fact]
    public async Task ResolveAsync_ManifestFailsItsSidecar_IsRefusedThoughItsCatalogWasReadEarly()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.File("f", "x");
        await a.CommitAsync(b, "tampered");
        string manifest = Path.Combine(a["archive"], "capsules", "tampered", "v1", "manifest.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("built by the test", "built by someone else"));

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => TreeLoader.ResolveAsync(a.Archive, CapsuleRef.Parse("tampered"), default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains("manifest.json", e.Message);
    }

    [Fact]
    public async Task LoadAsync_CatalogBlobMissing_IsAnIntegrityFailureNamingTheCatalog()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        LoadedManifest m = await a.CommitAsync(new TreeBuilder());
        string catalog = m.Manifest.Tree.Catalog;
        File.Delete(Path.Combine(a["archive"], "blobs", "sha256", catalog[..2], catalog));

        PreserveException e = await Assert.ThrowsAsync<BlobMissingException>(() => TreeLoader.LoadAsync(a.Archive, m, default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains(catalog, e.Message);
    }
}
