using System.Threading.Channels;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Archiver;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

public class SmallFileReaderTests
{
    private const int Threshold = 256 * 1024;

    private static Channel<PendingFile> Input(IEnumerable<PendingFile> files)
    {
        var input = Channel.CreateUnbounded<PendingFile>();
        foreach (PendingFile f in files)
        {
            input.Writer.TryWrite(f);
        }

        input.Writer.Complete();
        return input;
    }

    private static async Task<List<FileToSave>> ReadAllAsync(SmallFileReader reader, IEnumerable<PendingFile> files, CancellationToken cancellationToken = default)
    {
        var ordered = Channel.CreateBounded<FileToSave>(2);
        Task reading = reader.RunAsync(Input(files).Reader, ordered.Writer, cancellationToken);
        var output = new List<FileToSave>();
        await foreach (FileToSave f in ordered.Reader.ReadAllAsync(cancellationToken))
        {
            output.Add(f);
        }

        await reading.WaitAsync(TimeSpan.FromSeconds(30));
        return output;
    }

    [Fact]
    public async Task Run_ManyFilesOnSeveralReaders_ComeOutInWalkOrder_SmallOnesWithTheirBytes()
    {
        var tree = new MemoryTree
        {
            ReadsConcurrently = true,
            // Opens take uneven time, so that readers finish out of order.
            Opening = path => Thread.SpinWait(path.GetHashCode() & 0xFFFF),
        };
        var rng = new Random(7);
        for (int i = 0; i < 400; i++)
        {
            MemoryFile f = tree.Add($"f{i:D4}", ArchiverFixture.Random(i % 50 == 0 ? Threshold + i : rng.Next(0, 20_000), i));
            f.ReadLimit = i % 3 == 0 ? 1000 : int.MaxValue; // short reads too
        }

        List<PendingFile> files = [.. tree.Walk(default).Where(e => e.Kind == EntryKind.File).Select(e => new PendingFile(e))];

        List<FileToSave> output = await ReadAllAsync(new SmallFileReader(tree, Threshold, new UnchangedFiles([]), readers: 3, window: 2), files);

        Assert.Equal(files, output.Select(o => o.File));
        foreach (FileToSave o in output)
        {
            byte[] content = tree[o.File.Walked.DisplayPath].Content;
            if (content.Length >= Threshold)
            {
                Assert.Null(o.Content); // a large file is the file saver's to read and cut
                continue;
            }

            SmallContent read = await o.Content!;
            Assert.Null(read.OpenFailure);
            Assert.Null(read.ReadFailure);
            Assert.Equal(content, read.Bytes.ToArray());
            read.Release();
        }
    }

    [Fact]
    public async Task Run_FileThatGrewOrCannotBeReadOrOpened_SaysSoInItsPlace()
    {
        var tree = new MemoryTree { ReadsConcurrently = true };
        tree.Add("a-grew", new byte[100], walkedSize: 90);
        tree.Add("b-gone", "x").OpenError = new IOException("no such file");
        tree.Add("c-broken", "y").FailAtRead = 1;
        tree.Add("d-shrank", new byte[50], walkedSize: 80);
        List<PendingFile> files = [.. tree.Walk(default).Where(e => e.Kind == EntryKind.File).Select(e => new PendingFile(e))];

        List<FileToSave> output = await ReadAllAsync(new SmallFileReader(tree, Threshold, new UnchangedFiles([]), readers: 2, window: 4), files);

        SmallContent[] read = await Task.WhenAll(output.Select(o => o.Content!));
        Assert.Equal(91, read[0].Read); // the walked size and one byte more: it grew
        Assert.Equal("no such file", read[1].OpenFailure);
        Assert.Null(read[1].ReadFailure);
        Assert.Equal("input/output error", read[2].ReadFailure);
        Assert.Null(read[2].OpenFailure);
        Assert.Equal(50, read[3].Read);
        Assert.All(read, r => r.Release());
    }

    [Fact]
    public async Task Run_FilesUnchangedSinceThePreviousVersion_AreNotRead()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("same", "unchanged"u8.ToArray());
        f.Write("edited", "before"u8.ToArray());
        (_, List<PendingFile> first) = f.Scan(f.Source());
        await f.SaveAsync(f.Source(), first, [], new SnapshotMonitor());
        List<TreeEntry> previous = [.. first.Select(p => p.Entry)];
        f.Write("edited", "after, and longer"u8.ToArray());
        (_, List<PendingFile> second) = f.Scan(f.Source());

        List<FileToSave> output = await ReadAllAsync(new SmallFileReader(f.Source(), Threshold, new UnchangedFiles(previous), readers: 2, window: 4), second);

        Assert.Null(output.Single(o => o.File.Walked.DisplayPath == "same").Content);
        SmallContent edited = await output.Single(o => o.File.Walked.DisplayPath == "edited").Content!;
        Assert.Equal("after, and longer"u8.ToArray(), edited.Bytes.ToArray());
        edited.Release();
    }

    [Fact]
    public async Task Run_Cancelled_StopsAndCompletesTheOutputWithTheCancellation()
    {
        using var cts = new CancellationTokenSource();
        var tree = new MemoryTree { ReadsConcurrently = true, Opening = path => { if (path == "f0010") cts.Cancel(); } };
        for (int i = 0; i < 100; i++)
        {
            tree.Add($"f{i:D4}", $"file {i}");
        }

        List<PendingFile> files = [.. tree.Walk(default).Where(e => e.Kind == EntryKind.File).Select(e => new PendingFile(e))];
        var ordered = Channel.CreateBounded<FileToSave>(2);
        var reader = new SmallFileReader(tree, Threshold, new UnchangedFiles([]), readers: 2, window: 2);

        Task reading = reader.RunAsync(Input(files).Reader, ordered.Writer, cts.Token);
        int handedOn = 0;
        Task draining = Task.Run(async () =>
        {
            await foreach (FileToSave _ in ordered.Reader.ReadAllAsync())
            {
                handedOn++;
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => draining.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.InRange(handedOn, 1, 99);
        Assert.True(tree.Reads.Count < 100, "reading stopped before the end");
    }

    [Fact]
    public async Task FileSaver_WithFilesReadAhead_HandsOutTheSameBlobsEntriesAndWarningsAsReadingInPlace()
    {
        var tree = new MemoryTree { ReadsConcurrently = true };
        var rng = new Random(3);
        for (int i = 0; i < 700; i++)
        {
            tree.Add($"d/f{i:D4}", ArchiverFixture.Random(rng.Next(0, 24_000), i % 640)); // some contents twice
        }

        tree.Add("e/empty", []);
        tree.Add("e/grew", new byte[100], walkedSize: 90);
        tree.Add("e/shrank", new byte[50], walkedSize: 80);
        tree.Add("e/gone", "x").OpenError = new IOException("no such file");
        tree.Add("e/broken", "y").FailAtRead = 1;
        tree.Add("e/large", ArchiverFixture.Random(700_000, 1));
        tree["d/f0005"].ReadLimit = 333;

        (List<TreeEntry> Entries, List<CaptureWarning> Warnings, List<(BlobId, byte[])> Blobs) inPlace = await SaveAsync(tree, readAhead: false);
        (List<TreeEntry> Entries, List<CaptureWarning> Warnings, List<(BlobId, byte[])> Blobs) ahead = await SaveAsync(tree, readAhead: true);

        Assert.Equal(inPlace.Entries, ahead.Entries);
        Assert.Equal(inPlace.Warnings, ahead.Warnings);
        Assert.Equal(inPlace.Blobs.Select(b => b.Item1), ahead.Blobs.Select(b => b.Item1));
        Assert.All(ahead.Blobs, b => Assert.Equal(b.Item1, BlobId.Of(b.Item2)));
        Assert.True(inPlace.Blobs.Count >= 3, "two bundles and a chunk at least");
        Assert.Equal(4, inPlace.Warnings.Count); // grew, shrank (CAP002); gone, broken (CAP001)
    }

    // The file saver's work, read in place or ahead: the final entries, the warnings, and the blobs handed out in order.
    private static async Task<(List<TreeEntry>, List<CaptureWarning>, List<(BlobId, byte[])>)> SaveAsync(MemoryTree tree, bool readAhead)
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        ChunkingParameters chunking = f.Archive.Descriptor.Chunking;
        (_, List<PendingFile> files) = f.Scan(tree);
        using var saver = new FileSaver(tree, chunking, new SnapshotMonitor(), new UnchangedFiles([]));
        var work = Channel.CreateUnbounded<BlobWork>();
        Channel<PendingFile> input = Input(files);
        if (readAhead)
        {
            var ordered = Channel.CreateBounded<FileToSave>(3);
            Task reading = new SmallFileReader(tree, chunking.BundleThreshold, new UnchangedFiles([]), readers: 3, window: 3).RunAsync(input.Reader, ordered.Writer, default);
            await saver.RunAsync(ordered.Reader, work.Writer, default);
            await reading;
        }
        else
        {
            await saver.RunAsync(input.Reader, work.Writer, default);
        }

        work.Writer.Complete();
        var blobs = new List<(BlobId, byte[])>();
        await foreach (BlobWork w in work.Reader.ReadAllAsync())
        {
            blobs.Add((w switch { Bundle b => b.Id!.Value, Chunk c => c.Id, _ => throw new InvalidOperationException() }, w.Buffer.AsSpan(0, w.Length).ToArray()));
            System.Buffers.ArrayPool<byte>.Shared.Return(w.Buffer);
        }

        await Task.WhenAll(files.Select(p => p.Done)).WaitAsync(TimeSpan.FromSeconds(30));
        return ([.. files.Select(p => p.Entry)], saver.Warnings, blobs);
    }
}
