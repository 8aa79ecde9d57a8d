namespace CernVM.Preserve.Core.Format;

/// <summary>
/// The blob that <see cref="PackagesComponent.List"/> names (FORMAT.md §5.3): every installed package as a
/// canonical JSON array of <see cref="PackageListEntry"/>, in the database's order.
/// </summary>
public static class PackageList
{
    /// <summary>The blob's bytes (FORMAT.md §1.3: same list, same bytes).</summary>
    public static byte[] Serialize(IEnumerable<PackageListEntry> packages) => CanonicalJson.Serialize(packages.ToList());

    /// <summary>Reads a package list blob; <paramref name="what"/> names it in the error.</summary>
    /// <exception cref="PreserveException">Not a JSON array of packages (kind Integrity).</exception>
    public static IReadOnlyList<PackageListEntry> Parse(ReadOnlySpan<byte> utf8, string what) =>
        CanonicalJson.Deserialize<List<PackageListEntry>>(utf8, what);
}
