using System.Diagnostics;
using CernVM.Preserve.Posix;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace CernVM.Preserve.Storage.Tests;

/// <summary>
/// The background syncer of staged files: it closes every file it takes, whether it synced it or not, and keeps the
/// first failure for the flush. /dev/null is a descriptor fdatasync(2) refuses (EINVAL), as a failing disk refuses
/// with EIO: a real failure of the real call, no injection needed.
/// </summary>
public sealed class StagedFileSyncerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cvmp-syncer-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private (SafeFileHandle Handle, byte[] Path) NewFile(string name, int size = 100_000)
    {
        byte[] path = PosixFs.FromString(Path.Combine(_root, name));
        SafeFileHandle h = PosixFs.CreateExclusive(path, 0b110_100_100);
        PosixFs.WriteAt(h, new byte[size], 0);
        return (h, path);
    }

    // /dev/null: a character device without a sync of its own, so fdatasync on it fails with EINVAL.
    private static SafeFileHandle Unsyncable() => File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);

    private static void WaitClosed(params SafeFileHandle[] handles)
    {
        var clock = Stopwatch.StartNew();
        while (!handles.All(h => h.IsClosed))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the syncer did not close the files it took");
            Thread.Sleep(5);
        }
    }

    [Fact]
    public void TryAdd_Files_EachClosed_NoFailure()
    {
        using var syncer = new StagedFileSyncer();
        var files = Enumerable.Range(0, 10).Select(i => NewFile($"f{i}")).ToArray();
        Assert.All(files, f => Assert.True(syncer.TryAdd(f.Handle, f.Path)));

        WaitClosed([.. files.Select(f => f.Handle)]);
        Assert.Null(syncer.Settle());
    }

    [Fact]
    public void TryAdd_ADescriptorThatCannotBeSynced_TheFailureNamesItAndStays_LaterFilesStillClosed()
    {
        using var syncer = new StagedFileSyncer();
        SafeFileHandle unsyncable = Unsyncable();
        byte[] nullPath = PosixFs.FromString(Path.Combine(_root, "staged-null"));
        Assert.True(syncer.TryAdd(unsyncable, nullPath));
        WaitClosed(unsyncable);

        PosixException? failed = syncer.Settle();
        Assert.NotNull(failed);
        Assert.Equal("fdatasync", failed.Operation);
        Assert.Equal(22, failed.Errno); // EINVAL
        Assert.Contains("staged-null", failed.Message);

        // Kept for every later flush: the bytes of a file whose sync failed may be gone, whatever a later sync says.
        (SafeFileHandle later, byte[] laterPath) = NewFile("later");
        Assert.True(syncer.TryAdd(later, laterPath));
        WaitClosed(later);
        Assert.Same(failed, syncer.Settle());
    }

    [Fact]
    public void Cover_FilesAddedBefore_ClosedWithoutTheirSync_FilesAddedAfter_Synced()
    {
        // Held before its thread starts, so that the cover comes before the thread can take anything.
        using var syncer = new StagedFileSyncer(start: false);
        SafeFileHandle before = Unsyncable();
        SafeFileHandle after = Unsyncable();
        Assert.True(syncer.TryAdd(before, PosixFs.FromString(Path.Combine(_root, "before-cover"))));
        syncer.Cover(); // what a flush does before its own sync
        Assert.True(syncer.TryAdd(after, PosixFs.FromString(Path.Combine(_root, "after-cover"))));
        syncer.Start();
        WaitClosed(before, after);

        PosixException? failed = syncer.Settle();
        Assert.NotNull(failed);
        Assert.Contains("after-cover", failed.Message); // the covered one was never synced: its failure never came
    }

    [Fact]
    public void Dispose_ClosesWhatIsStillWaiting()
    {
        var syncer = new StagedFileSyncer();
        var files = Enumerable.Range(0, 40).Select(i => NewFile($"d{i}", 1_000_000)).ToArray();
        foreach ((SafeFileHandle h, byte[] p) in files)
        {
            if (!syncer.TryAdd(h, p))
            {
                h.Dispose(); // refused (too many waiting): the caller's to close
            }
        }

        syncer.Dispose();
        Assert.All(files, f => Assert.True(f.Handle.IsClosed));
    }

    [Fact]
    public void TryAdd_AfterDispose_Refused_TheCallerKeepsTheFile()
    {
        var syncer = new StagedFileSyncer();
        syncer.Dispose();
        (SafeFileHandle h, byte[] p) = NewFile("late");
        using (h)
        {
            Assert.False(syncer.TryAdd(h, p));
            Assert.False(h.IsClosed);
        }
    }
}
