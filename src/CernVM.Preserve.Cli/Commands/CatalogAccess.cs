using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

/// <summary>Loads the tree catalog of a version, and finds paths in it the way users write them.</summary>
public static class CatalogAccess
{
    public static async Task<List<TreeEntry>> LoadAsync(Archive archive, LoadedManifest m, CancellationToken cancellationToken)
    {
        BlobId id = BlobId.Parse(m.Manifest.Tree.Catalog);
        byte[] bytes = await archive.Blobs.GetAsync(id, cancellationToken);
        return TreeCatalog.ReadAll(bytes, $"{archive.Location}/{id.Key} (catalog of {m.Capsule}@v{m.Version})");
    }

    /// <summary>"/usr/bin", "usr/bin" and "/" name entries; invalid UTF-8 is written as \xHH.</summary>
    public static byte[] ParsePath(string? text)
    {
        string t = (text ?? "").Trim('/');
        return t.Length == 0 ? [] : PathBytes.FromDisplay(t);
    }

    public static TreeEntry Find(List<TreeEntry> entries, string? text, LoadedManifest m)
    {
        byte[] path = ParsePath(text);
        return entries.FirstOrDefault(e => e.Path.AsSpan().SequenceEqual(path))
            ?? throw new PreserveException(FailureKind.NotFound, $"{m.Capsule}@v{m.Version} has no entry '/{PathBytes.ToDisplay(path)}'.");
    }
}
