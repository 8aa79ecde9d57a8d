using System.Threading.Channels;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Engine.Archiver;
using CernVM.Preserve.Posix;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

public class ScannerTests
{
    [Fact]
    public async Task Run_RealTree_HandsOutEachCapturedFileOnceAndEveryEntryInIdOrder()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("a/one", new byte[100]);
        f.Write("a/two", new byte[200]);
        string three = f.Write("b/three", new byte[300]);
        File.CreateSymbolicLink(Path.Combine(f.Tree, "link"), "a/one");
        PosixFs.HardLink(PosixFs.FromString(three), PosixFs.FromString(Path.Combine(f.Tree, "b/three-again")));
        f.Write("skip/x.o", new byte[5000]);
        var monitor = new SnapshotMonitor();
        var files = Channel.CreateUnbounded<PendingFile>();
        var rows = Channel.CreateUnbounded<(TreeEntry Entry, PendingFile? File)>();

        List<TreeEntry> entries = new Scanner(f.Source("*.o"), monitor).Run(files.Writer, rows.Writer, default);

        var pending = new List<PendingFile>();
        await foreach (PendingFile p in files.Reader.ReadAllAsync())
        {
            pending.Add(p);
        }

        var handed = new List<(TreeEntry Entry, PendingFile? File)>();
        await foreach ((TreeEntry, PendingFile?) r in rows.Reader.ReadAllAsync())
        {
            handed.Add(r);
        }

        Assert.Equal(["a/one", "a/two", "b/three"], pending.Select(p => p.Entry.DisplayPath));
        Assert.Equal(entries.Select(e => e.Id), handed.Select(r => r.Entry.Id));
        Assert.Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i), entries.Select(e => e.Id));
        Assert.All(handed, r => Assert.Equal(pending.Any(p => ReferenceEquals(p.Entry, r.Entry)), r.File is not null));
        Assert.True(monitor.ScanComplete);
        Assert.Equal(entries.Count, monitor.ScannedEntries);
        Assert.Equal(entries.Count, monitor.Entries);
        Assert.Equal(3, monitor.ScannedFiles);
        Assert.Equal(600, monitor.ScannedBytes);
    }

    [Fact]
    public async Task Run_RootMissing_FailsAndCompletesBothChannelsWithTheFailure()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var files = Channel.CreateUnbounded<PendingFile>();
        var rows = Channel.CreateUnbounded<(TreeEntry, PendingFile?)>();
        var scanner = new Scanner(new DirectoryTreeSource(Path.Combine(f.Root, "nowhere"), []), new SnapshotMonitor());

        PreserveException e = Assert.Throws<PreserveException>(() => scanner.Run(files.Writer, rows.Writer, default));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains("nowhere", e.Message);
        await Assert.ThrowsAsync<PreserveException>(() => files.Reader.Completion);
        await Assert.ThrowsAsync<PreserveException>(() => rows.Reader.Completion);
    }
}
