using CernVM.Preserve.Curation.Packages;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Packages;

public sealed class RpmDatabaseReaderTests
{
    [Fact]
    public void Read_RealEl8BerkeleyDb_GivesExactlyRpmQaList()
    {
        string dir = RealData.RpmDb("el8-libuuid-bdb");

        PackageDatabase db = RpmBerkeleyDbReader.Read(Path.Combine(dir, "Packages"));

        Assert.Equal(PackageDatabaseFormat.RpmBerkeleyDb, db.Format);
        Assert.Equal(RealData.ExpectedPackages(dir), PackageTsv.Lines(db));
        InstalledPackage libuuid = Assert.Single(db.Packages);
        Assert.NotNull(libuuid.HeaderSha1);
        Assert.Matches("^[0-9a-f]{40}$", libuuid.HeaderSha1);
        Assert.NotNull(libuuid.InstallTime);
        Assert.True(libuuid.Size > 0);
        Assert.Contains(libuuid.Requires, r => r.Name == "libc.so.6()(64bit)");
        Assert.Contains(libuuid.Requires, r => r.IsRpmLibCapability);
    }

    [Fact]
    public void Read_RealMarinerSqlite_GivesExactlyRpmQaList()
    {
        string dir = RealData.RpmDb("cbl-mariner2-sqlite");

        PackageDatabase db = RpmSqliteDatabaseReader.Read(Path.Combine(dir, "rpmdb.sqlite"));

        Assert.Equal(PackageDatabaseFormat.RpmSqlite, db.Format);
        Assert.Equal(RealData.ExpectedPackages(dir), PackageTsv.Lines(db));
        Assert.Equal(129, db.Packages.Count);
        Assert.Equal(db.Packages.Select(p => p.Name).Order(StringComparer.Ordinal), db.Packages.Select(p => p.Name));
        Assert.All(db.Packages, p => Assert.True(p.HeaderSha256 is null || p.HeaderSha256.Length == 64));
        Assert.Contains(db.Packages, p => p.HeaderSha256 is not null);
        InstalledPackage bash = Assert.Single(db.Packages, p => p.Name == "bash");
        Assert.Contains(bash.Requires, r => r.Comparison == RequirementComparison.LessOrEqual && r.Name.StartsWith("rpmlib(", StringComparison.Ordinal));
        Assert.False(string.IsNullOrEmpty(bash.Summary));
        Assert.False(string.IsNullOrEmpty(bash.License));
    }

    [Fact]
    public void Read_SqliteInWritableDirectory_CreatesNoFilesBesideDatabase()
    {
        using var dir = new TemporaryDirectory();
        string path = Path.Combine(dir.Path, "rpmdb.sqlite");
        File.Copy(Path.Combine(RealData.RpmDb("cbl-mariner2-sqlite"), "rpmdb.sqlite"), path);
        File.SetAttributes(path, FileAttributes.ReadOnly);

        PackageDatabase db = RpmSqliteDatabaseReader.Read(path);

        Assert.Equal(129, db.Packages.Count);
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Read_TreeWithOnlyNdbDatabase_ThrowsSayingNdbIsUnsupported()
    {
        using var tree = new TemporaryDirectory();
        string rpm = Directory.CreateDirectory(Path.Combine(tree.Path, "var", "lib", "rpm")).FullName;
        File.WriteAllBytes(Path.Combine(rpm, "Packages.db"), new byte[4096]);

        var e = Assert.Throws<PackageDatabaseException>(() => PackageDatabaseDetector.Read(tree.Path));

        Assert.Contains("ndb", e.Message, StringComparison.Ordinal);
        Assert.Contains("Packages.db", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Locate_TreeWithAbsoluteVarLibRpmSymlink_ResolvesInsideTreeNotHost()
    {
        using var tree = new TemporaryDirectory();
        string sysimage = Directory.CreateDirectory(Path.Combine(tree.Path, "usr", "lib", "sysimage", "rpm")).FullName;
        File.Copy(Path.Combine(RealData.RpmDb("cbl-mariner2-sqlite"), "rpmdb.sqlite"), Path.Combine(sysimage, "rpmdb.sqlite"));
        Directory.CreateDirectory(Path.Combine(tree.Path, "var", "lib"));

        // Fedora's layout: var/lib/rpm -> /usr/lib/sysimage/rpm, absolute, meant for inside the tree.
        File.CreateSymbolicLink(Path.Combine(tree.Path, "var", "lib", "rpm"), "/usr/lib/sysimage/rpm");

        IReadOnlyList<PackageDatabaseLocation> found = PackageDatabaseDetector.Locate(tree.Path);
        PackageDatabase db = PackageDatabaseDetector.Read(tree.Path);

        PackageDatabaseLocation location = Assert.Single(found);
        Assert.Equal(Path.Combine(sysimage, "rpmdb.sqlite"), location.Path);
        Assert.Equal(129, db.Packages.Count);
    }

    [Fact]
    public void Read_TreeWithBerkeleyDbPackages_DetectorPicksRpmBdb()
    {
        using var tree = new TemporaryDirectory();
        string rpm = Directory.CreateDirectory(Path.Combine(tree.Path, "var", "lib", "rpm")).FullName;
        File.Copy(Path.Combine(RealData.RpmDb("el8-libuuid-bdb"), "Packages"), Path.Combine(rpm, "Packages"));

        PackageDatabase db = PackageDatabaseDetector.Read(tree.Path);

        Assert.Equal(PackageDatabaseFormat.RpmBerkeleyDb, db.Format);
        Assert.Equal("libuuid", Assert.Single(db.Packages).Name);
    }

    [Fact]
    public void Read_TreeWithoutDatabase_ThrowsNamingTheLocationsTried()
    {
        using var tree = new TemporaryDirectory();

        var e = Assert.Throws<PackageDatabaseException>(() => PackageDatabaseDetector.Read(tree.Path));

        Assert.Contains("var/lib/dpkg/status", e.Message, StringComparison.Ordinal);
        Assert.Empty(PackageDatabaseDetector.Locate(tree.Path));
    }
}
