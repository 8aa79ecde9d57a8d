using CernVM.Preserve.Curation.Cvmfs;
using CernVM.Preserve.Curation.Tests.Cvmfs;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>
/// `cvmpreserve snapshot` of a repository as today's cvmfs_server writes it (docs/CVMFS.md §11), the way a new
/// user tries it (issue 11): exit 0 and a version that restores; a malformed catalog property is exit 3, never 1.
/// </summary>
public class CvmfsServerWrittenTests
{
    private static void WriteSpec(TempDir t, SyntheticRepository repository)
    {
        CliRunner.Sh($"mkdir -p '{t["root"]}/etc' && echo 'Scientific Linux release 6.10 (Carbon)' > '{t["root"]}/etc/redhat-release'");
        File.WriteAllText(t["master.pub"], repository.MasterKey.ExportSubjectPublicKeyInfoPem());
        File.WriteAllText(t["capsule.yaml"], $"name: server-written\nos:\n  rootfs: {t["root"]}\ncvmfs:\n  - repository: {repository.Root}\n    tag: analysis-2026\n    publicKey: {t["master.pub"]}\n");
    }

    [Fact]
    public void Snapshot_RepositoryWrittenByCvmfsServer_ExitsZeroAndRestoresEveryHardLinkGroupApart()
    {
        using var t = new TempDir();
        var repository = new SyntheticRepository(t["repo"], CvmfsHashAlgorithm.Sha1, SyntheticShape.ServerWritten);
        WriteSpec(t, repository);
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);

        CliResult s = CliRunner.Run("snapshot", t["capsule.yaml"], "--archive", t["a"]);
        Assert.True(s.ExitCode == 0, s.ToString());
        CliResult r = CliRunner.Run("restore", "server-written", "--to", t["out"], "--archive", t["a"]);
        Assert.True(r.ExitCode == 0, r.ToString());

        string mount = Path.Combine(t["out"], "cvmfs", SyntheticRepository.Fqrn);
        Assert.Equal("gamma\n", File.ReadAllText(Path.Combine(mount, "c/g2")));
        Assert.Equal("../a/f1", new FileInfo(Path.Combine(mount, "b/s2")).LinkTarget);
        string inodes = CliRunner.Sh($"cd '{mount}' && stat -c '%i %n' a/f1 a/f2 c/g1 c/g2 | sort");
        string[] lines = inodes.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Select(l => l.Split(' ')[0]).Distinct().Count());
    }

    [Fact]
    public void Snapshot_NestedCatalogWithMalformedPreviousRevision_ExitsThreeNamingCatalogAndProperty()
    {
        using var t = new TempDir();
        var repository = new SyntheticRepository(t["repo"], CvmfsHashAlgorithm.Sha1, SyntheticShape.ServerWritten, "not-a-hash");
        WriteSpec(t, repository);
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);

        CliResult s = CliRunner.Run("snapshot", t["capsule.yaml"], "--archive", t["a"]);

        Assert.True(s.ExitCode == 3, s.ToString());
        Assert.Contains(repository.NestedCatalog.ObjectName, s.Stderr);
        Assert.Contains("previous_revision", s.Stderr);
        Assert.DoesNotContain("internal error", s.Stderr);
        Assert.Equal(0, CliRunner.Run("list", "--archive", t["a"]).ExitCode);
        Assert.DoesNotContain("server-written", CliRunner.Run("list", "--all", "--archive", t["a"]).Stdout);
    }
}
