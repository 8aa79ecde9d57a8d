using System.Text;
using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Trees;

/// <summary>
/// <see cref="TreeLoader.ResolveAsync"/> reads the catalog the manifest names before the manifest is checked
/// (<see cref="Archive.PeekCatalogAsync"/>): that early read may be used only when the checked manifest is of the
/// same version and names the same catalog; otherwise it is stopped and waited for, and the checked one's loaded.
/// The archive is read through a <see cref="HookedStore"/> that makes the unchecked and the checked reads differ.
/// </summary>
public sealed class TreeLoaderEarlyReadTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly string V1Manifest = ArchiveLayout.Manifest(CapsuleName.Parse("test"), 1);
    private static readonly string V1Sidecar = V1Manifest + ".sha256";

    private static TreeBuilder Tree(string file)
    {
        var b = new TreeBuilder();
        b.File(file, "content of " + file);
        return b;
    }

    private static Task<Archive> OpenAsync(TestArchive a, HookedStore store) => Archive.OpenAsync(store, default);

    private static HookedStore Hooked(TestArchive a, Func<string, int, CancellationToken, Task>? beforeRead = null, Func<string, int, byte[]?, byte[]?>? answer = null) =>
        new(new FileSystemObjectStore(a["archive"])) { BeforeRead = beforeRead, Answer = answer };

    // The manifest as the unchecked read sees it: naming another catalog (its sidecar no longer matches it).
    private static byte[]? NamingCatalog(byte[]? manifest, BlobId from, BlobId to) =>
        manifest is null ? null : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(manifest).Replace(from.ToString(), to.ToString(), StringComparison.Ordinal));

    [Fact]
    public async Task ResolveAsync_UncheckedReadNamesAnotherCatalog_LoadsTheCatalogTheCheckedManifestNames()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        BlobId mine = BlobId.Parse((await a.CommitAsync(Tree("mine"))).Manifest.Tree.Catalog);
        BlobId other = BlobId.Parse((await a.CommitAsync(Tree("other"), "other")).Manifest.Tree.Catalog);
        HookedStore store = Hooked(a, answer: (key, n, bytes) => key == V1Manifest && n == 1 ? NamingCatalog(bytes, mine, other) : bytes);
        await using Archive archive = await OpenAsync(a, store);

        (LoadedManifest m, LoadedTree tree) = await TreeLoader.ResolveAsync(archive, CapsuleRef.Parse("test"), default);

        Assert.Equal((1, 1), (m.Version, tree.Version));
        Assert.Equal(mine, tree.Catalog);
        Assert.Equal(["", "mine"], tree.Entries.Select(e => e.DisplayPath));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ResolveAsync_NewerVersionCommittedAfterTheUncheckedRead_GivesTheNewerVersionsTree(bool sameCatalog)
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        await a.CommitAsync(Tree("one"));
        TreeBuilder second = Tree(sameCatalog ? "one" : "two");
        LoadedManifest? committed = null;
        HookedStore store = Hooked(a, beforeRead: async (key, n, _) =>
        {
            if (key == V1Manifest && n == 1)
            {
                committed = await a.CommitAsync(second); // another writer, between the peek's listing and the check's
            }
        });
        await using Archive archive = await OpenAsync(a, store);

        (LoadedManifest m, LoadedTree tree) = await TreeLoader.ResolveAsync(archive, CapsuleRef.Parse("test"), default);

        Assert.Equal(2, committed!.Version);
        Assert.Equal(sameCatalog, committed.Manifest.Tree.Catalog == (await archive.ReadManifestAsync(CapsuleName.Parse("test"), 1, default)).Manifest.Tree.Catalog);
        Assert.Equal(2, m.Version);
        Assert.Equal("test@v2", tree.Name);
        Assert.Equal(BlobId.Parse(committed.Manifest.Tree.Catalog), tree.Catalog);
        Assert.Equal(["", sameCatalog ? "one" : "two"], tree.Entries.Select(e => e.DisplayPath));
    }

    [Fact]
    public async Task ResolveAsync_UncheckedReadAgrees_ReadsTheCatalogOnce()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        BlobId catalog = BlobId.Parse((await a.CommitAsync(Tree("f"))).Manifest.Tree.Catalog);
        var earlyStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        HookedStore store = Hooked(a, beforeRead: async (key, _, _) =>
        {
            if (key == catalog.Key)
            {
                earlyStarted.TrySetResult();
            }
            else if (key == V1Sidecar)
            {
                await earlyStarted.Task.WaitAsync(Bound); // the check ends only once the early read is under way
            }
        });
        await using Archive archive = await OpenAsync(a, store);

        (_, LoadedTree tree) = await TreeLoader.ResolveAsync(archive, CapsuleRef.Parse("test"), default);

        Assert.Equal(catalog, tree.Catalog);
        Assert.Equal(["", "f"], tree.Entries.Select(e => e.DisplayPath));
        Assert.Equal(1, store.Reads(catalog.Key));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ResolveAsync_EarlyReadNotWanted_IsStoppedAndEndedBeforeTheCallerHearsBack(bool manifestFailsItsCheck)
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        BlobId mine = BlobId.Parse((await a.CommitAsync(Tree("mine"))).Manifest.Tree.Catalog);
        BlobId other = BlobId.Parse((await a.CommitAsync(Tree("other"), "other")).Manifest.Tree.Catalog);
        var earlyStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool earlyCancelled = false, earlyEnded = false;
        HookedStore store = Hooked(
            a,
            beforeRead: async (key, _, ct) =>
            {
                if (key == other.Key)
                {
                    earlyStarted.TrySetResult();
                    try
                    {
                        await Task.Delay(Bound, ct); // a slow store: only a cancellation ends it soon
                    }
                    catch (OperationCanceledException)
                    {
                        earlyCancelled = true;
                        throw;
                    }
                    finally
                    {
                        earlyEnded = true;
                    }
                }
                else if (key == V1Sidecar)
                {
                    await earlyStarted.Task.WaitAsync(Bound);
                }
            },
            answer: (key, n, bytes) => key == V1Manifest && (n == 1 || manifestFailsItsCheck) ? NamingCatalog(bytes, mine, other) : bytes);
        await using Archive archive = await OpenAsync(a, store);

        if (manifestFailsItsCheck)
        {
            PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => TreeLoader.ResolveAsync(archive, CapsuleRef.Parse("test"), default));
            Assert.Equal(FailureKind.Integrity, e.Kind);
            Assert.Contains("manifest.json: SHA-256 is", e.Message);
        }
        else
        {
            (_, LoadedTree tree) = await TreeLoader.ResolveAsync(archive, CapsuleRef.Parse("test"), default);
            Assert.Equal(mine, tree.Catalog);
        }

        Assert.True(earlyEnded, "the early read runs on after ResolveAsync returned");
        Assert.True(earlyCancelled, "the early read was waited for, not stopped");
    }

    [Fact]
    public async Task LoadAsync_CatalogBlobIsNotACatalog_IsAnIntegrityFailureNamingWhereAndWhoseCatalog()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        await a.CommitAsync(new TreeBuilder(), "app");
        (BlobId notACatalog, _) = await a.Archive.Blobs.PutAsync("not an SQLite database"u8.ToArray(), default);
        await a.Archive.Store.FlushAsync(default);
        LoadedManifest m = await a.Archive.CommitAsync(
            new Manifest
            {
                Capsule = "app",
                Created = ArchiveTime.Format(DateTimeOffset.UtcNow),
                Producer = new Producer("test", "1", "h", "u"),
                Tree = new TreeSummary { Catalog = notACatalog.ToString(), Source = "built by the test", Entries = 1 },
                Statistics = new SnapshotStatistics(),
            },
            null,
            default);

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => TreeLoader.LoadAsync(a.Archive, m, default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Equal($"{a.Archive.Location}/{notACatalog.Key} (catalog of app@v2): the tree catalog is not an SQLite 3 database.", e.Message);
    }

    [Fact]
    public async Task LoadAndResolve_NullArguments_AreRefusedAtTheCall()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        LoadedManifest m = await a.CommitAsync(new TreeBuilder());

        Assert.Equal("archive", Assert.Throws<ArgumentNullException>(() => { _ = TreeLoader.LoadAsync(null!, m, default); }).ParamName);
        Assert.Equal("version", Assert.Throws<ArgumentNullException>(() => { _ = TreeLoader.LoadAsync(a.Archive, null!, default); }).ParamName);
        Assert.Equal("archive", (await Assert.ThrowsAsync<ArgumentNullException>(() => TreeLoader.ResolveAsync(null!, CapsuleRef.Parse("test"), default))).ParamName);
    }
}
