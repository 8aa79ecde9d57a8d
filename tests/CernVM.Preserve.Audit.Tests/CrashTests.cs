using CernVM.Preserve.Cli.Tests;
using Xunit;

namespace CernVM.Preserve.Audit.Tests;

/// <summary>
/// Crash safety proven by the audit: a snapshot is killed with SIGKILL at 20 points — while walking, while
/// reading, at blob writes, at the catalog, the manifest, the signature, the sidecar and the journal — and
/// after each kill a deep audit finds no error (an interrupted version is reported as such), the next snapshot
/// succeeds and restores exactly. The points are exact: strace(1) delivers SIGKILL at the Nth call of a system
/// call (of each one, for "all"; strace counts each apart, and per thread) that touches a given path
/// (-P PATH -e inject=CALLS:signal=SIGKILL:when=N), so each kill lands where it is named.
/// </summary>
public sealed class CrashTests : IDisposable
{
    private readonly TempDir _t = new("cvmp-crash-");

    private string Tree => _t["tree"];

    private string Base => _t["base"];

    public CrashTests()
    {
        Directory.CreateDirectory(Path.Combine(Tree, "d0", "sub"));
        for (int d = 0; d < 4; d++)
        {
            string dir = Path.Combine(Tree, $"d{d}");
            Directory.CreateDirectory(dir);
            for (int i = 0; i < 40; i++)
            {
                File.WriteAllText(Path.Combine(dir, $"f{i}.txt"), $"file {d}/{i}\n" + new string('x', i * 100));
            }
        }

        File.WriteAllBytes(Path.Combine(Tree, "d1", "big.bin"), GoodArchive.RandomBytes(6_000_000, 11));
        File.WriteAllBytes(Path.Combine(Tree, "zz-last.bin"), GoodArchive.RandomBytes(700_000, 12));
        GoodArchive.Run("init", Base);
        GoodArchive.Run("key", "new", "--out", _t["k"]);
        GoodArchive.Run("snapshot", "--rootfs", Tree, "--name", "c", "--sign", _t["k"], "--archive", Base);

        // What v2 changes: a large file rewritten in part, small files changed and added.
        byte[] big = File.ReadAllBytes(Path.Combine(Tree, "d1", "big.bin"));
        GoodArchive.RandomBytes(300_000, 13).CopyTo(big, 2_000_000);
        File.WriteAllBytes(Path.Combine(Tree, "d1", "big.bin"), big);
        for (int i = 0; i < 10; i++)
        {
            File.WriteAllText(Path.Combine(Tree, "d2", $"f{i}.txt"), $"changed {i}\n");
            File.WriteAllText(Path.Combine(Tree, "d0", "sub", $"new{i}.txt"), $"new {i}\n");
        }
    }

    /// <summary>The kill points: a path (absolute, or relative to the archive) and which system call touching it.</summary>
    private List<(string Name, string Path, string Calls, int When)> KillPoints()
    {
        // The blobs and catalog v2 writes are known in advance: same tree, same content, same ids.
        using TempDir scratch = new("cvmp-crash-scratch-");
        CliRunner.Sh($"cp -a '{Base}' '{scratch["a"]}'");
        string[] before = Blobs(scratch["a"]);
        GoodArchive.Run("snapshot", "--rootfs", Tree, "--name", "c", "--sign", _t["k"], "--archive", scratch["a"]);
        string catalog = GoodArchive.CatalogOf(scratch["a"], "c", 2);
        string[] added = [.. Blobs(scratch["a"]).Except(before).Where(b => b != catalog).Order(StringComparer.Ordinal)];
        Assert.True(added.Length >= 3, $"v2 adds {added.Length} blobs besides its catalog");
        string Blob(string id) => $"blobs/sha256/{id[..2]}/{id}";
        return
        [
            ("walk: the tree's root", Tree, "all", 2),
            ("walk: a directory", Path.Combine(Tree, "d0"), "all", 1),
            ("walk: a directory deep down", Path.Combine(Tree, "d0", "sub"), "all", 1),
            ("walk: the last entry", Path.Combine(Tree, "zz-last.bin"), "all", 1),
            // Its first read: strace counts calls per thread, and the file saver may go on with the same file on
            // another thread after handing out a chunk (an await), so "the second read" was not always reached.
            ("read: a changed large file", Path.Combine(Tree, "d1", "big.bin"), "pread64", 1),
            ("read: a changed small file", Path.Combine(Tree, "d2", "f5.txt"), "pread64", 1),
            ("blob: first new blob, looked up", Blob(added[0]), "all", 1),
            ("blob: first new blob, named", Blob(added[0]), "all", 2),
            ("blob: a middle new blob, looked up", Blob(added[added.Length / 2]), "all", 1),
            ("blob: a middle new blob, named", Blob(added[added.Length / 2]), "all", 2),
            ("blob: the last new blob, looked up", Blob(added[^1]), "all", 1),
            ("blob: the last new blob, named", Blob(added[^1]), "all", 2),
            ("catalog: looked up", Blob(catalog), "all", 1),
            ("catalog: named", Blob(catalog), "all", 2),
            ("manifest: first touch", "capsules/c/v2/manifest.json", "all", 1),
            ("manifest: its version directory made", "capsules/c/v2", "all", 1),
            ("signature", "capsules/c/v2/manifest.json.sig", "all", 1),
            ("sidecar", "capsules/c/v2/manifest.json.sha256", "all", 1),
            ("journal: first touch", "journal/" + DateTime.UtcNow.Year, "all", 1),
            ("journal: second touch", "journal/" + DateTime.UtcNow.Year, "all", 2),
        ];
    }

    [Fact]
    public void Snapshot_KilledAtTwentyPoints_AuditFindsNoErrorAndTheNextSnapshotRestoresExactly()
    {
        List<(string Name, string Path, string Calls, int When)> points = KillPoints();
        Assert.Equal(20, points.Count);
        foreach ((string name, string path, string calls, int when) in points)
        {
            using TempDir t = new("cvmp-crash-point-");
            string archive = t["a"];
            CliRunner.Sh($"cp -a '{Base}' '{archive}'");
            string target = System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.Combine(archive, path);
            string rc = CliRunner.Sh(
                $"strace -f -qq -o /dev/null -P '{target}' -e inject={calls}:signal=SIGKILL:when={when} " +
                $"{CliRunner.ShellCommand} snapshot --rootfs '{Tree}' --name c --sign '{_t["k"]}' --archive '{archive}' >/dev/null 2>&1; echo $?").Trim();
            Assert.True(rc == "137", $"{name}: the snapshot was not killed there (exit {rc})");

            CliResult audit = CliRunner.Run("audit", "--deep", "--archive", archive);
            Assert.True(audit.ExitCode == 0, $"{name}: {audit}");
            Assert.DoesNotContain("error ", audit.Stdout);

            CliResult next = CliRunner.Run("snapshot", "--rootfs", Tree, "--name", "c", "--sign", _t["k"], "--archive", archive);
            Assert.True(next.ExitCode == 0, $"{name}: {next}");
            CliResult restore = CliRunner.Run("restore", "c", "--to", t["out"], "--archive", archive);
            Assert.True(restore.ExitCode == 0, $"{name}: {restore}");
            Assert.Equal("", CliRunner.Sh($"diff -r --no-dereference '{Tree}' '{t["out"]}' 2>&1 || true"));

            CliResult after = CliRunner.Run("audit", "--deep", "--archive", archive);
            Assert.True(after.ExitCode == 0, $"{name}, after the next snapshot: {after}");
        }
    }

    private static string[] Blobs(string archive) =>
        [.. Directory.GetFiles(Path.Combine(archive, "blobs"), "*", SearchOption.AllDirectories).Select(p => Path.GetFileName(p)!)];

    public void Dispose() => _t.Dispose();
}
