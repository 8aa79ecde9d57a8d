namespace CernVM.Preserve.Curation.Packages;

/// <summary>A pinned requirement met by an installed package of exactly the pinned version.</summary>
public sealed record PinnedPackage(PackageRequirement Requirement, InstalledPackage Installed);

/// <summary>A pinned package installed at another version: <see cref="Expected"/> versus <see cref="Actual"/>.</summary>
public sealed record PinDeviation(PackageRequirement Requirement, IReadOnlyList<InstalledPackage> Actual)
{
    /// <summary>The pinned <c>[epoch:]version-release</c>.</summary>
    public string Expected => Requirement.Version;

    public override string ToString() =>
        $"{Requirement.Name}: expected {Expected}, installed {string.Join(", ", Actual.Select(a => a.EpochVersionRelease))}";
}

/// <summary>How far an installed system departs from the exact versions a metapackage pins.</summary>
/// <param name="Metapackage">The metapackage whose requirements were taken as the pin.</param>
/// <param name="Satisfied">Pins met by an installed package of that exact version.</param>
/// <param name="Deviations">Pins whose package is installed at other versions only.</param>
/// <param name="Missing">Pins whose package is not installed at all.</param>
/// <param name="NotPins">Requirements that are not exact-version pins (ranges, unversioned names, rpmlib() capabilities, file paths, alternatives); ignored.</param>
public sealed record PinReport(
    InstalledPackage Metapackage,
    IReadOnlyList<PinnedPackage> Satisfied,
    IReadOnlyList<PinDeviation> Deviations,
    IReadOnlyList<PackageRequirement> Missing,
    IReadOnlyList<PackageRequirement> NotPins)
{
    /// <summary>True when every pin is satisfied.</summary>
    public bool IsConsistent => Deviations.Count == 0 && Missing.Count == 0;
}

/// <summary>
/// Checks an installed system against a metapackage that pins exact versions (CernVM's <c>cernvm-system</c>
/// requires <c>name = [epoch:]version-release</c> for every package of the release).
/// </summary>
public static class PinCheck
{
    /// <summary>
    /// Takes the exact-version requirements of <paramref name="metapackage"/> as the pin and compares each
    /// with the installed package of that name, using the version rules of the database's format.
    /// </summary>
    /// <remarks>
    /// A pin is matched by package name, not by provided capability: a pin names the package the release
    /// shipped. A pin without a release (<c>= 1.0</c>) accepts any release, and a missing epoch counts as 0,
    /// as in rpm's dependency comparison. When several versions of the metapackage are installed, the
    /// newest one is used.
    /// </remarks>
    /// <exception cref="PackageDatabaseException">The metapackage is not installed.</exception>
    public static PinReport Evaluate(PackageDatabase database, string metapackage)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(metapackage);

        // Packages are sorted by name, then version, so the last match is the newest.
        InstalledPackage meta = database.Packages.LastOrDefault(p => p.Name == metapackage)
            ?? throw new PackageDatabaseException(
                $"The metapackage {metapackage} is not installed according to {database.Path}; a pin check needs it.")
            {
                DatabasePath = database.Path,
            };

        ILookup<string, InstalledPackage> byName = database.Packages.ToLookup(p => p.Name, StringComparer.Ordinal);
        var satisfied = new List<PinnedPackage>();
        var deviations = new List<PinDeviation>();
        var missing = new List<PackageRequirement>();
        var notPins = new List<PackageRequirement>();
        foreach (PackageRequirement requirement in meta.Requires)
        {
            if (!IsPin(requirement))
            {
                notPins.Add(requirement);
                continue;
            }

            InstalledPackage[] installed = [.. byName[requirement.Name]];
            InstalledPackage? match = installed.FirstOrDefault(p => Matches(database.Format, requirement.Version, p));
            if (match is not null)
            {
                satisfied.Add(new PinnedPackage(requirement, match));
            }
            else if (installed.Length > 0)
            {
                deviations.Add(new PinDeviation(requirement, installed));
            }
            else
            {
                missing.Add(requirement);
            }
        }

        return new PinReport(meta, satisfied, deviations, missing, notPins);
    }

    private static bool IsPin(PackageRequirement r) =>
        r.Comparison == RequirementComparison.Equal
        && r.Version.Length > 0
        && r.Alternatives.Count == 0
        && !r.IsRpmLibCapability
        && !r.Name.StartsWith('/')
        && !r.Name.StartsWith('(');

    private static bool Matches(PackageDatabaseFormat format, string pinned, InstalledPackage p)
    {
        if (!format.IsRpm)
        {
            return DebianVersion.Compare(pinned, p.EpochVersionRelease) == 0;
        }

        return Evr.TryParse(pinned, out Evr expected)
            && RpmVersion.Compare(expected, new Evr(p.Epoch, p.Version, p.Release)) == 0;
    }
}
