using CernVM.Preserve.Curation.Packages;

namespace CernVM.Preserve.Curation.Tests.Packages;

internal static class PackageTsv
{
    /// <summary>The package list in the form of <c>rpm -qa --qf '%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n'</c>, sorted.</summary>
    public static string[] Lines(PackageDatabase database) =>
        [.. database.Packages
            .Select(p => $"{p.Name}\t{(p.Epoch is int e ? e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "(none)")}\t{p.Version}\t{p.Release}\t{p.Architecture ?? "(none)"}")
            .Order(StringComparer.Ordinal)];
}
