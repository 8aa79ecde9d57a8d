using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Storage;

/// <summary>Reads the installed-package list a capsule version keeps as a blob (FORMAT.md §5.3 <c>os.packages.list</c>).</summary>
public static class PackageLists
{
    /// <summary>The packages of <paramref name="version"/>, in the order the database held them.</summary>
    /// <exception cref="PreserveException">
    /// The version records no package list (kind NotFound: no package database was read at capture); the
    /// list's blob is missing or corrupt, or is not a package list (kind Integrity).
    /// </exception>
    public static async Task<(PackagesComponent Database, IReadOnlyList<PackageListEntry> Packages)> ReadAsync(Archive archive, LoadedManifest version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(version);
        PackagesComponent packages = version.Manifest.Components?.Os?.Packages
            ?? throw new PreserveException(FailureKind.NotFound, $"{version.Capsule}@v{version.Version} records no package list: no package database was read when it was captured (see its warnings).");
        if (!BlobId.TryParse(packages.List, out BlobId id))
        {
            throw new PreserveException(FailureKind.Integrity, $"{version.Capsule}@v{version.Version}: os.packages.list '{packages.List}' is not a blob id.");
        }

        byte[] bytes = await archive.Blobs.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return (packages, PackageList.Parse(bytes, $"{version.Capsule}@v{version.Version} package list (blob {id})"));
    }
}
