using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Restorer;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Posix;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Restorer;

/// <summary>
/// A restore cancelled (Ctrl-C, SIGTERM) stops where it is and goes to no later pass: cancelled before it starts it
/// makes nothing in the target; cancelled while the content is read, it makes no link and gives no directory its
/// recorded time (pass 3 and 4), so that nothing half-restored looks finished. The moment is the test's: the archive is
/// read through a store that cancels at the first blob read.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RestoreCancellationTests
{
    private static TreeBuilder Tree()
    {
        var b = new TreeBuilder();
        b.Dir("locked", "700");
        b.File("locked/a", "first file");
        b.File("b", "second file");
        b.Symlink("link", "b");
        b.HardLink("again", "b");
        return b;
    }

    [Fact]
    public async Task RestoreAsync_CancelledBeforeItStarts_MakesNothingInTheTarget()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        LoadedTree tree = await a.StoreAsync(Tree());
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new TreeRestorer(a.Archive, null).RestoreAsync(tree, new RestoreOptions { Target = a["out"] }, cancelled.Token));

        Assert.Empty(Directory.EnumerateFileSystemEntries(a["out"]));
    }

    [Fact]
    public async Task RestoreAsync_CancelledWhileTheContentIsRead_NoLinkMade_NoDirectoryGivenItsTime()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        LoadedTree tree = await a.StoreAsync(Tree());
        using var cancel = new CancellationTokenSource();
        var store = new HookedStore(new FileSystemObjectStore(a["archive"]))
        {
            BeforeRead = async (key, _, _) =>
            {
                if (key.StartsWith("blobs/", StringComparison.Ordinal))
                {
                    await cancel.CancelAsync();
                }
            },
        };
        await using Archive hooked = await Archive.OpenAsync(store, default);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new TreeRestorer(hooked, null).RestoreAsync(tree, new RestoreOptions { Target = a["out"] }, cancel.Token));

        // Pass 1 made the directories and the entries written later; pass 3 and 4 did not run.
        Assert.True(Directory.Exists(a["out/locked"]));
        Assert.False(File.Exists(a["out/link"]) || Directory.Exists(a["out/link"]) || new FileInfo(a["out/link"]).LinkTarget is not null);
        Assert.False(File.Exists(a["out/again"]));
        Assert.NotEqual(1_100_000_000, PosixFs.LStat(PosixFs.FromString(a["out/locked"])).MtimeSeconds); // the recorded time is pass 4's
    }

    [Fact]
    public async Task SetMetadata_CancelledBeforeIt_GivesNoDirectoryItsRecordedTime()
    {
        // A cancellation that arrives while pass 3 makes the links reaches pass 4 at its first entry: nothing of the
        // tree's metadata is applied, and the restore ends cancelled rather than looking finished.
        await using TestArchive a = await TestArchive.CreateAsync();
        LoadedTree tree = await a.StoreAsync(Tree());
        var run = new RestoreRun(tree, RestoreTarget.Prepare(a["out"]), PosixFs.IsPrivileged);
        TreeRestorer.MakeDirectoriesFilesAndNodes(run, default);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        Assert.ThrowsAny<OperationCanceledException>(() => TreeRestorer.SetMetadata(run, cancelled.Token));

        Assert.NotEqual(1_100_000_000, PosixFs.LStat(PosixFs.FromString(a["out/locked"])).MtimeSeconds);
        Assert.NotEqual(1_000_000_000, PosixFs.LStat(PosixFs.FromString(a["out"])).MtimeSeconds);
    }
}
