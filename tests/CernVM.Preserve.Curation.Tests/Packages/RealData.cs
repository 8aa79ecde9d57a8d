using Xunit;

namespace CernVM.Preserve.Curation.Tests.Packages;

/// <summary>Finds the real artefacts made by other software in <c>fixtures/real-data</c> (provenance and licences: fixtures/README.md).</summary>
internal static class RealData
{
    public static string Directory { get; } = Locate();

    public static string RpmDb(string name) => Path.Combine(Directory, "rpmdb", name);

    /// <summary>
    /// A private copy of the SQLite rpm database (<c>cbl-mariner2-sqlite</c>): the fixture is in WAL mode, and
    /// SQLite, even opening it read-only, leaves <c>-wal</c> and <c>-shm</c> files beside it.
    /// </summary>
    public static string SqliteRpmDbCopy()
    {
        string copy = Path.Combine(Path.GetTempPath(), $"rpmdb-{Guid.NewGuid():N}.sqlite");
        File.Copy(Path.Combine(RpmDb("cbl-mariner2-sqlite"), "rpmdb.sqlite"), copy);
        return copy;
    }

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
        string folder = Path.Combine(dir!.FullName, "fixtures", "real-data");
        Assert.True(System.IO.Directory.Exists(Path.Combine(folder, "rpmdb")),
            $"The real-data fixtures {folder} (with rpmdb/) are missing from the checkout.");
        return folder;
    }
}
