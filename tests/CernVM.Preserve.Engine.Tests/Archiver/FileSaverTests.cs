using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Archiver;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

public class FileSaverTests
{
    [Fact]
    public async Task Run_SmallFiles_ArePackedIntoOneBundleWithTheirContentIds()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("a", "alpha"u8.ToArray());
        f.Write("b", "beta"u8.ToArray());
        f.Write("empty", []);
        var monitor = new SnapshotMonitor();
        (_, List<PendingFile> files) = f.Scan(f.Source());

        FileSaver saver = await f.SaveAsync(f.Source(), files, [], monitor);

        TreeEntry a = files.Single(p => p.Entry.DisplayPath == "a").Entry;
        TreeEntry b = files.Single(p => p.Entry.DisplayPath == "b").Entry;
        TreeEntry empty = files.Single(p => p.Entry.DisplayPath == "empty").Entry;
        Assert.Equal(BlobId.Of("alpha"u8), a.Content);
        Assert.Equal(BlobId.Of("beta"u8), b.Content);
        Assert.Equal(BlobId.Of([]), empty.Content);
        Assert.Empty(empty.Extents);
        Assert.Equal(a.Extents[0].Blob, b.Extents[0].Blob);
        Assert.Equal(new Extent(0, 5, a.Extents[0].Blob, 0), a.Extents.Single());
        Assert.Equal(new Extent(0, 4, a.Extents[0].Blob, 5), b.Extents.Single());
        Assert.Equal(1, monitor.NewBlobs);
        Assert.Equal("alphabeta"u8.ToArray(), await f.Archive.Blobs.GetAsync(a.Extents[0].Blob, default));
        Assert.Empty(saver.Warnings);
    }

    [Fact]
    public async Task Run_NoBlobStoredYet_EveryFileIsAlreadyFinalWithTheBlobsItWillBeIn()
    {
        // Entries are final once their blobs are named, not once stored: the catalog is written while the last
        // blobs are compressed (the snapshot commits it only after every blob is durable).
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("a", "alpha"u8.ToArray());
        byte[] big = ArchiverFixture.Random(3 * 1024 * 1024 + 17, 4);
        f.Write("big", big);
        (_, List<PendingFile> files) = f.Scan(f.Source());
        using var saver = new FileSaver(f.Source(), f.Archive.Descriptor.Chunking, new SnapshotMonitor(), new UnchangedFiles([]));
        var input = System.Threading.Channels.Channel.CreateUnbounded<PendingFile>();
        files.ForEach(p => input.Writer.TryWrite(p));
        input.Writer.Complete();
        var work = System.Threading.Channels.Channel.CreateUnbounded<BlobWork>(); // read by no blob saver

        await saver.RunAsync(input.Reader, work.Writer, default);

        Assert.All(files, p => Assert.True(p.Done.IsCompleted, p.Walked.DisplayPath));
        var handedOut = new List<BlobWork>();
        while (work.Reader.TryRead(out BlobWork? w))
        {
            handedOut.Add(w);
        }

        var named = handedOut.Select(w => w switch { Bundle b => b.Id!.Value, Chunk c => c.Id, _ => default }).ToHashSet();
        Assert.All(files.SelectMany(p => p.Entry.Extents), x => Assert.Contains(x.Blob, named));
        TreeEntry bigEntry = files.Single(p => p.Walked.DisplayPath == "big").Entry;
        Assert.Equal(BlobId.Of(big), bigEntry.Content);
        Assert.Equal(big.Length, bigEntry.Extents.Sum(x => x.Length));
        string blobs = Path.Combine(f.Root, "archive", "blobs");
        Assert.False(Directory.Exists(blobs) && Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories).Any(), "nothing is stored yet");
        handedOut.ForEach(w => System.Buffers.ArrayPool<byte>.Shared.Return(w.Buffer));
    }

    [Fact]
    public async Task Run_LargeFile_IsCutIntoChunksThatRebuildIt()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        byte[] content = ArchiverFixture.Random(9 * 1024 * 1024 + 123, 1);
        f.Write("big", content);
        (_, List<PendingFile> files) = f.Scan(f.Source());

        await f.SaveAsync(f.Source(), files, [], new SnapshotMonitor());

        TreeEntry big = files.Single().Entry;
        Assert.Equal(BlobId.Of(content), big.Content);
        Assert.True(big.Extents.Count >= 3, $"{big.Extents.Count} chunks");
        var rebuilt = new byte[content.Length];
        foreach (Extent x in big.Extents)
        {
            byte[] blob = await f.Archive.Blobs.GetAsync(x.Blob, default);
            blob.AsSpan((int)x.BlobOffset, (int)x.Length).CopyTo(rebuilt.AsSpan((int)x.Offset));
        }

        Assert.Equal(content, rebuilt);
    }

    [Fact]
    public async Task Run_SameContentTwice_StoresItOnceAndBothNameTheSameBytes()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        byte[] large = ArchiverFixture.Random(2 * 1024 * 1024, 2);
        f.Write("x/large", large);
        f.Write("y/large", large);
        f.Write("x/small", "same"u8.ToArray());
        f.Write("y/small", "same"u8.ToArray());
        var monitor = new SnapshotMonitor();
        (_, List<PendingFile> files) = f.Scan(f.Source());

        await f.SaveAsync(f.Source(), files, [], monitor);

        TreeEntry[] e = files.Select(p => p.Entry).ToArray();
        Assert.Equal(e.Single(x => x.DisplayPath == "x/large").Extents, e.Single(x => x.DisplayPath == "y/large").Extents);
        Assert.Equal(e.Single(x => x.DisplayPath == "x/small").Extents, e.Single(x => x.DisplayPath == "y/small").Extents);
        Assert.Equal(large.Length + 4, monitor.NewBytes);
    }

    [Fact]
    public async Task Run_FileUnchangedSinceThePreviousVersion_IsNotReadAndKeepsItsExtents()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("kept", "kept"u8.ToArray());
        (_, List<PendingFile> first) = f.Scan(f.Source());
        await f.SaveAsync(f.Source(), first, [], new SnapshotMonitor());
        List<TreeEntry> previous = first.Select(p => p.Entry).ToList();
        var monitor = new SnapshotMonitor();
        (_, List<PendingFile> again) = f.Scan(f.Source());

        FileSaver saver = await f.SaveAsync(f.Source(), again, previous, monitor);

        Assert.Equal(1, saver.FilesUnchanged);
        Assert.Equal(0, monitor.FilesDone);
        Assert.Equal(0, monitor.NewBlobs);
        Assert.Equal(previous[0].Extents, again[0].Entry.Extents);
        Assert.Equal(previous[0].Content, again[0].Entry.Content);
    }

    [Fact]
    public async Task Run_FileGoneBeforeItIsRead_IsRecordedUnreadableWithCap001()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        string gone = f.Write("gone", "soon"u8.ToArray());
        f.Write("stays", "here"u8.ToArray());
        (_, List<PendingFile> files) = f.Scan(f.Source());
        File.Delete(gone);

        FileSaver saver = await f.SaveAsync(f.Source(), files, [], new SnapshotMonitor());

        TreeEntry e = files.Single(p => p.Entry.DisplayPath == "gone").Entry;
        Assert.Equal(EntryState.Unreadable, e.State);
        Assert.Empty(e.Extents);
        Assert.Equal("CAP001", Assert.Single(saver.Warnings).Code);
        Assert.Equal(EntryState.Captured, files.Single(p => p.Entry.DisplayPath == "stays").Entry.State);
    }

    [Fact]
    public async Task Run_FileGrownSinceTheWalk_KeepsTheWalkedSizeWithCap002()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        string grows = f.Write("grows", "12345"u8.ToArray());
        (_, List<PendingFile> files) = f.Scan(f.Source());
        File.AppendAllText(grows, "678");

        FileSaver saver = await f.SaveAsync(f.Source(), files, [], new SnapshotMonitor());

        Assert.Equal(BlobId.Of("12345"u8), files[0].Entry.Content);
        Assert.Equal("CAP002", Assert.Single(saver.Warnings).Code);
    }
}
