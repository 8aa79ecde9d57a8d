using Xunit;

namespace CernVM.Preserve.Curation.Tests.Packages;

/// <summary>Finds the shared real-data folder that sits beside the repository root (never copied into it).</summary>
internal static class RealData
{
    public static string Directory { get; } = Locate();

    public static string RpmDb(string name) => Path.Combine(Directory, "rpmdb", name);

    /// <summary>Reads an <c>expected-packages.tsv</c> (name, epoch, version, release, arch from <c>rpm -qa</c>), sorted.</summary>
    public static string[] ExpectedPackages(string databaseDirectory) =>
        [.. File.ReadAllLines(Path.Combine(databaseDirectory, "expected-packages.tsv"))
            .Where(l => l.Length > 0)
            .Order(StringComparer.Ordinal)];

    private static string Locate()
    {
        DirectoryInfo? dir = new(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CernVM.Preserve.sln")))
        {
            dir = dir.Parent;
        }

        Assert.True(dir is not null, $"No directory containing CernVM.Preserve.sln above {AppContext.BaseDirectory}.");
        string shared = Path.GetFullPath(Path.Combine(dir!.FullName, "..", "shared", "real-data"));
        Assert.True(System.IO.Directory.Exists(Path.Combine(shared, "rpmdb")),
            $"The real-data folder {shared} (with rpmdb/) is missing: it must sit beside the repository root as ../shared/real-data.");
        return shared;
    }
}
