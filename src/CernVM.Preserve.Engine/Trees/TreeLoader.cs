using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Diagnostics;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Engine.Trees;

/// <summary>
/// The one way to read a version's tree: its catalog blob fetched and verified against its SHA-256, read as a
/// format-1 tree catalog (FORMAT.md §6) and checked for structure by the reader (the shared <c>TreeCatalogInvariants</c>).
/// </summary>
public static class TreeLoader
{
    /// <summary>Loads the tree the checked manifest <paramref name="version"/> names.</summary>
    /// <exception cref="PreserveException">The catalog is missing, corrupt or not a valid tree catalog (kind Integrity).</exception>
    public static Task<LoadedTree> LoadAsync(Archive archive, LoadedManifest version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(version);
        return LoadAsync(archive, version.Capsule, version.Version, BlobId.Parse(version.Manifest.Tree.Catalog), cancellationToken);
    }

    /// <summary>
    /// Resolves NAME or NAME@vN and loads its tree, fetching and reading the catalog on the thread pool while
    /// the manifest is checked (sidecar, schema, signature). The early read is used only when the checked
    /// manifest names the same catalog (FORMAT.md §5.1: nothing is trusted before that check).
    /// </summary>
    public static async Task<(LoadedManifest Version, LoadedTree Tree)> ResolveAsync(Archive archive, CapsuleRef reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        (int Version, BlobId Catalog)? peek = await archive.PeekCatalogAsync(reference, cancellationToken).ConfigureAwait(false);
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<LoadedTree>? early = peek is (int v, BlobId id)
            ? Task.Run(() => LoadAsync(archive, reference.Name, v, id, abandon.Token), abandon.Token)
            : null;
        LoadedManifest manifest;
        try
        {
            manifest = await archive.ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await AbandonAsync(abandon, early).ConfigureAwait(false);
            throw;
        }

        if (early is not null && peek is (int pv, BlobId pid) && pv == manifest.Version &&
            BlobId.TryParse(manifest.Manifest.Tree.Catalog, out BlobId named) && named == pid)
        {
            return (manifest, await early.ConfigureAwait(false));
        }

        await AbandonAsync(abandon, early).ConfigureAwait(false);
        return (manifest, await LoadAsync(archive, manifest, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<LoadedTree> LoadAsync(Archive archive, CapsuleName capsule, int version, BlobId catalog, CancellationToken cancellationToken)
    {
        string what = $"{archive.Location}/{catalog.Key} (catalog of {capsule}@v{version})";
        byte[] bytes = await archive.Blobs.GetAsync(catalog, cancellationToken).ConfigureAwait(false);
        // ReadAll refuses a catalog that breaks FORMAT.md §6 (TreeCatalogInvariants, the writer's own rules).
        List<TreeEntry> entries = TreeCatalog.ReadAll(bytes, what);
        Timeline.Mark("tree: catalog loaded");
        return new LoadedTree(capsule, version, catalog, entries);
    }

    // An early read whose result is not wanted is stopped and waited for, so that nothing runs on after the
    // caller has moved on; its failure is not the caller's.
    private static async Task AbandonAsync(CancellationTokenSource abandon, Task<LoadedTree>? early)
    {
        if (early is null)
        {
            return;
        }

        await abandon.CancelAsync().ConfigureAwait(false);
        try
        {
            await early.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Unwanted: the manifest's check decides what the caller hears.
        }
    }
}
