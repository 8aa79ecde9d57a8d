using System.Text;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Restorer;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Posix;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Restorer;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TreeRestorerTests
{
    private static async Task<RestoreResult> RestoreAsync(TestArchive a, LoadedManifest m, string target, bool verify = false) =>
        await new TreeRestorer(a.Archive).RestoreAsync(m, new RestoreOptions { Target = target, Workers = 2, VerifyWrittenFiles = verify }, default);

    [Fact]
    public async Task RestoreAsync_EveryKind_GivesTheTreeBackWithItsMetadata()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.Dir("bin", "750");
        b.File("bin/tool", "#!/bin/sh\necho hi\n", "4755");
        b.Bundle(("bin/a", "alpha"), ("bin/b", "beta"));
        b.Sparse("disk.img", 3 * 1024 * 1024, (0, [1, 2, 3]), (2 * 1024 * 1024, [4, 5]));
        b.File("empty", "");
        b.Symlink("bin/sh", "tool");
        b.HardLink("bin/tool2", "bin/tool");
        b.Fifo("pipe");
        LoadedManifest m = await a.CommitAsync(b);
        string t = a["out"];

        RestoreResult r = await RestoreAsync(a, m, t, verify: true);

        Assert.False(r.HasErrors, string.Join("\n", r.Problems));
        Assert.Equal((10L, 10L, 5L, 0L), (r.Entries, r.Restored, r.Files, r.NotRestored));
        Assert.Equal("#!/bin/sh\necho hi\n", File.ReadAllText(Path.Combine(t, "bin/tool")));
        Assert.Equal("beta", File.ReadAllText(Path.Combine(t, "bin/b")));
        Assert.Equal(0, new FileInfo(Path.Combine(t, "empty")).Length);
        Assert.Equal("tool", new FileInfo(Path.Combine(t, "bin/sh")).LinkTarget);
        PosixFs.TryLStat(PosixFs.FromString(Path.Combine(t, "bin/tool")), out FileStatus tool, out _);
        PosixFs.TryLStat(PosixFs.FromString(Path.Combine(t, "bin/tool2")), out FileStatus tool2, out _);
        Assert.Equal(tool.Inode, tool2.Inode);
        Assert.Equal(TreeBuilder.Octal("4755"), tool.Mode & 0xFFF);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute, File.GetUnixFileMode(Path.Combine(t, "bin")));
        FileStatus bin = PosixFs.LStat(PosixFs.FromString(Path.Combine(t, "bin")));
        Assert.Equal((1_100_000_000L, 123_456_789), (bin.MtimeSeconds, bin.MtimeNanoseconds));
        Assert.Equal(EntryKind.Fifo, PosixFs.LStat(PosixFs.FromString(Path.Combine(t, "pipe"))).Kind);

        byte[] disk = File.ReadAllBytes(Path.Combine(t, "disk.img"));
        Assert.Equal(3 * 1024 * 1024, disk.Length);
        Assert.Equal(b["disk.img"].Content, BlobId.Of(disk));
    }

    [Fact]
    public async Task RestoreAsync_EntriesNotCaptured_AreCountedApartFromWhatWasRestored()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.Dir("etc");
        b.File("etc/hosts", "127.0.0.1\n");
        b.NotCaptured("proc", EntryKind.Directory, EntryState.Pseudo, "proc", "555");
        b.NotCaptured("shadow", EntryKind.File, EntryState.Unreadable, "Permission denied", "000");
        b.Dir("var");
        b.NotCaptured("var/cache", EntryKind.Directory, EntryState.Excluded, "--exclude /var/cache");
        b.NotCaptured("var/a.o", EntryKind.File, EntryState.Excluded, "--exclude *.o");
        LoadedManifest m = await a.CommitAsync(b);

        RestoreResult r = await RestoreAsync(a, m, a["out"]);

        Assert.False(r.HasErrors, string.Join("\n", r.Problems));
        Assert.Equal(8, r.Entries);
        Assert.Equal(4, r.Restored); // the root, etc, etc/hosts, var
        Assert.Equal((2L, 1L, 1L, 0L), (r.Excluded, r.Pseudo, r.Unreadable, r.NotRestored));
        Assert.Equal(r.Entries, r.Restored + r.Excluded + r.Pseudo + r.Unreadable + r.NotRestored);
        Assert.Empty(Directory.EnumerateFileSystemEntries(a["out/var/cache"]));
        Assert.Empty(Directory.EnumerateFileSystemEntries(a["out/proc"]));
        Assert.False(File.Exists(a["out/var/a.o"]));
        Assert.Equal(["shadow", "var/a.o"], r.Problems.Where(p => p.Code == "RST004").Select(p => p.Path));
    }

    [Fact]
    public async Task RestoreAsync_DirectoryUnreadableAtCapture_IsRestoredEmptyWithAWarningOfItsOwn()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.NotCaptured("secret-dir", EntryKind.Directory, EntryState.Unreadable, "Permission denied", "000");
        LoadedManifest m = await a.CommitAsync(b);

        RestoreResult r = await RestoreAsync(a, m, a["out"]);

        RestoreProblem p = Assert.Single(r.Problems, p => p.Code == "RST008");
        Assert.Equal("secret-dir", p.Path);
        Assert.False(p.IsError);
        Assert.Contains("could not be read at capture (Permission denied)", p.Message);
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(a["out/secret-dir"]));
        Assert.Empty(Directory.EnumerateFileSystemEntries(a["out/secret-dir"]));
        Assert.Equal(1, r.Unreadable);
    }

    [Fact]
    public async Task RestoreAsync_BlobMissing_RemovesEveryFileItHeldAndKeepsTheRest()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.File("kept", "still here");
        b.Sparse("big", 100_000, (0, [7]), (50_000, [8]));
        LoadedManifest m = await a.CommitAsync(b);
        BlobId lost = b["big"].Extents[1].Blob;
        File.Delete(Path.Combine(a["archive"], "blobs", "sha256", lost.ToString()[..2], lost.ToString()));

        RestoreResult r = await RestoreAsync(a, m, a["out"]);

        RestoreProblem p = Assert.Single(r.Problems, p => p.IsError);
        Assert.Equal("RST010", p.Code);
        Assert.Contains("'big'", p.Message);
        Assert.False(File.Exists(a["out/big"]));
        Assert.Equal("still here", File.ReadAllText(a["out/kept"]));
        Assert.Equal(1, r.NotRestored);
    }

    [Fact]
    public async Task RestoreAsync_HardLinkWhoseFirstNameWasNotMade_IsReported()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.File("first", "x");
        b.HardLink("second", "first");
        LoadedManifest m = await a.CommitAsync(b, withBlobs: false);

        RestoreResult r = await RestoreAsync(a, m, a["out"]);

        Assert.Contains(r.Problems, p => p.Code == "RST010");
        RestoreProblem link = Assert.Single(r.Problems, p => p.Code == "RST005");
        Assert.Equal("second", link.Path);
        Assert.False(File.Exists(a["out/second"]));
    }

    [Fact]
    public async Task RestoreAsync_TargetNotEmpty_IsRefusedAndNothingIsWritten()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.File("f", "x");
        LoadedManifest m = await a.CommitAsync(b);
        Directory.CreateDirectory(a["out"]);
        File.WriteAllText(a["out/precious"], "keep");

        var e = await Assert.ThrowsAsync<CernVM.Preserve.Core.PreserveException>(() => RestoreAsync(a, m, a["out"]));

        Assert.Contains("not empty", e.Message);
        Assert.Equal(["precious"], Directory.EnumerateFileSystemEntries(a["out"]).Select(Path.GetFileName));
        Assert.Equal("keep", Encoding.UTF8.GetString(File.ReadAllBytes(a["out/precious"])));
    }

    [Fact]
    public async Task RestoreAsync_LoadedTree_ReportsProgressOfEveryByte()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.File("a", new byte[70_000]);
        b.Bundle(("b", "12345"), ("c", "678"));
        LoadedManifest m = await a.CommitAsync(b);
        LoadedTree tree = await TreeLoader.LoadAsync(a.Archive, m, default);
        var monitor = new RestoreMonitor();

        RestoreResult r = await new TreeRestorer(a.Archive, monitor).RestoreAsync(tree, new RestoreOptions { Target = a["out"] }, default);

        Assert.False(r.HasErrors);
        Assert.Equal(70_008, monitor.BytesTotal);
        Assert.Equal(70_008, monitor.BytesDone);
        Assert.Equal(70_008, r.Bytes);
    }
}
