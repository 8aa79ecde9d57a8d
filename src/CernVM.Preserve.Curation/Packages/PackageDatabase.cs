namespace CernVM.Preserve.Curation.Packages;

/// <summary>The contents of one installed-package database, as read natively.</summary>
/// <param name="Format">The on-disk format the database was read from.</param>
/// <param name="Path">The database file that was read.</param>
/// <param name="Packages">The installed packages, sorted by name (ordinal), then version, then architecture.</param>
public sealed record PackageDatabase(PackageDatabaseFormat Format, string Path, IReadOnlyList<InstalledPackage> Packages)
{
    internal static PackageDatabase Create(PackageDatabaseFormat format, string path, IEnumerable<InstalledPackage> packages)
    {
        List<InstalledPackage> sorted = [.. packages];
        sorted.Sort((a, b) =>
        {
            int c = string.CompareOrdinal(a.Name, b.Name);
            if (c != 0)
            {
                return c;
            }

            c = format.IsRpm
                ? RpmVersion.Compare(new Evr(a.Epoch, a.Version, a.Release), new Evr(b.Epoch, b.Version, b.Release))
                : DebianVersion.Compare(a.EpochVersionRelease, b.EpochVersionRelease);
            return c != 0 ? c : string.CompareOrdinal(a.Architecture, b.Architecture);
        });
        return new PackageDatabase(format, path, sorted);
    }
}
