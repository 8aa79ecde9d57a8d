using System.Diagnostics;
using System.Globalization;
using CernVM.Preserve.Curation.Packages;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Packages;

/// <summary>
/// Builds real packages with rpmbuild, installs them into a scratch root with rpm, and checks that the
/// native reader and the pin check agree with rpm itself (Debian 12's rpm 4.18).
/// </summary>
public sealed class RpmbuildRoundTripTests
{
    private const string MissingRpm =
        "This test needs rpm's own tools: install them with 'apt-get install -y --no-install-recommends rpm' (Debian package 'rpm', which provides rpm and rpmbuild).";

    [Fact]
    public void Read_RootPopulatedByRpm_MatchesRpmQaAndPinCheckFindsDeviation()
    {
        Assert.True(OnPath("rpmbuild") && OnPath("rpm"), MissingRpm);
        using var work = new TemporaryDirectory();
        string top = Path.Combine(work.Path, "top");
        string root = Path.Combine(work.Path, "root");

        string alpha10 = Build(top, "demo-alpha", null, "1.0", "1");
        string alpha11 = Build(top, "demo-alpha", null, "1.1", "1");
        string beta = Build(top, "demo-beta", 2, "3.1", "4");
        string meta = Build(top, "demo-meta", null, "1.0", "1",
            "demo-alpha = 1.0-1",
            "demo-beta = 2:3.1-4",
            "demo-gamma = 0.9-1",
            "demo-alpha >= 0.5",
            "/bin/sh");

        Rpm(root, "--initdb");
        Rpm(root, "-i", "--nodeps", "--force-debian", alpha10, beta, meta);

        string dbDirectory = Path.Combine(root, "var", "lib", "rpm");
        string[] filesBefore = Snapshot(dbDirectory);
        PackageDatabase first = PackageDatabaseDetector.Read(root);

        // rpm leaves rpmdb.sqlite-wal and -shm behind; reading must neither add nor change a file there.
        Assert.Equal(filesBefore, Snapshot(dbDirectory));

        Assert.Equal(PackageDatabaseFormat.RpmSqlite, first.Format);
        Assert.Equal(Path.Combine(root, "var", "lib", "rpm", "rpmdb.sqlite"), first.Path);
        Assert.Equal(QueryAll(root), PackageTsv.Lines(first));
        InstalledPackage metaPackage = Assert.Single(first.Packages, p => p.Name == "demo-meta");
        Assert.Equal(QueryRequires(root, "demo-meta"), metaPackage.Requires.Select(r => $"{r.Name}\t{r.RpmFlags}\t{r.Version}"));
        Assert.NotNull(metaPackage.HeaderSha256);
        Assert.NotNull(metaPackage.InstallTime);
        Assert.Equal("MIT", metaPackage.License);

        PinReport clean = PinCheck.Evaluate(first, "demo-meta");

        Assert.Equal(["demo-alpha", "demo-beta"], clean.Satisfied.Select(s => s.Installed.Name));
        Assert.Empty(clean.Deviations);
        Assert.Equal("demo-gamma", Assert.Single(clean.Missing).Name);
        Assert.Contains(clean.NotPins, r => r.ToString() == "demo-alpha >= 0.5");
        Assert.Contains(clean.NotPins, r => r.Name == "/bin/sh");
        Assert.Contains(clean.NotPins, r => r.IsRpmLibCapability);

        // The deliberate deviation: a newer demo-alpha than the metapackage pins.
        Rpm(root, "-U", "--nodeps", "--force-debian", alpha11);
        PackageDatabase second = RpmSqliteDatabaseReader.Read(first.Path);

        Assert.Equal(QueryAll(root), PackageTsv.Lines(second));
        PinReport drifted = PinCheck.Evaluate(second, "demo-meta");
        PinDeviation deviation = Assert.Single(drifted.Deviations);
        Assert.Equal("demo-alpha", deviation.Requirement.Name);
        Assert.Equal("1.0-1", deviation.Expected);
        Assert.Equal("1.1-1", Assert.Single(deviation.Actual).EpochVersionRelease);
        Assert.Equal("demo-beta", Assert.Single(drifted.Satisfied).Installed.Name);
        Assert.Equal(2, Assert.Single(drifted.Satisfied).Installed.Epoch);
        Assert.False(drifted.IsConsistent);
    }

    private static string Build(string top, string name, int? epoch, string version, string release, params string[] requires)
    {
        foreach (string d in (string[])["SPECS", "SOURCES", "BUILD", "RPMS", "SRPMS", "BUILDROOT"])
        {
            Directory.CreateDirectory(Path.Combine(top, d));
        }

        string spec = Path.Combine(top, "SPECS", $"{name}-{version}.spec");
        var lines = new List<string> { $"Name: {name}", $"Version: {version}", $"Release: {release}" };
        if (epoch is int e)
        {
            lines.Add($"Epoch: {e}");
        }

        lines.AddRange(["Summary: a package for the pin-check test", "License: MIT", "BuildArch: noarch"]);
        lines.AddRange(requires.Select(r => $"Requires: {r}"));
        lines.AddRange(["%description", "Built by RpmbuildRoundTripTests.", "%files"]);
        File.WriteAllLines(spec, lines);

        Run("rpmbuild", "--define", $"_topdir {top}", "-bb", spec);
        string rpm = Path.Combine(top, "RPMS", "noarch", $"{name}-{version}-{release}.noarch.rpm");
        Assert.True(File.Exists(rpm), $"rpmbuild did not produce {rpm}");
        return rpm;
    }

    // With --root, always give --dbpath /var/lib/rpm: Debian's rpm defaults to ~/.rpmdb, outside the root.
    private static string Rpm(string root, params string[] arguments) =>
        Run("rpm", ["--root", root, "--dbpath", "/var/lib/rpm", .. arguments]);

    private static string[] QueryAll(string root) =>
        [.. Rpm(root, "-qa", "--qf", "%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Order(StringComparer.Ordinal)];

    private static string[] QueryRequires(string root, string name) =>
        Rpm(root, "-q", "--qf", "[%{REQUIRENAME}\t%{REQUIREFLAGS}\t%{REQUIREVERSION}\n]", name)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string[] Snapshot(string directory) =>
        [.. new DirectoryInfo(directory).GetFiles()
            .Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Name} {f.Length} {f.LastWriteTimeUtc:O}"))
            .Order(StringComparer.Ordinal)];

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0,
            string.Create(CultureInfo.InvariantCulture, $"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {error.Result}"));
        return output;
    }
}
