using CernVM.Preserve.Cli.Tests;
using Xunit;

namespace CernVM.Preserve.Audit.Tests;

/// <summary>
/// A directory archive on a device that fails to make data durable: strace(1) makes the kernel's answer to
/// the Nth <c>fsync(2)</c>, <c>fdatasync(2)</c> or <c>syncfs(2)</c> of a snapshot an I/O error (-e inject=CALL:error=EIO:when=N),
/// the answer a failing disk gives. Every such call of a snapshot is failed in turn. Before the version is
/// committed, the snapshot exits 6 and the archive holds what it held before, at most an interrupted version:
/// no version that looks complete, and no blob name that may vanish (a name whose directory could not be made
/// durable is taken back, or a later snapshot would reuse it). After the commit, only the journal event can
/// fail: the version exists, the snapshot says so with exit 0 and a warning, and the audit lists the version as
/// unrecorded (AUD085). Either way a deep audit finds no error and the next snapshot restores exactly.
/// </summary>
public sealed class DurabilityFailureTests : IDisposable
{
    private readonly TempDir _t = new("cvmp-durable-");

    private string Tree => _t["tree"];

    private string Base => _t["base"];

    public DurabilityFailureTests()
    {
        Directory.CreateDirectory(Tree);
        for (int i = 0; i < 6; i++)
        {
            File.WriteAllText(Path.Combine(Tree, $"f{i}.txt"), $"file {i}\n");
        }

        File.WriteAllBytes(Path.Combine(Tree, "big.bin"), GoodArchive.RandomBytes(300_000, 21));
        GoodArchive.Run("init", Base);
        // As an archive made before init made all 256 blob levels (FORMAT.md §2): a snapshot then makes the levels its
        // new blobs need, and the names of those levels are one more durable step ("the blobs' directory", below).
        CliRunner.Sh($"find '{Base}/blobs/sha256' -mindepth 1 -type d -empty -delete");
        GoodArchive.Run("snapshot", "--rootfs", Tree, "--name", "c", "--archive", Base);
    }

    [Fact]
    public void Snapshot_FsyncFailsAtEachStep_NothingCommittedOrCommittedAndSaid_AuditCleanNextSnapshotExact()
    {
        // v2 of a few small blobs: each staged file and each directory is fsynced on its own (no syncfs).
        File.WriteAllText(Path.Combine(Tree, "f1.txt"), "changed\n");
        File.WriteAllBytes(Path.Combine(Tree, "new.bin"), GoodArchive.RandomBytes(50_000, 22));
        string newBlob = NewBlobs()[0];
        string year = DateTime.UtcNow.Year.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // strace counts calls per thread: each point names a path whose fsync calls a snapshot makes on one thread.
        Assert.Equal("not committed", FailAndCheck("fsync", null, 1, "the first fsync: a new blob's staged content"));
        Assert.Equal("not committed", FailAndCheck("fsync", $"blobs/sha256/{newBlob[..2]}", 1, "a new blob's directory"));
        Assert.Equal("not committed", FailAndCheck("fsync", "blobs/sha256", 1, "the blobs' directory"));
        Assert.Equal("not committed", FailAndCheck("fsync", "capsules/c/v2", 1, "the manifest's directory"));
        Assert.Equal("not committed", FailAndCheck("fsync", "capsules/c", 1, "the capsule's directory"));
        Assert.Equal("not committed", FailAndCheck("fsync", "capsules/c/v2", 2, "the sidecar's directory"));
        Assert.Equal("committed, unrecorded", FailAndCheck("fsync", $"journal/{year}", 1, "the journal's directory"));
    }

    [Fact]
    public void Snapshot_SyncfsOrABackgroundSyncFails_NothingCommitted_TheBatchsNamesTakenBack()
    {
        // v2 of many new blobs: the batch is made durable with one syncfs before its names are given, one after.
        for (int d = 0; d < 40; d++)
        {
            Directory.CreateDirectory(Path.Combine(Tree, $"d{d}"));
            File.WriteAllBytes(Path.Combine(Tree, $"d{d}", "data.bin"), GoodArchive.RandomBytes(400_000, 100 + d));
        }

        Assert.Equal("not committed", FailAndCheck("syncfs", "", 1, "the batch's content"));
        Assert.Equal("not committed", FailAndCheck("syncfs", "", 2, "the batch's names"));

        // Each blob is also fdatasync'ed in the background as soon as it is staged (one thread does them all, so the
        // first of that thread is the first blob's): the batch's syncfs then succeeds, yet the bytes that could not
        // be written may be gone, so the flush fails all the same.
        Assert.Equal("not committed", FailAndCheck("fdatasync", null, 1, "a blob's background sync"));
    }

    /// <summary>The blobs v2 adds besides its catalog, found by snapshotting a copy.</summary>
    private string[] NewBlobs()
    {
        using TempDir scratch = new("cvmp-durable-dry-");
        CliRunner.Sh($"cp -a '{Base}' '{scratch["a"]}'");
        string[] before = Blobs(scratch["a"]);
        GoodArchive.Run("snapshot", "--rootfs", Tree, "--name", "c", "--archive", scratch["a"]);
        string catalog = GoodArchive.CatalogOf(scratch["a"], "c", 2);
        return [.. Blobs(scratch["a"]).Except(before).Where(b => b != catalog)];
    }

    /// <summary>
    /// Snapshots a copy of the base archive with the Nth call of <paramref name="call"/> touching a path of the
    /// archive (null: any call) failed with EIO, and checks what the snapshot said and what the archive holds.
    /// </summary>
    private string FailAndCheck(string call, string? path, int when, string point)
    {
        using TempDir t = new("cvmp-durable-point-");
        string archive = t["a"];
        CliRunner.Sh($"cp -a '{Base}' '{archive}'");
        string[] blobsBefore = Blobs(archive);
        string filter = path is null ? "" : $"-P '{Path.TrimEndingDirectorySeparator(Path.Combine(archive, path))}' ";
        int rc = int.Parse(CliRunner.Sh(
            $"strace -f -qq -y -o '{t["trace"]}' -e trace={call} {filter}-e inject={call}:error=EIO:when={when} " +
            $"{CliRunner.ShellCommand} snapshot --rootfs '{Tree}' --name c --archive '{archive}' >/dev/null 2>'{t["err"]}'; echo $?").Trim(),
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(File.ReadAllText(t["trace"]).Contains("(INJECTED)", StringComparison.Ordinal), $"{point}: no {call} failed there\n{File.ReadAllText(t["trace"])}");
        string stderr = File.ReadAllText(t["err"]);
        bool v2Complete = File.Exists(Path.Combine(archive, "capsules", "c", "v2", "manifest.json.sha256"));
        string outcome;
        if (rc == 6)
        {
            // Not committed: said, and true of the archive.
            Assert.Contains("Input/output error", stderr);
            Assert.False(v2Complete, $"{point}: exit 6, yet v2 has its sidecar (a version that looks complete)\n{stderr}");
            if (call is "syncfs" or "fdatasync")
            {
                // No name of the failed batch is left: the content's syncfs failed before any, or the names' one took them back.
                Assert.Equal(blobsBefore, Blobs(archive));
            }

            outcome = "not committed";
        }
        else
        {
            Assert.True(rc == 0, $"{point}: exit {rc}\n{stderr}");
            Assert.True(v2Complete, $"{point}: exit 0, yet no v2\n{stderr}");
            Assert.Contains("c@v2 is committed, but its ingestion event could not be written to the journal", stderr);
            Assert.Contains("Input/output error", stderr);
            outcome = "committed, unrecorded";
        }

        CliResult audit = CliRunner.Run("audit", "--deep", "--archive", archive);
        Assert.True(audit.ExitCode == 0, $"{point}: {audit}");
        Assert.DoesNotContain("error ", audit.Stdout);
        Assert.Equal(outcome == "committed, unrecorded", audit.Stdout.Contains("warning AUD085 capsules/c/v2/", StringComparison.Ordinal));

        CliResult next = CliRunner.Run("snapshot", "--rootfs", Tree, "--name", "c", "--archive", archive);
        Assert.True(next.ExitCode == 0, $"{point}, the next snapshot: {next}");
        CliResult restore = CliRunner.Run("restore", "c", "--to", t["restored"], "--archive", archive);
        Assert.True(restore.ExitCode == 0, $"{point}: {restore}");
        Assert.Equal("", CliRunner.Sh($"diff -r --no-dereference '{Tree}' '{t["restored"]}' 2>&1 || true"));
        return outcome;
    }

    private static string[] Blobs(string archive) =>
        [.. Directory.GetFiles(Path.Combine(archive, "blobs"), "*", SearchOption.AllDirectories).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal)];

    public void Dispose() => _t.Dispose();
}
