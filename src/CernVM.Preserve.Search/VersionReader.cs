using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Search;

/// <summary>Reads what the index records of one version from the archive: checked manifest, package list, tree.</summary>
public static class VersionReader
{
    public static async Task<VersionContent> ReadAsync(Archive archive, LoadedManifest version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(version);
        Task<LoadedTree> tree = TreeLoader.LoadAsync(archive, version, cancellationToken);
        IReadOnlyList<PackageListEntry> packages = [];
        if (version.Manifest.Components?.Os?.Packages is not null)
        {
            (_, packages) = await PackageLists.ReadAsync(archive, version, cancellationToken).ConfigureAwait(false);
        }

        LoadedTree t = await tree.ConfigureAwait(false);
        var paths = new List<string>(Math.Min(t.Entries.Count, IndexLimits.MaxPathsPerVersion));
        foreach (TreeEntry e in t.Entries)
        {
            if (e.Path.Length == 0)
            {
                continue; // the root itself
            }

            if (paths.Count == IndexLimits.MaxPathsPerVersion)
            {
                break;
            }

            paths.Add("/" + e.DisplayPath);
        }

        paths.Sort(StringComparer.Ordinal);
        VersionFacts facts = VersionFacts.From(version.Capsule.Value, version.Version, version.Sha256, version.Manifest, t.Entries.Count - 1);
        return new VersionContent(facts, packages, paths);
    }
}
