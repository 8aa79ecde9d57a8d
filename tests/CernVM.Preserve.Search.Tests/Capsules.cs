using CernVM.Preserve.Cli.Tests;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Search.Tests;

/// <summary>
/// One archive of real capsules, made by the real cvmpreserve: the demo environment (tools/make-demo-env.sh,
/// its curator's spec: an rpm database with a metapackage pin, ALEPH, DPHEP level 4, a software layer, a run
/// entry; two versions), the real rpm databases of fixtures/real-data (CBL-Mariner 2.0, SQLite, 129 packages;
/// EL8, Berkeley DB) in trees of their own, and a debootstrap Debian bookworm tree (dpkg).
/// </summary>
public sealed class CapsuleArchive : IDisposable
{
    private readonly TempDir _dir = new("cvmp-search-");

    public CapsuleArchive()
    {
        Archive = _dir["archive"];
        Run("init", Archive);

        string env = _dir["demo-env"];
        CliRunner.Sh($"'{CliRunner.RepoRoot}/tools/make-demo-env.sh' '{env}'");
        string spec = File.ReadAllText(Path.Combine(CliRunner.RepoRoot, "fixtures/demo/capsule.yaml")).Replace("../../out/demo-env", env, StringComparison.Ordinal);
        File.WriteAllText(_dir["demo.yaml"], spec);
        Run("snapshot", _dir["demo.yaml"], "--archive", Archive);
        File.WriteAllText(Path.Combine(env, "aleph/alpha/alpha116.f"), "      PROGRAM ALPHA116\n      END\n");
        Run("snapshot", _dir["demo.yaml"], "--archive", Archive);

        string mariner = _dir["mariner"];
        Directory.CreateDirectory(Path.Combine(mariner, "var/lib/rpm"));
        Directory.CreateDirectory(Path.Combine(mariner, "etc"));
        File.Copy(Path.Combine(CliRunner.RepoRoot, "fixtures/real-data/rpmdb/cbl-mariner2-sqlite/rpmdb.sqlite"), Path.Combine(mariner, "var/lib/rpm/rpmdb.sqlite"));
        File.WriteAllText(Path.Combine(mariner, "etc/os-release"), "NAME=\"Common Base Linux Mariner\"\nVERSION=\"2.0\"\nID=mariner\nVERSION_ID=\"2.0\"\nPRETTY_NAME=\"CBL-Mariner/Linux\"\n");
        Run("snapshot", "--rootfs", mariner, "--name", "mariner", "--title", "CBL-Mariner 2.0 base", "--archive", Archive);

        string el8 = _dir["el8"];
        Directory.CreateDirectory(Path.Combine(el8, "var/lib/rpm"));
        Directory.CreateDirectory(Path.Combine(el8, "etc"));
        Directory.CreateDirectory(Path.Combine(el8, "opt/cms/CMSSW_10_6_30"));
        File.Copy(Path.Combine(CliRunner.RepoRoot, "fixtures/real-data/rpmdb/el8-libuuid-bdb/Packages"), Path.Combine(el8, "var/lib/rpm/Packages"));
        File.WriteAllText(Path.Combine(el8, "etc/redhat-release"), "Red Hat Enterprise Linux release 8.8 (Ootpa)\n");
        File.WriteAllText(Path.Combine(el8, "opt/cms/CMSSW_10_6_30/README"), "a release area\n");
        Run("snapshot", "--rootfs", el8, "--name", "el8-libuuid", "--title", "EL8 with libuuid", "--archive", Archive);

        Run("snapshot", "--rootfs", DebianTree.Path, "--name", "debian", "--title", "Debian bookworm minbase", "--archive", Archive);
        DebianLibc = CliRunner.Sh($"dpkg-query --admindir='{DebianTree.Path}/var/lib/dpkg' -W -f='${{Version}}' libc6").Trim();
    }

    public string Archive { get; }

    /// <summary>The Debian tree's libc6 version, as dpkg-query reads it.</summary>
    public string DebianLibc { get; }

    /// <summary>A new, empty cache directory for an index of its own.</summary>
    public string NewCache() => _dir[$"cache-{Guid.NewGuid():N}"];

    public static void Run(params string[] args)
    {
        CliResult r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 0, $"cvmpreserve {string.Join(' ', args)}: {r}");
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>Opens an archive's index in-process, brings it up to date and answers.</summary>
public static class InProcess
{
    public static async Task<(SearchResult Result, SyncResult Sync, string? Notice)> SearchAsync(string archive, string cache, SearchRequest request, bool rebuild = false)
    {
        await using Archive a = await new ArchiveLocation(archive, false).OpenAsync(ArchiveAccess.Read, CancellationToken.None);
        using ArchiveIndex index = ArchiveIndex.Open(a, rebuild, cache);
        SyncResult sync = await index.UpdateAsync(CancellationToken.None);
        return (index.Search(request), sync, index.Notice);
    }

    public static async Task<SearchResult> FindAsync(string archive, string cache, SearchRequest request) => (await SearchAsync(archive, cache, request)).Result;

    /// <summary>The hits' keys, in order.</summary>
    public static IReadOnlyList<string> Keys(this SearchResult r) => [.. r.Hits.Select(h => h.Key)];
}
