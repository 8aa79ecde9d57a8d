using CernVM.Preserve.Core;
using System.Buffers;
using System.Globalization;
using System.Threading.Channels;
using CernVM.Preserve.Core.Chunking;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Hashing;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>
/// Reads and cuts regular files into blob work (FORMAT.md §4.3), one file at a time in tree order: a file
/// unchanged since the previous version is not read; a small file is read straight into the current bundle;
/// a large one is read by data segments (holes skipped) and cut by FastCDC. Identical content is stored
/// once: a file whose content is already known takes the extents of the file that holds it. The content id
/// is the SHA-256 of the whole file, holes read as zeros (FORMAT.md §6.2). Disposing it releases its hash lanes
/// (native state where the processor has no SHA extensions); what it counted and met stays readable.
/// </summary>
internal sealed class FileSaver : IDisposable
{
    private static readonly byte[] Zeros = new byte[1024 * 1024];

    private readonly ITreeSource _tree;
    private readonly ChunkingParameters _params;
    private readonly FastCdc _chunker;
    private readonly SnapshotMonitor _monitor;
    private readonly UnchangedFiles _unchanged;

    // Content already stored or on its way: a renamed or copied file costs nothing.
    private readonly Dictionary<BlobId, PendingFile> _known = [];
    private Bundle? _bundle;

    // The bundle's own hash runs behind its members' (FORMAT.md §4.2: its id is the hash of all their bytes): each
    // small file's hash is taken alongside the bundle's over as many bytes of the members before it, two lanes at
    // once (Sha256Lane.AppendBoth); _bundleHashed is how far the bundle's lane has gone, and the rest is hashed
    // when the bundle is handed out.
    private readonly Sha256Lane _bundleLane = new();
    private readonly Sha256Lane _fileLane = new();
    private readonly Sha256Lane _chunkLane = new();
    private int _bundleHashed;

    public FileSaver(ITreeSource tree, ChunkingParameters parameters, SnapshotMonitor monitor, UnchangedFiles unchanged)
    {
        _tree = tree;
        _params = parameters;
        _chunker = new FastCdc(parameters.MinSize, parameters.AverageSize, parameters.MaxSize);
        _monitor = monitor;
        _unchanged = unchanged;
        foreach (TreeEntry p in unchanged.Previous)
        {
            if (p.Content is BlobId c && p.Kind == EntryKind.File && p.HardlinkTo is null && p.Extents.Count > 0)
            {
                _known.TryAdd(c, PendingFile.Final(p));
            }
        }
    }

    public void Dispose()
    {
        _bundleLane.Dispose();
        _fileLane.Dispose();
        _chunkLane.Dispose();
    }

    /// <summary>What reading met (FORMAT.md §5.2: CAP001 unreadable, CAP002 changed while read).</summary>
    public List<CaptureWarning> Warnings { get; } = [];

    /// <summary>Files not read because they are unchanged since the previous version.</summary>
    public long FilesUnchanged { get; private set; }

    /// <summary>Saves every file <paramref name="files"/> yields, then hands out the last bundle.</summary>
    public async Task RunAsync(ChannelReader<PendingFile> files, ChannelWriter<BlobWork> blobs, CancellationToken cancellationToken)
    {
        await foreach (PendingFile file in files.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await SaveAsync(file, blobs, cancellationToken).ConfigureAwait(false);
        }

        await FlushAsync(blobs, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads and cuts one file; its entry is final once every blob it names is named (handed out or known).</summary>
    public async Task SaveAsync(PendingFile file, ChannelWriter<BlobWork> blobs, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        TreeEntry e = file.Walked;
        if (_unchanged.TryReuse(e) is TreeEntry reused)
        {
            FilesUnchanged++;
            file.Reuse(reused);
            return;
        }

        _monitor.AddToRead(1, e.Size);
        IFileContent handle;
        try
        {
            handle = _tree.Open(e);
        }
        catch (IOException ex)
        {
            Warnings.Add(CaptureWarning.For(ReportCode.EntryUnreadable, e.DisplayPath, $"unreadable, recorded without content: {ex.Message}"));
            _monitor.AddDone(1, e.Size);
            file.CompleteUnreadable(ex.Message);
            return;
        }

        using (handle)
        {
            var counted = new CountedBytes();
            try
            {
                if (e.Size < _params.BundleThreshold)
                {
                    await SaveSmallAsync(handle, file, blobs, cancellationToken).ConfigureAwait(false);
                    _monitor.AddDone(1, e.Size);
                }
                else
                {
                    await SaveLargeAsync(handle, file, blobs, counted, cancellationToken).ConfigureAwait(false);
                    _monitor.AddDone(1, 0);
                }
            }
            catch (IOException ex)
            {
                // A small file fails before it joins a bundle; a large one may have chunks in flight, stored
                // but named by no entry (its own is final now, without extents). Either is accounted done, as a
                // file that could not be opened is, so that progress reaches its total.
                Warnings.Add(CaptureWarning.For(ReportCode.EntryUnreadable, e.DisplayPath, $"read failed, recorded without content: {ex.Message}"));
                _monitor.AddDone(1, Math.Max(0, e.Size - counted.Bytes));
                file.Fail(ex.Message);
            }
        }
    }

    /// <summary>Hands out the bundle being filled, if it holds anything.</summary>
    public async Task FlushAsync(ChannelWriter<BlobWork> blobs, CancellationToken cancellationToken)
    {
        if (_bundle is null)
        {
            return;
        }

        if (_bundle.Length > 0)
        {
            await HandOutBundleAsync(blobs, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(_bundle.Buffer);
        }

        _bundle = null;
    }

    // The bundle's id, its lane finished over the members not yet hashed; its members final; the bundle to the blob saver.
    private async Task HandOutBundleAsync(ChannelWriter<BlobWork> blobs, CancellationToken cancellationToken)
    {
        Bundle bundle = _bundle!;
        _bundleLane.Append(bundle.Buffer.AsSpan(_bundleHashed, bundle.Length - _bundleHashed));
        BlobId id = _bundleLane.FinishId();
        bundle.Seal(id);
        foreach ((PendingFile member, int offset, int length) in bundle.Members)
        {
            member.CompleteIn(id, offset, length);
        }

        _bundleHashed = 0;
        _bundle = null;
        await blobs.WriteAsync(bundle, cancellationToken).ConfigureAwait(false);
    }

    private async Task SaveSmallAsync(IFileContent handle, PendingFile file, ChannelWriter<BlobWork> blobs, CancellationToken cancellationToken)
    {
        TreeEntry e = file.Walked;
        _bundle ??= NewBundle();

        // Read straight into the bundle: no copy, no allocation per file.
        if (_bundle.Length + e.Size + 1 > _bundle.Buffer.Length)
        {
            await HandOutBundleAsync(blobs, cancellationToken).ConfigureAwait(false);
            _bundle = NewBundle();
        }

        int length = ReadSmall(handle, e, _bundle.Buffer.AsSpan(_bundle.Length, (int)e.Size + 1));
        _fileLane.Reset(); // a large file whose read failed may have left bytes in it
        int behind = Math.Min(_bundle.Length - _bundleHashed, length); // as many as the file's, so that the two pair up
        Sha256Lane.AppendBoth(
            _bundleLane, _bundle.Buffer.AsSpan(_bundleHashed, behind),
            _fileLane, _bundle.Buffer.AsSpan(_bundle.Length, length));
        _bundleHashed += behind;
        BlobId content = _fileLane.FinishId();
        file.SetContent(content, length);
        if (length == 0)
        {
            // An empty file has no extents.
            file.Complete();
        }
        else if (_known.TryGetValue(content, out PendingFile? source))
        {
            file.CopyExtentsOf(source);
        }
        else
        {
            _known[content] = file;
            _bundle.Commit(file, length);
            if (_bundle.Length >= _params.BundleSize)
            {
                await HandOutBundleAsync(blobs, cancellationToken).ConfigureAwait(false);
                _bundle = NewBundle();
            }
        }
    }

    private Bundle NewBundle() => new(RentBlobBuffer());

    // Every blob's bytes (a bundle's, or a chunk's of any length) in a buffer of one size, so that the few buffers
    // in flight at a time are the same arrays all through a snapshot: rented by their own lengths, chunks would
    // take from four of the pool's sizes and bundles from a fifth, each size keeping its own few arrays, and a
    // cold snapshot of the Debian tree touched (page-faulted) about 80 MB of buffers where one size needs 35.
    private byte[] RentBlobBuffer() => ArrayPool<byte>.Shared.Rent(Math.Max(_params.MaxSize, _params.BundleSize + _params.BundleThreshold));

    /// <summary>Reads a small file into <paramref name="target"/> (its size plus one byte, to notice growth).</summary>
    private int ReadSmall(IFileContent handle, TreeEntry e, Span<byte> target)
    {
        int total = 0;
        while (total < target.Length)
        {
            int want = target.Length - total;
            int n = handle.Read(target[total..], total);
            if (n == 0)
            {
                break;
            }

            total += n;
            if (n < want && total == e.Size)
            {
                break; // a short read that ends at the walked size is the end of the file: no second read to learn it
            }
        }

        if (total != e.Size)
        {
            Warnings.Add(CaptureWarning.For(ReportCode.FileChangedWhileRead, e.DisplayPath, $"changed while being read (size {e.Size} at the walk, {(total > e.Size ? "more" : total.ToString(CultureInfo.InvariantCulture))} when read); the bytes read up to the walked size were kept"));
            total = (int)Math.Min(total, e.Size);
        }

        return total;
    }

    /// <summary>The bytes of the file being read already counted done (a large file's, chunk by chunk).</summary>
    private sealed class CountedBytes
    {
        public long Bytes { get; set; }
    }

    private async Task SaveLargeAsync(IFileContent handle, PendingFile file, ChannelWriter<BlobWork> blobs, CountedBytes counted, CancellationToken cancellationToken)
    {
        TreeEntry e = file.Walked;
        long size = e.Size;
        List<(long Offset, long Length)> segments = handle.DataSegments(size);
        Sha256Lane hash = _fileLane;
        hash.Reset(); // a file whose read failed may have left bytes in it
        long hashed = 0;
        BlobId? wholeFile = null;
        byte[] window = ArrayPool<byte>.Shared.Rent(_params.MaxSize * 2);
        try
        {
            foreach ((long segOffset, long segLength) in segments)
            {
                HashZeros(hash, segOffset - hashed);
                hashed = segOffset;
                long pos = segOffset;
                long end = segOffset + segLength;

                // The bytes not yet cut are window[start, start + filled). They are moved to the front only when
                // less than MaxSize is left behind them, once every few chunks, not after every cut.
                int start = 0;
                int filled = 0;
                bool eof = false;
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (!eof && filled < _params.MaxSize && start + _params.MaxSize > window.Length)
                    {
                        window.AsSpan(start, filled).CopyTo(window);
                        start = 0;
                    }

                    while (!eof && filled < _params.MaxSize)
                    {
                        int want = (int)Math.Min(window.Length - (start + filled), end - (pos + filled));
                        if (want <= 0)
                        {
                            eof = true;
                            break;
                        }

                        int n = handle.Read(window.AsSpan(start + filled, want), pos + filled);
                        if (n == 0)
                        {
                            eof = true;
                            break;
                        }

                        filled += n;
                    }

                    if (filled == 0)
                    {
                        break;
                    }

                    bool final = eof || pos + filled >= end;
                    int cut = _chunker.NextCut(window.AsSpan(start, filled), final);
                    BlobId chunkId;
                    if (pos == 0 && cut == size && segments.Count == 1)
                    {
                        // One chunk, no hole: the file's content id is the chunk's blob id; hashed once, not twice.
                        wholeFile = chunkId = BlobId.Of(window.AsSpan(start, cut));
                    }
                    else
                    {
                        // The chunk's id and the file's hash over the same bytes, two lanes at once.
                        Sha256Lane.AppendBoth(_chunkLane, window.AsSpan(start, cut), hash, window.AsSpan(start, cut));
                        chunkId = _chunkLane.FinishId();
                    }

                    byte[] chunk = RentBlobBuffer();
                    window.AsSpan(start, cut).CopyTo(chunk);
                    file.AddChunk(pos, cut, chunkId);
                    await blobs.WriteAsync(new Chunk(chunk, cut, chunkId), cancellationToken).ConfigureAwait(false);
                    _monitor.AddDone(0, cut);
                    counted.Bytes += cut;
                    pos += cut;
                    hashed = pos;
                    start += cut;
                    filled -= cut;
                    if (filled == 0)
                    {
                        start = 0;
                    }

                    if (pos >= end)
                    {
                        break;
                    }
                }

                if (pos < end)
                {
                    Warnings.Add(CaptureWarning.For(ReportCode.FileChangedWhileRead, e.DisplayPath, $"changed while being read (ended at {pos} of {size} bytes)"));
                    size = pos;
                    break;
                }
            }

            // Read to its walked size: one byte more says whether it grew meanwhile (as a small file's read does).
            if (size == e.Size && handle.Read(window.AsSpan(0, 1), size) > 0)
            {
                Warnings.Add(CaptureWarning.For(ReportCode.FileChangedWhileRead, e.DisplayPath, $"changed while being read (size {e.Size} at the walk, more when read); the bytes read up to the walked size were kept"));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(window);
        }

        HashZeros(hash, size - hashed);
        BlobId content = wholeFile ?? hash.FinishId();
        file.SetContent(content, size);

        // Stored before or not, the chunks just written name the file's bytes: its own extents are right.
        _known.TryAdd(content, file);
        file.ChunksDispatched();
    }

    private static void HashZeros(Sha256Lane hash, long count)
    {
        while (count > 0)
        {
            int n = (int)Math.Min(count, Zeros.Length);
            hash.Append(Zeros.AsSpan(0, n));
            count -= n;
        }
    }
}
