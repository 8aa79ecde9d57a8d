using System.Security.Cryptography;
using System.Threading.Channels;
using CernVM.Preserve.Core.Chunking;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Archiver;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

/// <summary>
/// Where the file saver cuts and what it bundles, against a plain reading of FORMAT.md §4.2-4.3: each data
/// segment of a large file is cut by FastCDC from the segment's start, each cut taken from the bytes that
/// follow it as if the whole rest of the segment were at hand (the saver's window, refilled by reads of any
/// size, must not move a cut: a moved cut keeps archives valid but loses deduplication against earlier
/// versions); holes are not read or stored; the content id is the SHA-256 of the whole file, holes as zeros;
/// small files are packed in tree order into bundles closed as soon as they hold the bundle size. Small
/// chunking parameters keep the files small (the rules do not depend on the sizes).
/// </summary>
public sealed class FileSaverCutTests
{
    private static readonly ChunkingParameters Small = new()
    {
        MinSize = 256, AverageSize = 1024, MaxSize = 4096, BundleThreshold = 512, BundleSize = 2048,
    };

    /// <summary>What the saver handed to the blob savers, in order.</summary>
    private sealed record Work(bool IsBundle, byte[] Bytes, List<(string Path, int Offset, int Length)> Members, BlobId? Id);

    private sealed record Saved(FileSaver Saver, Dictionary<string, PendingFile> Files, List<Work> Work, SnapshotMonitor Monitor)
    {
        public TreeEntry this[string path] => Files[path].Entry;
    }

    /// <summary>Saves <paramref name="paths"/> in order, records each piece of work, then stores it all with a blob saver.</summary>
    private static async Task<Saved> SaveAsync(ArchiverFixture f, MemoryTree tree, ChunkingParameters p, string[] paths, IReadOnlyList<TreeEntry>? previous = null)
    {
        var monitor = new SnapshotMonitor();
        var saver = new FileSaver(tree, p, monitor, new UnchangedFiles(previous ?? []));
        var files = paths.ToDictionary(x => x, x => new PendingFile(tree.Entry(x)));
        var input = Channel.CreateUnbounded<PendingFile>();
        foreach (string x in paths)
        {
            input.Writer.TryWrite(files[x]);
        }

        input.Writer.Complete();
        var output = Channel.CreateUnbounded<BlobWork>();
        await saver.RunAsync(input.Reader, output.Writer, default);
        output.Writer.Complete();

        var work = new List<Work>();
        var forward = Channel.CreateUnbounded<BlobWork>();
        await foreach (BlobWork w in output.Reader.ReadAllAsync())
        {
            byte[] bytes = w.Buffer.AsSpan(0, w.Length).ToArray();
            work.Add(w switch
            {
                Bundle b => new Work(true, bytes, [.. b.Members.Select(m => (m.File.Walked.DisplayPath, m.Offset, m.Length))], b.Id),
                Chunk c => new Work(false, bytes, [], c.Id),
                _ => throw new InvalidOperationException(),
            });
            forward.Writer.TryWrite(w);
        }

        forward.Writer.Complete();

        // Every blob is handed out under the hash of its bytes: a bundle's lane runs a file behind its members',
        // a chunk's beside its file's.
        Assert.All(work, w => Assert.Equal(BlobId.Of(w.Bytes), w.Id));
        await new BlobSaver(f.Archive.Blobs, monitor).RunAsync(forward.Reader, default);
        await Task.WhenAll(files.Values.Select(x => x.Done)).WaitAsync(TimeSpan.FromSeconds(30));
        return new Saved(saver, files, work, monitor);
    }

    /// <summary>
    /// The reference cuts: each segment cut from its start, every cut made by FastCDC on the rest of the
    /// segment (FORMAT.md §4.3); (offset in the file, length).
    /// </summary>
    private static List<(long Offset, long Length)> ReferenceCuts(ChunkingParameters p, byte[] content, IEnumerable<(long Offset, long Length)> segments)
    {
        var cdc = new FastCdc(p.MinSize, p.AverageSize, p.MaxSize);
        var cuts = new List<(long, long)>();
        foreach ((long offset, long length) in segments)
        {
            long pos = offset;
            while (pos < offset + length)
            {
                int cut = cdc.NextCut(content.AsSpan((int)pos, (int)(offset + length - pos)), final: true);
                cuts.Add((pos, cut));
                pos += cut;
            }
        }

        return cuts;
    }

    /// <summary>Random bytes with runs of one value (no cut in a run: the maximum size cuts it) and a text-like stretch.</summary>
    private static byte[] Mixed(int length, int seed)
    {
        byte[] bytes = ArchiverFixture.Random(length, seed);
        var r = new Random(seed + 1000);
        for (int at = r.Next(2000); at < length - 1; at += 3000 + r.Next(12_000))
        {
            int run = Math.Min(length - at, 1 + r.Next(3 * Small.MaxSize));
            bytes.AsSpan(at, run).Fill((byte)r.Next(3));
            at += run;
        }

        return bytes;
    }

    private static void AssertChunksAre(Saved s, string path, byte[] content, List<(long Offset, long Length)> cuts)
    {
        TreeEntry e = s[path];
        Assert.Equal(cuts, e.Extents.Select(x => (x.Offset, x.Length)));
        Assert.All(e.Extents, x => Assert.Equal(0, x.BlobOffset));
        Assert.Equal(cuts.Select(c => BlobId.Of(content.AsSpan((int)c.Offset, (int)c.Length))), e.Extents.Select(x => x.Blob));
        // Handed out in file order, one piece of work per cut.
        HashSet<BlobId> own = [.. e.Extents.Select(x => x.Blob)];
        Assert.Equal(e.Extents.Select(x => (BlobId?)x.Blob), s.Work.Where(w => !w.IsBundle && own.Contains(w.Id!.Value)).Select(w => w.Id));
        Assert.Equal(BlobId.Of(content), e.Content);
        Assert.Equal(content.Length, e.Size);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(8191)]
    public async Task Save_LargeFileReadInPiecesOfAnySize_CutWhereFastCdcCutsTheWholeFile(int readLimit)
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        byte[] content = Mixed(150_000, 11);
        tree.Add("big", content).ReadLimit = readLimit;

        Saved s = await SaveAsync(f, tree, Small, ["big"]);

        List<(long Offset, long Length)> cuts = ReferenceCuts(Small, content, [(0, content.Length)]);
        Assert.Contains(cuts, c => c.Length == Small.MaxSize); // the runs are cut at the maximum
        Assert.Contains(cuts, c => c.Length < Small.AverageSize); // and the random bytes where their content says
        AssertChunksAre(s, "big", content, cuts);
        Assert.All(s.Work, w => Assert.Equal(BlobId.Of(w.Bytes), w.Id)); // hashed alongside the file, handed out with its id
        Assert.Empty(s.Saver.Warnings);
        Assert.Equal((1L, (long)content.Length, 1L, (long)content.Length), (s.Monitor.FilesToRead, s.Monitor.BytesToRead, s.Monitor.FilesDone, s.Monitor.BytesDone));
        Assert.Equal(cuts.Select(c => BlobId.Of(content.AsSpan((int)c.Offset, (int)c.Length))).Distinct().Count(), s.Monitor.NewBlobs);
    }

    [Theory]
    [InlineData(4096 * 2)]
    [InlineData(4096 * 2 + 1)]
    [InlineData(4096 * 3 - 1)]
    [InlineData(4096 * 5)]
    [InlineData(600)]
    public async Task Save_LargeFileOfRepeatedBytes_CutAtTheMaximumSizeAndTheRest(int length)
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        byte[] content = new byte[length];
        content.AsSpan().Fill(7);
        tree.Add("runs", content);

        Saved s = await SaveAsync(f, tree, Small, ["runs"]);

        var cuts = new List<(long, long)>();
        for (long at = 0; at < length; at += Small.MaxSize)
        {
            cuts.Add((at, Math.Min(Small.MaxSize, length - at)));
        }

        Assert.Equal(ReferenceCuts(Small, content, [(0, length)]), cuts);
        AssertChunksAre(s, "runs", content, cuts);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(333)]
    public async Task Save_SparseFile_SegmentsCutFromTheirStartHolesNeitherReadNorStoredContentIdWithZeros(int readLimit)
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        byte[] content = Mixed(60_000, 12);
        List<(long Offset, long Length)> segments = [(5000, 9000), (20_000, 300), (20_300, 17_000), (45_000, 10_000)];
        long covered = 0;
        foreach ((long offset, long length) in segments.Append((content.Length, 0)))
        {
            content.AsSpan((int)covered, (int)(offset - covered)).Clear();
            covered = offset + length;
        }

        MemoryFile file = tree.Add("sparse", content);
        file.Segments = segments;
        file.ReadLimit = readLimit;

        Saved s = await SaveAsync(f, tree, Small, ["sparse"]);

        AssertChunksAre(s, "sparse", content, ReferenceCuts(Small, content, segments));
        // Every read within a data segment, but the one byte asked at the walked size, to see whether it grew.
        var reads = tree.Reads.Where(r => r.Offset != content.Length).ToList();
        Assert.Equal([(content.Length, 1, 0)], tree.Reads.Where(r => r.Offset == content.Length).Select(r => ((int)r.Offset, r.Asked, r.Given)));
        Assert.All(reads, r => Assert.Contains(segments, g => r.Offset >= g.Offset && r.Offset + r.Given <= g.Offset + g.Length));
        Assert.All(reads, r => Assert.True(r.Given > 0));
        Assert.Equal(segments.Sum(g => g.Length), s["sparse"].Extents.Sum(x => x.Length));
        Assert.Equal(segments.Sum(g => g.Length), s.Monitor.BytesDone);
        Assert.Empty(s.Saver.Warnings);
    }

    [Theory]
    [InlineData(0, 700)] // no hole: the content id is the one chunk's id, hashed once
    [InlineData(100, 600)] // a leading hole: the content id counts the zeros
    public async Task Save_LargeFileOfOneChunk_ContentIdIsTheWholeFilesHash(int hole, int data)
    {
        var p = new ChunkingParameters { MinSize = 1024, AverageSize = 2048, MaxSize = 4096, BundleThreshold = 512, BundleSize = 2048 };
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        byte[] content = ArchiverFixture.Random(hole + data, 13);
        content.AsSpan(0, hole).Clear();
        tree.Add("one", content).Segments = [(hole, data)];

        Saved s = await SaveAsync(f, tree, p, ["one"]);

        Work chunk = Assert.Single(s.Work);
        Assert.Equal(BlobId.Of(content.AsSpan(hole)), s["one"].Extents.Single().Blob);
        Assert.Equal(new Extent(hole, data, BlobId.Of(content.AsSpan(hole)), 0), s["one"].Extents.Single());
        Assert.Equal(BlobId.Of(content), s["one"].Content);
        Assert.Equal(BlobId.Of(content.AsSpan(hole)), chunk.Id);
    }

    [Fact]
    public async Task Save_TwoSegmentsTheFirstOneChunkFromTheStart_ContentIdIsStillTheWholeFilesHash()
    {
        var p = new ChunkingParameters { MinSize = 1024, AverageSize = 2048, MaxSize = 4096, BundleThreshold = 512, BundleSize = 2048 };
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        byte[] content = ArchiverFixture.Random(3000, 14);
        content.AsSpan(700, 1300).Clear();
        tree.Add("two", content).Segments = [(0, 700), (2000, 1000)];

        Saved s = await SaveAsync(f, tree, p, ["two"]);

        Assert.Equal([(0L, 700L), (2000L, 1000L)], s["two"].Extents.Select(x => (x.Offset, x.Length)));
        Assert.Equal(BlobId.Of(content), s["two"].Content);
        Assert.All(s.Work, w => Assert.Equal(BlobId.Of(w.Bytes), w.Id));
    }

    [Fact]
    public async Task Save_LargeFileShrunkWhileRead_KeepsWhatWasReadCutAsAFileOfThatSizeWithCap002()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        byte[] now = Mixed(40_000, 15);
        tree.Add("shrunk", now, walkedSize: 55_000).ReadLimit = 3000;

        Saved s = await SaveAsync(f, tree, Small, ["shrunk"]);

        AssertChunksAre(s, "shrunk", now, ReferenceCuts(Small, now, [(0, now.Length)]));
        CaptureWarning w = Assert.Single(s.Saver.Warnings);
        Assert.Equal(("CAP002", "shrunk", "changed while being read (ended at 40000 of 55000 bytes)"), (w.Code, w.Path, w.Message));
        Assert.Equal(EntryState.Captured, s["shrunk"].State);
    }

    [Fact]
    public async Task Save_SparseFileShrunkIntoItsFirstSegment_StopsThereWithoutReadingTheNext()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        byte[] now = Mixed(20_000, 16);
        tree.Add("shrunk", now, walkedSize: 60_000).Segments = [(0, 30_000), (40_000, 20_000)];

        Saved s = await SaveAsync(f, tree, Small, ["shrunk"]);

        AssertChunksAre(s, "shrunk", now, ReferenceCuts(Small, now, [(0, now.Length)]));
        Assert.Equal("changed while being read (ended at 20000 of 60000 bytes)", Assert.Single(s.Saver.Warnings).Message);
        Assert.DoesNotContain(tree.Reads, r => r.Offset >= 30_000);
    }

    /// <summary>A large file that shrank below the threshold while read, then a small file of the same bytes: the chunk already written holds them.</summary>
    [Fact]
    public async Task Save_SmallFileWithTheContentOfALargeOneThatShrank_TakesItsChunk()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        byte[] bytes = ArchiverFixture.Random(200, 24);
        tree.Add("a-shrank", bytes, walkedSize: 5000);
        tree.Add("b-small", bytes);

        Saved s = await SaveAsync(f, tree, Small, ["a-shrank", "b-small"]);

        Assert.Equal(new Extent(0, 200, BlobId.Of(bytes), 0), s["a-shrank"].Extents.Single());
        Assert.Equal(s["a-shrank"].Extents, s["b-small"].Extents);
        Assert.DoesNotContain(s.Work, w => w.IsBundle);
        Assert.Equal(1, s.Monitor.NewBlobs);
    }

    [Fact]
    public async Task Save_LargeFileGrownWhileRead_KeepsTheWalkedSizeWithCap002()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        byte[] now = Mixed(50_000, 17);
        tree.Add("grown", now, walkedSize: 30_000);

        Saved s = await SaveAsync(f, tree, Small, ["grown"]);

        byte[] walked = now[..30_000];
        AssertChunksAre(s, "grown", walked, ReferenceCuts(Small, walked, [(0, walked.Length)]));
        // Nothing past the walked size is kept: one byte is read there, to see that the file grew.
        Assert.Equal([(30_000L, 1, 1)], tree.Reads.Where(r => r.Offset + r.Given > 30_000).Select(r => (r.Offset, r.Asked, r.Given)));
        CaptureWarning w = Assert.Single(s.Saver.Warnings);
        Assert.Equal(("CAP002", "grown", "changed while being read (size 30000 at the walk, more when read); the bytes read up to the walked size were kept"), (w.Code, w.Path, w.Message));
    }

    [Fact]
    public async Task Save_LargeFileNotGrown_NoWarning()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        tree.Add("same", Mixed(30_000, 21));

        Saved s = await SaveAsync(f, tree, Small, ["same"]);

        Assert.Empty(s.Saver.Warnings);
        Assert.Equal(BlobId.Of(Mixed(30_000, 21)), s["same"].Content);
    }

    [Fact]
    public async Task Save_ReadFailsInTheMiddleOfALargeFile_UnreadableWithCap001AfterItsChunksInFlight()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        tree.Add("a-failing", Mixed(30_000, 18)).ReadLimit = 5000;
        tree["a-failing"].FailAtRead = 4;
        tree.Add("b-next", "next");

        Saved s = await SaveAsync(f, tree, Small, ["a-failing", "b-next"]);

        TreeEntry e = s["a-failing"];
        Assert.Equal((EntryState.Unreadable, "input/output error", (BlobId?)null), (e.State, e.Note, e.Content));
        Assert.Empty(e.Extents);
        Assert.Contains(s.Work, w => !w.IsBundle); // chunks were cut before the failure
        CaptureWarning w = Assert.Single(s.Saver.Warnings);
        Assert.Equal(("CAP001", "a-failing", "read failed, recorded without content: input/output error"), (w.Code, w.Path, w.Message));
        Assert.Equal(BlobId.Of("next"u8), s["b-next"].Content);
        // Progress reaches its total: the file whose read failed is accounted done, its chunks cut before included.
        Assert.Equal((s.Monitor.FilesToRead, s.Monitor.BytesToRead), (s.Monitor.FilesDone, s.Monitor.BytesDone));
    }

    [Fact]
    public async Task Save_FileGoneWhenOpened_UnreadableWithCap001AndCountedDone()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        tree.Add("gone", new byte[700]).OpenError = new IOException("no such file");
        tree.Add("here", "here");

        Saved s = await SaveAsync(f, tree, Small, ["gone", "here"]);

        Assert.Equal((EntryState.Unreadable, "no such file"), (s["gone"].State, s["gone"].Note));
        CaptureWarning w = Assert.Single(s.Saver.Warnings);
        Assert.Equal(("CAP001", "gone", "unreadable, recorded without content: no such file"), (w.Code, w.Path, w.Message));
        // Progress reaches its total: the file that could not be opened is accounted done.
        Assert.Equal((2L, 704L), (s.Monitor.FilesToRead, s.Monitor.BytesToRead));
        Assert.Equal((s.Monitor.FilesToRead, s.Monitor.BytesToRead), (s.Monitor.FilesDone, s.Monitor.BytesDone));
    }

    [Fact]
    public async Task Save_SmallFileReadFails_UnreadableAndNotInTheBundle()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        tree.Add("a", "first");
        tree.Add("b", "fails").FailAtRead = 1;
        tree.Add("c", "third");

        Saved s = await SaveAsync(f, tree, Small, ["a", "b", "c"]);

        Assert.Equal(EntryState.Unreadable, s["b"].State);
        Assert.Equal("read failed, recorded without content: input/output error", Assert.Single(s.Saver.Warnings).Message);
        Assert.Equal((3L, 15L), (s.Monitor.FilesDone, s.Monitor.BytesDone));
        Work bundle = Assert.Single(s.Work);
        Assert.Equal("firstthird"u8.ToArray(), bundle.Bytes);
        Assert.Equal([("a", 0, 5), ("c", 5, 5)], bundle.Members);
    }

    /// <summary>
    /// Sizes chosen so that bundles fill to exactly the bundle size and one byte under and over it: a bundle
    /// is closed as soon as it holds the bundle size (2048 here), and files keep tree order.
    /// </summary>
    [Fact]
    public async Task Save_SmallFiles_PackedInTreeOrderIntoBundlesClosedOnceTheyHoldTheBundleSize()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        int[] sizes = [500, 500, 500, 500, 48, 511, 511, 511, 511, 3, 300, 1, 511, 511, 511, 511, 3, 10];
        string[] paths = [.. sizes.Select((n, i) => $"f{i:D2}")];
        for (int i = 0; i < sizes.Length; i++)
        {
            tree.Add(paths[i], ArchiverFixture.Random(sizes[i], 100 + i)).ReadLimit = 1 + (i * 37 % 200);
        }

        Saved s = await SaveAsync(f, tree, Small, paths);

        // The plain reading: add each file in order; close the bundle once it holds at least the bundle size.
        var expected = new List<List<string>> { new() };
        int held = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            expected[^1].Add(paths[i]);
            held += sizes[i];
            if (held >= Small.BundleSize)
            {
                expected.Add([]);
                held = 0;
            }
        }

        expected.RemoveAll(b => b.Count == 0);
        Assert.Equal(4, expected.Count); // 2048 exactly; 2047, then over; 2048 exactly; the rest
        Assert.All(s.Work, w => Assert.True(w.IsBundle));
        Assert.Equal(expected, s.Work.Select(w => w.Members.Select(m => m.Path).ToList()));
        foreach (Work bundle in s.Work)
        {
            Assert.Equal(bundle.Members.Sum(m => m.Length), bundle.Bytes.Length);
            foreach ((string path, int offset, int length) in bundle.Members)
            {
                Assert.Equal(tree[path].Content, bundle.Bytes.AsSpan(offset, length).ToArray());
                Assert.Equal(new Extent(0, length, BlobId.Of(bundle.Bytes), offset), s[path].Extents.Single());
                Assert.Equal(BlobId.Of(tree[path].Content), s[path].Content);
            }
        }

        Assert.Equal(sizes.Sum(), s.Monitor.BytesDone);
        Assert.Equal(sizes.Length, s.Monitor.FilesDone);
        Assert.Equal(4, s.Monitor.NewBlobs);
    }

    [Fact]
    public async Task Save_SmallAndLargeFilesInterleaved_BundleGoesOnAcrossTheLargeOnes()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        tree.Add("a", "one");
        tree.Add("b", ArchiverFixture.Random(Small.BundleThreshold, 20));
        tree.Add("c", ArchiverFixture.Random(Small.BundleThreshold - 1, 21));

        Saved s = await SaveAsync(f, tree, Small, ["a", "b", "c"]);

        // b, at the threshold, is cut into chunks at once; a and c wait in the bundle, handed out at the end.
        Assert.All(s.Work[..^1], w => Assert.False(w.IsBundle));
        Assert.Equal(["a", "c"], s.Work[^1].Members.Select(m => m.Path));
        Assert.Equal(ReferenceCuts(Small, tree["b"].Content, [(0, Small.BundleThreshold)]), s["b"].Extents.Select(x => (x.Offset, x.Length)));
    }

    [Fact]
    public async Task Save_SameSmallContentAgainOrAsInThePreviousVersion_TakesTheExtentsThatHoldIt()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var before = new MemoryTree();
        before.Add("old", "kept since");
        before.Add("old-big", Mixed(9000, 22));
        Saved first = await SaveAsync(f, before, Small, ["old", "old-big"]);
        List<TreeEntry> previous = [first["old"], first["old-big"]];

        var tree = new MemoryTree();
        tree.Add("a", "twice");
        tree.Add("b", "kept since");
        tree.Add("c", "twice");
        tree.Add("d", "");
        tree.Add("e", "new");
        Saved s = await SaveAsync(f, tree, Small, ["a", "b", "c", "d", "e"], previous);

        Assert.Equal(first["old"].Extents, s["b"].Extents);
        Assert.Equal(s["a"].Extents, s["c"].Extents);
        Assert.Equal("twicenew"u8.ToArray(), Assert.Single(s.Work).Bytes);
        Assert.Equal([("a", 0, 5), ("e", 5, 3)], s.Work[0].Members);
        Assert.Empty(s["d"].Extents);
        Assert.Equal(BlobId.Of([]), s["d"].Content);
        Assert.Equal((1L, 8L), (s.Monitor.NewBlobs, s.Monitor.NewBytes));
        Assert.Equal(0, s.Saver.FilesUnchanged);
    }

    [Fact]
    public async Task Save_SmallFileReadInPieces_ReadWholeAndNotPastOneByteMore()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        tree.Add("pieces", "read three bytes at a time").ReadLimit = 3;

        Saved s = await SaveAsync(f, tree, Small, ["pieces"]);

        Assert.Equal(BlobId.Of("read three bytes at a time"u8), s["pieces"].Content);
        Assert.Empty(s.Saver.Warnings);
        // 26 bytes in nine reads, each asking for the rest and one byte more; the last, short, ends at the walked size.
        Assert.Equal(9, tree.Reads.Count);
        Assert.Equal(26, tree.Reads.Sum(r => r.Given));
        Assert.All(tree.Reads, r => Assert.Equal(27 - r.Offset, r.Asked));
        Assert.Equal((24L, 3, 2), (tree.Reads[^1].Offset, tree.Reads[^1].Asked, tree.Reads[^1].Given));
    }

    [Fact]
    public async Task Save_SmallFileReadWhole_OneReadOnly_ItsShortAnswerIsTheEnd()
    {
        // A regular file's read is short only at its end: the one read of the size and one byte more that gives
        // the walked size says the file did not grow, without a second read to find the end (a second system
        // call for each of a tree's thousands of small files).
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        tree.Add("whole", "read at once");

        Saved s = await SaveAsync(f, tree, Small, ["whole"]);

        Assert.Equal(BlobId.Of("read at once"u8), s["whole"].Content);
        Assert.Empty(s.Saver.Warnings);
        Assert.Equal((0L, 13, 12), (Assert.Single(tree.Reads).Offset, tree.Reads[0].Asked, tree.Reads[0].Given));
    }

    [Theory]
    [InlineData(10, "changed while being read (size 10 at the walk, 6 when read); the bytes read up to the walked size were kept", 6)]
    [InlineData(4, "changed while being read (size 4 at the walk, more when read); the bytes read up to the walked size were kept", 4)]
    public async Task Save_SmallFileChangedSizeWhileRead_KeepsTheBytesUpToTheWalkedSizeWithCap002(long walked, string message, int kept)
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        tree.Add("changed", "sixsix"u8.ToArray(), walked);

        Saved s = await SaveAsync(f, tree, Small, ["changed"]);

        Assert.Equal(BlobId.Of("sixsix"u8[..kept]), s["changed"].Content);
        Assert.Equal(kept, s["changed"].Size);
        Assert.Equal(new Extent(0, kept, BlobId.Of("sixsix"u8[..kept]), 0), s["changed"].Extents.Single());
        CaptureWarning w = Assert.Single(s.Saver.Warnings);
        Assert.Equal(("CAP002", "changed", message), (w.Code, w.Path, w.Message));
    }

    [Fact]
    public async Task Save_Cancelled_ReadsNothing()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        tree.Add("small", "small");
        using var saver = new FileSaver(tree, Small, new SnapshotMonitor(), new UnchangedFiles([]));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => saver.SaveAsync(new PendingFile(tree.Entry("small")), Channel.CreateUnbounded<BlobWork>().Writer, cancelled.Token));

        Assert.Empty(tree.Reads);
    }

    [Fact]
    public async Task Flush_NothingBundled_HandsOutNothing()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var tree = new MemoryTree();
        tree.Add("empty", "");
        tree.Add("large", ArchiverFixture.Random(1000, 23));

        Saved s = await SaveAsync(f, tree, Small, ["empty", "large"]);

        Assert.NotEmpty(s.Work);
        Assert.All(s.Work, w => Assert.False(w.IsBundle));
    }
}
