using System.Diagnostics;
using CernVM.Preserve.Curation.Packages;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Packages;

public sealed class DpkgStatusReaderTests
{
    private const string Fixture = """
        Package: libfoo1
        Status: install ok installed
        Priority: optional
        Section: libs
        Installed-Size: 120
        Maintainer: Someone <someone@example.org>
        Architecture: amd64
        Multi-Arch: same
        Source: foo (1.2-3)
        Version: 1:1.2.3-4+deb12u1
        Pre-Depends: dpkg (>= 1.15.6~)
        Depends: libc6 (>= 2.34), zlib1g:any (>> 1:1.1.4)
          , libbar2 | libbaz2 (= 0.5-1),
         libqux (<< 3)
        Description: the foo library
         This long description spans
         several continuation lines.
         .
         With a paragraph break.

        Package: halfway
        Status: install reinstreq half-installed
        Architecture: all
        Version: 0.1-1

        Package: held
        Status: hold ok installed
        Architecture: all
        Version: 2.0
        Description: a native package on hold

        Package: removed-conf
        Status: deinstall ok config-files
        Architecture: amd64
        Version: 3.0-1
        """;

    [Fact]
    public void Read_FixtureWithContinuationLines_ParsesFieldsAndRelations()
    {
        PackageDatabase db = DpkgStatusReader.Read(new StringReader(Fixture), "fixture/status");

        Assert.Equal(["held", "libfoo1"], db.Packages.Select(p => p.Name));
        InstalledPackage foo = db.Packages[1];
        Assert.Equal(1, foo.Epoch);
        Assert.Equal("1.2.3", foo.Version);
        Assert.Equal("4+deb12u1", foo.Release);
        Assert.Equal("1:1.2.3-4+deb12u1", foo.EpochVersionRelease);
        Assert.Equal("amd64", foo.Architecture);
        Assert.Equal(120 * 1024, foo.Size);
        Assert.Equal("the foo library", foo.Summary);
        Assert.Equal(PackageDatabaseFormat.Dpkg, foo.SourceFormat);
        Assert.Equal(
            ["dpkg >= 1.15.6~", "libc6 >= 2.34", "zlib1g > 1:1.1.4", "libbar2", "libqux < 3"],
            foo.Requires.Select(r => r.ToString()));
        PackageRequirement alternative = Assert.Single(foo.Requires[3].Alternatives);
        Assert.Equal(new PackageRequirement("libbaz2", RequirementComparison.Equal, "0.5-1"), alternative);

        InstalledPackage held = db.Packages[0];
        Assert.Null(held.Epoch);
        Assert.Equal("", held.Release);
        Assert.Equal("2.0", held.EpochVersionRelease);
    }

    [Fact]
    public void Read_ContinuationBeforeAnyField_ThrowsNamingFileAndLine()
    {
        var e = Assert.Throws<PackageDatabaseException>(() => DpkgStatusReader.Read(new StringReader(" stray\nPackage: x\n"), "fixture/status"));

        Assert.Contains("fixture/status", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_InstalledPackageWithoutVersion_ThrowsNamingPackage()
    {
        var e = Assert.Throws<PackageDatabaseException>(() =>
            DpkgStatusReader.Read(new StringReader("Package: x\nStatus: install ok installed\n"), "fixture/status"));

        Assert.Contains("package x", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ThisMachinesStatusFile_MatchesDpkgQuery()
    {
        const string status = "/var/lib/dpkg/status";
        Assert.True(File.Exists(status), "This test reads the dpkg database of the machine it runs on; /var/lib/dpkg/status is missing.");

        // Installed = the current state (second letter of db:Status-Abbrev) is 'i', whatever is wanted.
        string[] expected = [.. Run("dpkg-query", "-W", "-f", "${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t'))
            .Where(f => f[3].Length >= 2 && f[3][1] == 'i')
            .Select(f => $"{f[0]}\t{f[1]}\t{f[2]}")
            .Order(StringComparer.Ordinal)];

        PackageDatabase db = DpkgStatusReader.Read(status);

        Assert.NotEmpty(expected);
        Assert.Equal(expected, db.Packages.Select(p => $"{p.Name}\t{p.EpochVersionRelease}\t{p.Architecture}").Order(StringComparer.Ordinal));
        Assert.Contains(db.Packages, p => p.Name == "dpkg" && p.Size > 0);
    }

    [Fact]
    public void Read_TreeWithDpkgStatus_DetectorPicksDpkg()
    {
        using var tree = new TemporaryDirectory();
        string dpkg = Directory.CreateDirectory(Path.Combine(tree.Path, "var", "lib", "dpkg")).FullName;
        File.WriteAllText(Path.Combine(dpkg, "status"), Fixture);

        PackageDatabase db = PackageDatabaseDetector.Read(tree.Path);

        Assert.Equal(PackageDatabaseFormat.Dpkg, db.Format);
        Assert.Equal(2, db.Packages.Count);
    }

    [Fact]
    public void Read_DebianTreeWithStrayRpmDatabase_DetectorPrefersDpkg()
    {
        using var tree = new TemporaryDirectory();
        Directory.CreateDirectory(Path.Combine(tree.Path, "etc"));
        File.WriteAllText(Path.Combine(tree.Path, "etc", "debian_version"), "12.8\n");
        string dpkg = Directory.CreateDirectory(Path.Combine(tree.Path, "var", "lib", "dpkg")).FullName;
        File.WriteAllText(Path.Combine(dpkg, "status"), Fixture);
        string rpm = Directory.CreateDirectory(Path.Combine(tree.Path, "var", "lib", "rpm")).FullName;
        File.Copy(Path.Combine(RealData.RpmDb("el8-libuuid-bdb"), "Packages"), Path.Combine(rpm, "Packages"));

        IReadOnlyList<PackageDatabaseLocation> found = PackageDatabaseDetector.Locate(tree.Path);
        PackageDatabase db = PackageDatabaseDetector.Read(tree.Path);

        Assert.Equal([PackageDatabaseFormat.Dpkg, PackageDatabaseFormat.RpmBerkeleyDb], found.Select(f => f.Format));
        Assert.Equal(PackageDatabaseFormat.Dpkg, db.Format);
    }

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} failed: {process.StandardError.ReadToEnd()}");
        return output;
    }
}
