using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Chunking;
using CernVM.Preserve.Core.Diagnostics;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Posix;
using CernVM.Preserve.Storage;
using Microsoft.Win32.SafeHandles;

namespace CernVM.Preserve.Curation.Trees;

/// <summary>What to snapshot and how.</summary>
public sealed class SnapshotOptions
{
    /// <summary>The tree as the curator named it (recorded in the manifest).</summary>
    public required string Source { get; init; }

    /// <summary>The tree to capture; when null, the directory <see cref="Source"/> with <see cref="Excludes"/>.</summary>
    public ITreeSource? Tree { get; init; }

    public required CapsuleName Capsule { get; init; }

    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>Absolute paths never captured (the archive itself, when it lies inside the tree).</summary>
    public IReadOnlyList<string> ExcludeAbsolute { get; init; } = [];

    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount);

    public string? Title { get; init; }

    public string? Description { get; init; }

    public NSec.Cryptography.Key? SigningKey { get; init; }

    public EnvironmentComponents? Components { get; init; }

    public IReadOnlyList<CaptureWarning> ExtraWarnings { get; init; } = [];
}

/// <summary>The committed version and what it took.</summary>
public sealed record SnapshotResult(LoadedManifest Version, int? PreviousVersion);

/// <summary>
/// Captures a directory tree into a new capsule version (FORMAT.md §4, §6, §8): walk, then read changed
/// files, cut them into blobs (small files packed into bundles, large ones cut by content), hash and
/// compress in parallel, write the tree catalog, commit the manifest. Files unchanged since the previous
/// version (same size, mtime, ctime, inode) are not read again.
/// </summary>
public sealed class TreeSnapshotter
{
    private readonly Archive _archive;
    private readonly SnapshotMonitor _monitor;
    private readonly FastCdc _chunker;
    private readonly ChunkingParameters _params;

    public TreeSnapshotter(Archive archive, SnapshotMonitor? monitor = null)
    {
        _archive = archive;
        _monitor = monitor ?? new SnapshotMonitor();
        _params = archive.Descriptor.Chunking;
        _chunker = new FastCdc(_params.MinSize, _params.AverageSize, _params.MaxSize);
    }

    public SnapshotMonitor Monitor => _monitor;

    public async Task<SnapshotResult> SnapshotAsync(SnapshotOptions options, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        if (_archive.Store is FileSystemObjectStore fs)
        {
            fs.CleanStaleTemporaries();
        }

        // Libraries that are slow to initialise get ready on the side while the tree is walked.
        _ = Task.Run(() =>
        {
            ManifestCodec.WarmUp();
            TreeCatalog.WarmUp();
        });

        // The walk, the loading of the previous version (manifest checks, catalog) and the reading of files
        // run side by side: each regular file the walk has finished with is queued for reading at once.
        _monitor.Phase = "walking";
        ITreeSource walker = options.Tree ?? new DirectoryTreeSource(options.Source, options.Excludes, options.ExcludeAbsolute);
        var walked = Channel.CreateUnbounded<FileJob>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
        var rows = Channel.CreateUnbounded<(TreeEntry Entry, FileJob? Job)>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
        using var stopWalk = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<List<TreeEntry>> walking = Task.Run(
            () =>
            {
                try
                {
                    List<TreeEntry> all = walker.Walk(stopWalk.Token, e =>
                    {
                        FileJob? job = null;
                        if (e.Kind == EntryKind.File && e.HardlinkTo is null && e.State == EntryState.Captured)
                        {
                            job = new FileJob(e);
                            walked.Writer.TryWrite(job);
                        }

                        rows.Writer.TryWrite((e, job));
                    });
                    walked.Writer.Complete();
                    rows.Writer.Complete();
                    _monitor.SetEntries(all.Count);
                    return all;
                }
                catch (Exception e)
                {
                    walked.Writer.Complete(e);
                    rows.Writer.Complete(e);
                    throw;
                }
            },
            stopWalk.Token);

        Task<(LoadedManifest?, List<TreeEntry>)> loading = Task.Run(
            async () =>
            {
                LoadedManifest? p = await LatestAsync(options.Capsule, cancellationToken).ConfigureAwait(false);
                return (p, p is null ? [] : await LoadCatalogAsync(p, cancellationToken).ConfigureAwait(false));
            },
            cancellationToken);

        // The tree catalog is written as the walk and the reading go (FORMAT.md §6), in id order: each entry
        // as soon as it is final — at once for all but regular files, after its last blob for those — so that
        // the end of a snapshot is left with the serialisation alone, not thousands of rows on one core.
        Task<byte[]?> cataloguing = Task.Run(() => WriteCatalogAsync(rows.Reader, loading, stopWalk.Token), stopWalk.Token);

        var stats = new SnapshotStatistics();
        var warnings = new List<CaptureWarning>(options.ExtraWarnings);
        LoadedManifest? previous;
        List<TreeEntry> previousList;
        List<TreeEntry> entries;
        try
        {
            (previous, previousList) = await loading.ConfigureAwait(false);
            Dictionary<byte[], TreeEntry> previousEntries = previousList.ToDictionary(e => e.Path, PathBytes.EqualityComparer);
            _monitor.Phase = "reading";
            await CaptureContentAsync(walker, walked.Reader, previousEntries, stats, warnings, options.Workers, cancellationToken).ConfigureAwait(false);
            entries = await walking.ConfigureAwait(false);
        }
        catch
        {
            // Report the walk's failure first (a bad --rootfs), else the archive's or the reading's; a walk
            // still going is stopped and waited for, so that nothing runs on after the snapshot failed.
            await stopWalk.CancelAsync().ConfigureAwait(false);
            await cataloguing.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            try
            {
                await walking.ConfigureAwait(false);
            }
            catch (Exception walkFailure) when (walkFailure is not OperationCanceledException)
            {
                throw;
            }
            catch (OperationCanceledException)
            {
            }

            throw;
        }

        warnings.InsertRange(options.ExtraWarnings.Count, walker.Warnings);
        stats.FilesRead = _monitor.FilesDone;
        stats.BytesRead = _monitor.BytesDone;

        // Content blobs become durable (mostly waiting for the disk) while the catalog is built (CPU).
        _monitor.Phase = "cataloguing";
        Task contentDurable = Task.Run(() => _archive.Store.FlushAsync(cancellationToken), cancellationToken);
        BlobId catalogId;
        long catalogBytes;
        byte[]? catalog = await cataloguing.ConfigureAwait(false);
        if (catalog is null)
        {
            // Nothing changed, not even a timestamp: the catalog is the previous one, row for row.
            Timeline.Mark("snapshot: catalog unchanged");
            catalogId = BlobId.Parse(previous!.Manifest.Tree.Catalog);
            catalogBytes = previous.Manifest.Tree.CatalogBytes;
        }
        else
        {
            Timeline.Mark($"snapshot: catalog written ({catalog.Length} bytes)");
            (catalogId, long catalogWritten) = await _archive.Blobs.PutAsync(catalog, cancellationToken).ConfigureAwait(false);
            catalogBytes = catalog.Length;
            if (catalogWritten > 0)
            {
                _monitor.AddNewBlob(catalog.Length, catalogWritten);
            }
        }

        stats.NewBlobs = _monitor.NewBlobs;
        stats.NewBytes = _monitor.NewBytes;
        stats.NewCompressedBytes = _monitor.NewCompressedBytes;

        TreeSummary tree = Summarise(entries, catalogId, catalogBytes, options.Source);
        _monitor.Phase = "committing";
        await contentDurable.ConfigureAwait(false);
        await _archive.Store.FlushAsync(cancellationToken).ConfigureAwait(false);
        _monitor.Phase = "writing manifest";
        stats.DurationSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3);
        var draft = new Manifest
        {
            Capsule = options.Capsule.Value,
            Created = ArchiveTime.Format(DateTimeOffset.UtcNow),
            Previous = previous is null ? null : new PreviousVersion(previous.Version, previous.Sha256),
            Producer = ProducerInfo.Current,
            Title = options.Title,
            Description = options.Description,
            Tree = tree,
            Components = options.Components,
            Warnings = warnings,
            Statistics = stats,
        };
        LoadedManifest committed = await _archive.CommitAsync(draft, options.SigningKey, cancellationToken).ConfigureAwait(false);
        await _archive.WriteEventAsync(
            new PreservationEvent
            {
                EventId = Guid.NewGuid().ToString("N"),
                EventType = "ingestion",
                DateTime = ArchiveTime.Format(DateTimeOffset.UtcNow),
                Agent = ProducerInfo.Current,
                Outcome = warnings.Count == 0 ? "success" : "warning",
                Objects = [new EventObject(committed.Capsule.Value, committed.Version, committed.Sha256)],
                Detail = $"snapshot of {options.Source}: {tree.Entries} entries, {tree.Bytes} bytes, {stats.NewBlobs} new blobs, {warnings.Count} warnings",
            },
            CancellationToken.None).ConfigureAwait(false);
        _monitor.Phase = "done";
        return new SnapshotResult(committed, previous?.Version);
    }

    // A source without inode numbers (an image, a CernVM-FS revision) gives no such evidence: read again.
    private static bool Unchanged(TreeEntry now, TreeEntry before) =>
        now.SourceInode != 0 && before.Kind == EntryKind.File && before.State == EntryState.Captured && before.HardlinkTo is null && before.Content is not null &&
        now.Size == before.Size && now.MtimeSeconds == before.MtimeSeconds && now.MtimeNanoseconds == before.MtimeNanoseconds &&
        now.CtimeSeconds == before.CtimeSeconds && now.CtimeNanoseconds == before.CtimeNanoseconds &&
        now.SourceInode == before.SourceInode && now.SourceDevice == before.SourceDevice;

    private async Task<LoadedManifest?> LatestAsync(CapsuleName name, CancellationToken cancellationToken)
    {
        IReadOnlyList<VersionListing> versions = await _archive.ListVersionsAsync(name, cancellationToken).ConfigureAwait(false);
        VersionListing? last = versions.LastOrDefault(v => v.Complete);
        return last is null ? null : await _archive.ReadManifestAsync(name, last.Version, cancellationToken).ConfigureAwait(false);
    }

    private async Task<List<TreeEntry>> LoadCatalogAsync(LoadedManifest m, CancellationToken cancellationToken)
    {
        BlobId id = BlobId.Parse(m.Manifest.Tree.Catalog);
        byte[] bytes = await _archive.Blobs.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return TreeCatalog.ReadAll(bytes, $"{_archive.Location}/{id.Key} (catalog of {m.Capsule}@v{m.Version})");
    }

    private async Task CaptureContentAsync(
        ITreeSource walker,
        ChannelReader<FileJob> files,
        Dictionary<byte[], TreeEntry> previousEntries,
        SnapshotStatistics stats,
        List<CaptureWarning> warnings,
        int workers,
        CancellationToken cancellationToken)
    {
        // Content already in the archive from the previous version: a renamed or copied file costs nothing.
        var known = new Dictionary<BlobId, FileJob>();
        foreach (TreeEntry p in previousEntries.Values)
        {
            if (p.Content is BlobId c && p.Kind == EntryKind.File && p.HardlinkTo is null && p.Extents.Count > 0 && !known.ContainsKey(c))
            {
                known[c] = FileJob.Final(p);
            }
        }

        var channel = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(Math.Max(2, workers * 2)) { SingleWriter = true });
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Any failure stops everyone at once: a dead consumer must not leave the producer waiting on a full
        // channel, nor a dead producer leave consumers waiting for work.
        Task Guard(Task t) => t.ContinueWith(
            done =>
            {
                if (done.IsFaulted)
                {
                    linked.Cancel();
                }

                return done;
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default).Unwrap();
        Task[] consumers = Enumerable.Range(0, workers).Select(_ => Guard(Task.Run(() => ConsumeAsync(channel.Reader, linked.Token), linked.Token))).ToArray();
        var fileWarnings = new List<CaptureWarning>();
        Task producer = Guard(Task.Run(
            async () =>
            {
                try
                {
                    await ProduceAsync(walker, files, previousEntries, stats, known, fileWarnings, channel.Writer, linked.Token).ConfigureAwait(false);
                    channel.Writer.Complete();
                }
                catch (Exception e)
                {
                    channel.Writer.Complete(e);
                    throw;
                }
            },
            linked.Token));

        try
        {
            await Task.WhenAll(consumers.Append(producer)).ConfigureAwait(false);
        }
        catch
        {
            await linked.CancelAsync().ConfigureAwait(false);
            Exception? first = consumers.Append(producer).Select(t => t.Exception?.InnerException).FirstOrDefault(x => x is not null and not OperationCanceledException);
            cancellationToken.ThrowIfCancellationRequested();
            if (first is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
            }

            throw;
        }

        warnings.AddRange(fileWarnings);
    }

    private async Task ProduceAsync(
        ITreeSource walker,
        ChannelReader<FileJob> files,
        Dictionary<byte[], TreeEntry> previousEntries,
        SnapshotStatistics stats,
        Dictionary<BlobId, FileJob> known,
        List<CaptureWarning> warnings,
        ChannelWriter<WorkItem> writer,
        CancellationToken cancellationToken)
    {
        BundleItem bundle = NewBundle();
        await foreach (FileJob job in files.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            TreeEntry e = job.Entry;
            if (previousEntries.TryGetValue(e.Path, out TreeEntry? p) && Unchanged(e, p))
            {
                e.Content = p.Content;
                e.Extents = p.Extents;
                stats.FilesUnchanged++;
                job.Complete();
                continue;
            }

            _monitor.AddToRead(1, e.Size);
            IFileContent handle;
            try
            {
                handle = walker.Open(e);
            }
            catch (IOException ex)
            {
                e.State = EntryState.Unreadable;
                e.Note = ex.Message;
                warnings.Add(new CaptureWarning("CAP001", e.DisplayPath, $"unreadable, recorded without content: {ex.Message}"));
                _monitor.AddDone(1, e.Size);
                job.Complete();
                continue;
            }

            using (handle)
            {
                try
                {
                    if (e.Size < _params.BundleThreshold)
                    {
                        // Read straight into the bundle: no copy, no allocation per file.
                        if (bundle.Length + e.Size + 1 > bundle.Buffer.Length)
                        {
                            await writer.WriteAsync(bundle, cancellationToken).ConfigureAwait(false);
                            bundle = NewBundle();
                        }

                        int length = ReadSmall(handle, e, bundle.Buffer.AsSpan(bundle.Length, (int)e.Size + 1), warnings);
                        ReadOnlySpan<byte> data = bundle.Buffer.AsSpan(bundle.Length, length);
                        BlobId content = BlobId.Of(data);
                        e.Content = content;
                        if (length == 0)
                        {
                            // An empty file has no extents.
                            job.Complete();
                        }
                        else if (known.TryGetValue(content, out FileJob? source))
                        {
                            job.CopyExtentsOf(source);
                        }
                        else
                        {
                            known[content] = job;
                            bundle.Commit(job, length);
                            if (bundle.Length >= _params.BundleSize)
                            {
                                await writer.WriteAsync(bundle, cancellationToken).ConfigureAwait(false);
                                bundle = NewBundle();
                            }
                        }

                        _monitor.AddDone(1, e.Size);
                    }
                    else
                    {
                        await ReadLargeAsync(handle, job, known, warnings, writer, cancellationToken).ConfigureAwait(false);
                        _monitor.AddDone(1, 0);
                    }
                }
                catch (IOException ex)
                {
                    // A small file fails before it joins a bundle; a large one may have chunks in flight, which
                    // its job waits for before it is final (without extents).
                    e.State = EntryState.Unreadable;
                    e.Note = ex.Message;
                    e.Content = null;
                    e.Extents = [];
                    warnings.Add(new CaptureWarning("CAP001", e.DisplayPath, $"read failed, recorded without content: {ex.Message}"));
                    job.Fail();
                }
            }
        }

        if (bundle.Length > 0)
        {
            await writer.WriteAsync(bundle, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(bundle.Buffer);
        }
    }

    private BundleItem NewBundle() => new(ArrayPool<byte>.Shared.Rent(_params.BundleSize + _params.BundleThreshold));

    /// <summary>Reads a small file into <paramref name="target"/> (its size plus one byte, to notice growth).</summary>
    private static int ReadSmall(IFileContent handle, TreeEntry e, Span<byte> target, List<CaptureWarning> warnings)
    {
        int total = 0;
        while (total < target.Length)
        {
            int n = handle.Read(target[total..], total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        if (total != e.Size)
        {
            warnings.Add(new CaptureWarning("CAP002", e.DisplayPath, $"changed while being read (size {e.Size} at the walk, {(total > e.Size ? "more" : total.ToString(System.Globalization.CultureInfo.InvariantCulture))} when read); the bytes read up to the walked size were kept"));
            total = (int)Math.Min(total, e.Size);
            e.Size = total;
        }

        return total;
    }

    private async Task ReadLargeAsync(
        IFileContent handle,
        FileJob job,
        Dictionary<BlobId, FileJob> known,
        List<CaptureWarning> warnings,
        ChannelWriter<WorkItem> writer,
        CancellationToken cancellationToken)
    {
        TreeEntry e = job.Entry;
        List<(long Offset, long Length)> segments = handle.DataSegments(e.Size);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
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
                    BlobId? chunkId = null;
                    if (pos == 0 && cut == e.Size && segments.Count == 1)
                    {
                        // One chunk, no hole: the file's content id is the chunk's blob id; hashed once, not twice.
                        wholeFile = chunkId = BlobId.Of(window.AsSpan(start, cut));
                    }
                    else
                    {
                        hash.AppendData(window, start, cut);
                    }

                    byte[] chunk = ArrayPool<byte>.Shared.Rent(cut);
                    window.AsSpan(start, cut).CopyTo(chunk);
                    ChunkSlot slot = job.AddChunk(pos, cut);
                    await writer.WriteAsync(new ChunkItem(chunk, cut, slot, chunkId), cancellationToken).ConfigureAwait(false);
                    _monitor.AddDone(0, cut);
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
                    warnings.Add(new CaptureWarning("CAP002", e.DisplayPath, $"changed while being read (ended at {pos} of {e.Size} bytes)"));
                    e.Size = pos;
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(window);
        }

        HashZeros(hash, e.Size - hashed);
        BlobId content = wholeFile ?? BlobId.FromDigest(hash.GetHashAndReset());
        e.Content = content;
        e.Extents = [];

        // Stored before or not, the chunks just written name the file's bytes: its own extents are right.
        known.TryAdd(content, job);
        job.ChunksDispatched();
    }

    private static readonly byte[] Zeros = new byte[1024 * 1024];

    private static void HashZeros(IncrementalHash hash, long count)
    {
        while (count > 0)
        {
            int n = (int)Math.Min(count, Zeros.Length);
            hash.AppendData(Zeros, 0, n);
            count -= n;
        }
    }

    private async Task ConsumeAsync(ChannelReader<WorkItem> reader, CancellationToken cancellationToken)
    {
        await foreach (WorkItem item in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            switch (item)
            {
                case BundleItem b:
                    try
                    {
                        var mem = new ReadOnlyMemory<byte>(b.Buffer, 0, b.Length);
                        BlobId id = BlobId.Of(mem.Span);
                        long written = await _archive.Blobs.PutAsync(id, mem, cancellationToken).ConfigureAwait(false);
                        if (written > 0)
                        {
                            _monitor.AddNewBlob(b.Length, written);
                        }

                        foreach ((FileJob member, int offset, int length) in b.Members)
                        {
                            member.Entry.Extents = [new Extent(0, length, id, offset)];
                            member.Complete();
                        }
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(b.Buffer);
                    }

                    break;
                case ChunkItem c:
                    try
                    {
                        var mem = new ReadOnlyMemory<byte>(c.Buffer, 0, c.Length);
                        BlobId id = c.Id ?? BlobId.Of(mem.Span);
                        long written = await _archive.Blobs.PutAsync(id, mem, cancellationToken).ConfigureAwait(false);
                        if (written > 0)
                        {
                            _monitor.AddNewBlob(c.Length, written);
                        }

                        c.Slot.Stored(id);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(c.Buffer);
                    }

                    break;
            }
        }
    }

    private static TreeSummary Summarise(List<TreeEntry> entries, BlobId catalog, long catalogBytes, string source)
    {
        var blobs = new HashSet<BlobId>();
        var t = new TreeSummary { Catalog = catalog.ToString(), CatalogBytes = catalogBytes, Source = source, Entries = entries.Count };
        foreach (TreeEntry e in entries)
        {
            foreach (Extent x in e.Extents)
            {
                blobs.Add(x.Blob);
            }

            if (e.HardlinkTo is not null)
            {
                t.Hardlinks++;
            }
            else
            {
                switch (e.Kind)
                {
                    case EntryKind.Directory: t.Directories++; break;
                    case EntryKind.File: t.Files++; t.Bytes += e.Size; break;
                    case EntryKind.Symlink: t.Symlinks++; break;
                    default: t.Specials++; break;
                }
            }

            switch (e.State)
            {
                case EntryState.Excluded: t.Excluded++; break;
                case EntryState.Pseudo: t.Pseudo++; break;
                case EntryState.Unreadable: t.Unreadable++; break;
            }
        }

        t.Blobs = blobs.Count;
        return t;
    }

    /// <summary>
    /// Writes the catalog from the entries in id order as each becomes final; null when every row equals the
    /// previous version's, whose catalog is then reused. Rows equal to the previous version's are held back
    /// until the first difference: an unchanged tree costs comparisons, not an SQLite database.
    /// </summary>
    private static async Task<byte[]?> WriteCatalogAsync(
        ChannelReader<(TreeEntry Entry, FileJob? Job)> rows,
        Task<(LoadedManifest? Previous, List<TreeEntry> Entries)> loading,
        CancellationToken cancellationToken)
    {
        (LoadedManifest? previous, List<TreeEntry> before) = await loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        using var writer = new TreeCatalogWriter();
        int held = 0;
        bool diverged = previous is null;
        await foreach ((TreeEntry entry, FileJob? job) in rows.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (job is not null && !job.Done.IsCompleted)
            {
                await job.Done.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (!diverged)
            {
                if (held < before.Count && CatalogRows.SameRow(entry, before[held]))
                {
                    held++;
                    continue;
                }

                diverged = true;
                AddHeld(writer, before, held);
            }

            writer.Add(entry);
        }

        if (!diverged)
        {
            if (held == before.Count)
            {
                return null;
            }

            AddHeld(writer, before, held);
        }

        return writer.Finish();

        // The held rows equal the previous version's, so those are written in their place.
        static void AddHeld(TreeCatalogWriter writer, List<TreeEntry> before, int count)
        {
            for (int i = 0; i < count; i++)
            {
                writer.Add(before[i]);
            }
        }
    }

    /// <summary>
    /// A regular file to capture, and when its entry is final: content id and extents known, every blob it
    /// names stored. A large file waits for its chunks; a duplicate for the file whose blobs it shares.
    /// </summary>
    private sealed class FileJob(TreeEntry entry)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private List<ChunkSlot>? _chunks;

        // The producer holds one count until it has cut the whole file; each chunk in flight holds one.
        private int _outstanding = 1;
        private bool _failed;

        public TreeEntry Entry { get; } = entry;

        public Task Done => _done.Task;

        /// <summary>An entry of the previous version: final from the start.</summary>
        public static FileJob Final(TreeEntry entry)
        {
            var job = new FileJob(entry);
            job.Complete();
            return job;
        }

        public void Complete() => _done.TrySetResult();

        /// <summary>Same content as <paramref name="source"/>: final with its extents, once it is.</summary>
        public void CopyExtentsOf(FileJob source) => source.Done.ContinueWith(
            _ =>
            {
                Entry.Extents = source.Entry.Extents;
                Complete();
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);

        public ChunkSlot AddChunk(long offset, int length)
        {
            var slot = new ChunkSlot(this, offset, length);
            (_chunks ??= []).Add(slot);
            Interlocked.Increment(ref _outstanding);
            return slot;
        }

        /// <summary>The producer is done cutting: the file is final when its last chunk is stored.</summary>
        public void ChunksDispatched() => Release();

        /// <summary>Reading failed: no extents, final when the chunks already in flight are stored.</summary>
        public void Fail()
        {
            if (_chunks is null)
            {
                Complete();
                return;
            }

            _failed = true;
            Release();
        }

        internal void Release()
        {
            if (Interlocked.Decrement(ref _outstanding) == 0)
            {
                if (!_failed)
                {
                    Entry.Extents = (_chunks ?? []).Select(x => new Extent(x.Offset, x.Length, x.Blob, 0)).ToList();
                }

                Complete();
            }
        }
    }

    private abstract class WorkItem;

    /// <summary>A chunk of a large file whose blob id a worker fills in.</summary>
    private sealed class ChunkSlot(FileJob file, long offset, int length)
    {
        public long Offset { get; } = offset;

        public int Length { get; } = length;

        public BlobId Blob { get; private set; }

        public void Stored(BlobId id)
        {
            Blob = id;
            file.Release();
        }
    }

    private sealed class BundleItem(byte[] buffer) : WorkItem
    {
        public byte[] Buffer { get; } = buffer;

        public int Length { get; private set; }

        public List<(FileJob File, int Offset, int Length)> Members { get; } = [];

        /// <summary>Keeps the <paramref name="length"/> bytes just read at the end of the bundle as <paramref name="file"/>'s content.</summary>
        public void Commit(FileJob file, int length)
        {
            Members.Add((file, Length, length));
            Length += length;
        }
    }

    /// <summary>A chunk to store; <paramref name="id"/> when the reader already hashed it.</summary>
    private sealed class ChunkItem(byte[] buffer, int length, ChunkSlot slot, BlobId? id) : WorkItem
    {
        public BlobId? Id { get; } = id;

        public byte[] Buffer { get; } = buffer;

        public int Length { get; } = length;

        public ChunkSlot Slot { get; } = slot;
    }
}

/// <summary>The producer's identity, written into manifests and events.</summary>
public static class ProducerInfo
{
    public static Producer Current { get; } = new(
        "cvmpreserve",
        typeof(ProducerInfo).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0] ?? "0.0.0",
        PosixFs.HostName(),
        Environment.UserName);
}
