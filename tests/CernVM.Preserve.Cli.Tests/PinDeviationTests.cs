using System.Text.Json.Nodes;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>
/// A spec with a metapackage whose exact-version requirements the tree no longer meets: the demo
/// environment's rpm database (tools/make-demo-env.sh) changed with rpm itself, one pinned package at
/// another version and one removed.
/// </summary>
public sealed class PinDeviationTests
{
    [Fact]
    public void Snapshot_RpmDatabaseDeviatingFromTheMetapackage_ReportsTheDeviationAndTheMissingPackageByName()
    {
        using var t = new TempDir();
        CliRunner.Sh($"""
            set -e
            cd '{t.Path}'
            '{CliRunner.RepoRoot}/tools/make-demo-env.sh' env
            mkdir -p top/SPECS top/RPMS
            printf 'Name: demo-busybox\nVersion: 1.36.1\nRelease: 2\nSummary: a newer busybox than the pin\nLicense: GPL-2.0\nBuildArch: noarch\n%%description\nDeviation.\n%%files\n' > top/SPECS/b.spec
            rpmbuild --quiet --define "_topdir $PWD/top" -bb top/SPECS/b.spec >/dev/null 2>&1
            rpm --root "$PWD/env" --dbpath /var/lib/rpm -U --justdb --nodeps --force-debian --ignorearch top/RPMS/noarch/demo-busybox-1.36.1-2.noarch.rpm 2>/dev/null
            rpm --root "$PWD/env" --dbpath /var/lib/rpm -e --justdb --nodeps alpha-demo
            rm -f env/var/lib/rpm/.rpm.lock
            sqlite3 env/var/lib/rpm/rpmdb.sqlite 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
            rm -f env/var/lib/rpm/rpmdb.sqlite-wal env/var/lib/rpm/rpmdb.sqlite-shm
            """);
        File.WriteAllText(t["spec.yaml"], $"name: drifted\nos:\n  rootfs: {t["env"]}\n  metapackage: demo-meta\n");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);

        CliResult s = CliRunner.Run("snapshot", t["spec.yaml"], "--archive", t["a"]);

        // A deviation is what the curator must know, not a failure: the snapshot is taken, the report says it.
        Assert.True(s.ExitCode == 0, s.ToString());
        Assert.Contains("CAP011", s.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"CAP011 .*demo-meta pins demo-busybox = (0:)?1\.35\.0-1, installed: 1\.36\.1-2", s.Stderr);
        Assert.Matches(@"CAP012 .*demo-meta pins alpha-demo = 2:11\.6-1, which is not installed", s.Stderr);

        JsonNode manifest = JsonNode.Parse(CliRunner.Run("show", "drifted", "--json", "--archive", t["a"]).Stdout)!["manifest"]!;
        JsonNode pin = manifest["components"]!["os"]!["pin"]!;
        Assert.False((bool)pin["consistent"]!);
        Assert.Equal(0, (int)pin["satisfied"]!);
        JsonNode deviation = Assert.Single(pin["deviations"]!.AsArray())!;
        Assert.Equal("demo-busybox", (string)deviation["package"]!);
        Assert.EndsWith("1.35.0-1", (string)deviation["expected"]!, StringComparison.Ordinal);
        Assert.Equal(["1.36.1-2"], deviation["installed"]!.AsArray().Select(v => (string)v!));
        Assert.Equal(["alpha-demo = 2:11.6-1"], pin["missing"]!.AsArray().Select(v => (string)v!));
        Assert.Equal(["CAP011", "CAP012"], manifest["warnings"]!.AsArray().Select(w => (string)w!["code"]!).Where(c => c.StartsWith("CAP01", StringComparison.Ordinal)).Order());
        Assert.Contains("pin         demo-meta 1.0-1: 0 satisfied, 1 deviations, 1 missing", CliRunner.Run("show", "drifted", "--archive", t["a"]).Stdout, StringComparison.Ordinal);
    }
}
