using System.Diagnostics;
using System.Threading.Channels;
using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core.Diagnostics;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>
/// Captures a tree into a new capsule version (FORMAT.md §4, §6, §8), the archive's writer. It only wires
/// its parts together and commits: the <see cref="Scanner"/> walks and hands out entries, the
/// <see cref="FileSaver"/> reads and cuts changed files, <see cref="BlobSaver"/>s hash, compress and stage
/// blobs on every core, the <see cref="CatalogSaver"/> writes the catalog as entries become final; then
/// the blobs are made durable, and the manifest and the ingestion event written, in §8's order.
/// </summary>
public sealed class TreeSnapshotter
{
    private readonly Archive _archive;
    private readonly SnapshotMonitor _monitor;

    public TreeSnapshotter(Archive archive, SnapshotMonitor? monitor = null)
    {
        ArgumentNullException.ThrowIfNull(archive);
        _archive = archive;
        _monitor = monitor ?? new SnapshotMonitor();
    }

    public SnapshotMonitor Monitor => _monitor;

    public async Task<SnapshotResult> SnapshotAsync(SnapshotOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        if (_archive.Store is FileSystemObjectStore fs)
        {
            fs.CleanStaleTemporaries();
        }

        // The walk, the loading of the previous version (manifest checks, catalog) and the reading of files
        // run side by side: each regular file the walk has finished with is queued for reading at once.
        _monitor.Phase = "walking";
        ITreeSource tree = options.Tree;
        var files = Channel.CreateUnbounded<PendingFile>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
        var rows = Channel.CreateUnbounded<(TreeEntry Entry, PendingFile? File)>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
        using var stopWalk = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var scanner = new Scanner(tree, _monitor);
        // Started whatever happens meanwhile (no token given to Task.Run): a walk stopped before it began would
        // never say that its root is bad, and a bad root is the failure to report first (below).
        Task<List<TreeEntry>> walking = Task.Run(() => scanner.Run(files.Writer, rows.Writer, stopWalk.Token), CancellationToken.None);

        Task<(LoadedManifest?, List<TreeEntry>)> loading = Task.Run(
            async () =>
            {
                LoadedManifest? p = await LatestAsync(options.Capsule, cancellationToken).ConfigureAwait(false);
                return (p, p is null ? [] : (await TreeLoader.LoadAsync(_archive, p, cancellationToken).ConfigureAwait(false)).Entries);
            },
            cancellationToken);
        Task<(bool, IReadOnlyList<TreeEntry>)> previousRows = loading.ContinueWith(
            static t => (t.Result.Item1 is null, (IReadOnlyList<TreeEntry>)t.Result.Item2),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);
        Task<(byte[]? Catalog, List<TreeEntry> Entries)> cataloguing = Task.Run(() => CatalogSaver.RunAsync(rows.Reader, previousRows, stopWalk.Token), stopWalk.Token);

        // The environment is described (its OS, packages, boot files, run entries) beside the walk; a failure
        // there stops the walk and the reading at once rather than after the whole tree was read.
        Task<EnvironmentDescription> describing = Task.Run(
            async () =>
            {
                EnvironmentDescription d = await options.DescribeEnvironment(stopWalk.Token).ConfigureAwait(false);
                Timeline.Mark("snapshot: environment described (os, packages, boot), beside the walk");
                return d;
            },
            stopWalk.Token);
        _ = describing.ContinueWith(
            _ =>
            {
                try
                {
                    stopWalk.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The snapshot has already failed and left: nothing left to stop.
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Default);

        // Libraries that are slow to initialise get ready on the side while the tree is walked: queued last, so that
        // the walk, which every file's reading waits for, is the first to get a core.
        _ = Task.Run(() =>
        {
            TreeCatalog.WarmUp();
            ManifestCodec.WarmUp();
        });

        LoadedManifest? previous;
        FileSaver saver;
        EnvironmentDescription environment;
        try
        {
            (previous, List<TreeEntry> previousList) = await loading.ConfigureAwait(false);
            saver = new FileSaver(tree, _archive.Descriptor.Chunking, _monitor, new UnchangedFiles(previousList));
            _monitor.Phase = "reading";
            try
            {
                await SaveContentAsync(saver, files.Reader, options.Workers, stopWalk.Token).ConfigureAwait(false);
            }
            finally
            {
                saver.Dispose(); // every file is read (or the reading stopped): its counts and warnings stay
            }

            await walking.ConfigureAwait(false);
            environment = await describing.ConfigureAwait(false);
        }
        catch
        {
            // Report the walk's failure first (a bad --rootfs), then the environment's description's, else the
            // archive's or the reading's; a walk or a description still going is stopped and waited for, so that
            // nothing runs on after the snapshot failed.
            await stopWalk.CancelAsync().ConfigureAwait(false);
            await cataloguing.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            await describing.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
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

            cancellationToken.ThrowIfCancellationRequested();
            if (describing.Exception?.InnerException is Exception describeFailure and not OperationCanceledException)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(describeFailure).Throw();
            }

            throw;
        }

        var warnings = new List<CaptureWarning>(environment.Warnings);
        warnings.AddRange(tree.Warnings);
        warnings.AddRange(saver.Warnings);
        var content = new NewData(_monitor.NewBlobs, _monitor.NewBytes, _monitor.NewCompressedBytes);

        // Content blobs become durable (mostly waiting for the disk) while the catalog is built (CPU).
        _monitor.Phase = "cataloguing";
        Task contentDurable = Task.Run(() => _archive.Store.FlushAsync(cancellationToken), cancellationToken);
        BlobId catalogId;
        long catalogBytes;
        NewData catalogNew = NewData.None;
        (byte[]? catalog, List<TreeEntry> entries) = await cataloguing.ConfigureAwait(false);
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
            (catalogId, long catalogWritten) = await _archive.Blobs.PutWaitedForAsync(catalog, cancellationToken).ConfigureAwait(false);
            catalogBytes = catalog.Length;
            if (catalogWritten > 0)
            {
                catalogNew = new NewData(1, catalog.Length, catalogWritten);
            }
        }

        var summary = new SnapshotSummary(
            TreeCounts.Of(entries),
            _monitor.FilesDone,
            _monitor.BytesDone,
            saver.FilesUnchanged,
            content,
            catalogNew,
            catalogBytes);
        _monitor.Phase = "committing";
        await contentDurable.ConfigureAwait(false);
        await _archive.Store.FlushAsync(cancellationToken).ConfigureAwait(false);
        _monitor.Phase = "writing manifest";
        (LoadedManifest committed, string? journalFailure) = await CommitAsync(options, environment.Components, previous, summary, catalogId, warnings, clock.Elapsed, cancellationToken).ConfigureAwait(false);
        _monitor.Phase = "done";
        return new SnapshotResult(committed, previous?.Version, summary, journalFailure);
    }

    /// <summary>
    /// Writes the manifest (FORMAT.md §5, §8 steps 2-4: manifest, signature, sidecar), then the ingestion
    /// event (§7, step 5). Once the sidecar is written the version exists: an event that cannot be written
    /// then does not undo it, and is returned as the reason instead of thrown.
    /// </summary>
    private async Task<(LoadedManifest Committed, string? JournalFailure)> CommitAsync(
        SnapshotOptions options,
        EnvironmentComponents? components,
        LoadedManifest? previous,
        SnapshotSummary summary,
        BlobId catalogId,
        List<CaptureWarning> warnings,
        TimeSpan elapsed,
        CancellationToken cancellationToken)
    {
        TreeSummary tree = summary.Tree.ToSummary(catalogId, summary.CatalogBytes, options.Source);
        NewData total = summary.Total;
        var draft = new Manifest
        {
            Capsule = options.Capsule.Value,
            Created = ArchiveTime.Format(DateTimeOffset.UtcNow),
            Previous = previous is null ? null : new PreviousVersion(previous.Version, previous.Sha256),
            Producer = ProducerInfo.Current,
            Title = options.Title,
            Description = options.Description,
            Tree = tree,
            Components = components,
            Warnings = warnings,
            Statistics = new SnapshotStatistics
            {
                FilesRead = summary.FilesRead,
                FilesUnchanged = summary.FilesUnchanged,
                BytesRead = summary.BytesRead,
                NewBlobs = total.Blobs,
                NewBytes = total.Bytes,
                NewCompressedBytes = total.StoredBytes,
                DurationSeconds = Math.Round(elapsed.TotalSeconds, 3),
            },
        };
        LoadedManifest committed = await _archive.CommitAsync(draft, options.SigningKey, cancellationToken).ConfigureAwait(false);
        try
        {
            await _archive.WriteEventAsync(Ingestion(committed, options, tree, total, warnings), CancellationToken.None).ConfigureAwait(false);
            return (committed, null);
        }
        catch (StorageException e)
        {
            return (committed, e.Message);
        }
    }

    private static PreservationEvent Ingestion(LoadedManifest committed, SnapshotOptions options, TreeSummary tree, NewData total, List<CaptureWarning> warnings) =>
        new PreservationEvent
        {
            EventId = Guid.NewGuid().ToString("N"),
            EventType = "ingestion",
            DateTime = ArchiveTime.Format(DateTimeOffset.UtcNow),
            Agent = ProducerInfo.Current,
            Outcome = warnings.Count == 0 ? "success" : "warning",
            Objects = [new EventObject(committed.Capsule.Value, committed.Version, committed.Sha256)],
            Detail = $"snapshot of {options.Source}: {tree.Entries} entries, {tree.Bytes} bytes, {total.Blobs} new blobs, {warnings.Count} warnings",
        };

    private async Task<LoadedManifest?> LatestAsync(CapsuleName name, CancellationToken cancellationToken)
    {
        IReadOnlyList<VersionListing> versions = await _archive.ListVersionsAsync(name, cancellationToken).ConfigureAwait(false);
        VersionListing? last = versions.LastOrDefault(v => v.Complete);
        return last is null ? null : await _archive.ReadManifestAsync(name, last.Version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the file saver and one blob saver per worker over a bounded channel (pooled buffers in flight are
    /// bounded too). Any failure stops everyone at once: a dead blob saver must not leave the file saver
    /// waiting on a full channel, nor a dead file saver leave the blob savers waiting for work.
    /// </summary>
    private async Task SaveContentAsync(FileSaver saver, ChannelReader<PendingFile> files, int workers, CancellationToken cancellationToken)
    {
        workers = Math.Max(1, workers); // none would leave the file saver waiting for ever on a full channel
        // One blob waiting per blob saver: each buffer in flight is 4 MiB more memory touched (page-faulted) once; a
        // queue of two per saver gave the savers nothing more to do on two cores and cost a cold snapshot of the
        // Debian tree 2,000 more page faults (docs/benchmarks.md).
        var channel = Channel.CreateBounded<BlobWork>(new BoundedChannelOptions(Math.Max(2, workers)) { SingleWriter = true });
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
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
        var blobSaver = new BlobSaver(_archive.Blobs, _monitor);
        Task[] consumers = Enumerable.Range(0, workers).Select(_ => Guard(Task.Run(() => blobSaver.RunAsync(channel.Reader, linked.Token), linked.Token))).ToArray();
        Task producer = Guard(Task.Run(
            async () =>
            {
                try
                {
                    await saver.RunAsync(files, channel.Writer, linked.Token).ConfigureAwait(false);
                    channel.Writer.Complete();
                    Timeline.Mark("snapshot: every file read, the last blobs handed out");
                }
                catch (Exception e)
                {
                    channel.Writer.Complete(e);
                    throw;
                }
            },
            linked.Token));

        Task[] all = [.. consumers, producer];
        try
        {
            await Task.WhenAll(all).ConfigureAwait(false);
        }
        catch
        {
            await linked.CancelAsync().ConfigureAwait(false);
            Exception? first = all.Select(t => t.Exception?.InnerException).FirstOrDefault(x => x is not null and not OperationCanceledException);
            cancellationToken.ThrowIfCancellationRequested();
            if (first is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
            }

            throw;
        }
    }
}
