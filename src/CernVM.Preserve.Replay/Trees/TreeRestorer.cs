using System.Collections.Concurrent;
using System.Security.Cryptography;
using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Diagnostics;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Posix;
using CernVM.Preserve.Storage;
using Microsoft.Win32.SafeHandles;

namespace CernVM.Preserve.Replay.Trees;

/// <summary>Where and how to restore.</summary>
public sealed class RestoreOptions
{
    /// <summary>The directory to restore into: new, or empty.</summary>
    public required string Target { get; init; }

    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Also check every file against its own recorded SHA-256: a file packed in a bundle in memory, a file
    /// written from several extents (chunked large files, sparse files) by reading it back. Every blob is
    /// verified as it is read in any case, and the extents come from a verified catalog, so every byte written
    /// is covered by a checked SHA-256 without this; it catches a defect of the software that wrote the
    /// catalog, at the cost of hashing every byte a second time and reading large files again.
    /// </summary>
    public bool VerifyWrittenFiles { get; init; }

    /// <summary>
    /// A load of the version's catalog started early (<see cref="TreeRestorer.StartCatalogLoad"/>), used when
    /// it is the catalog the checked manifest names; otherwise the restore loads the catalog itself.
    /// </summary>
    public CatalogLoad? Catalog { get; init; }
}

/// <summary>A tree catalog being fetched, verified, read and checked for structure.</summary>
public sealed record CatalogLoad(CapsuleName Capsule, int Version, BlobId Id, Task<List<TreeEntry>> Entries);

/// <summary>A problem met while restoring, with a stable code (docs/CLI.md lists them).</summary>
public sealed record RestoreProblem(string Code, string? Path, string Message, bool IsError);

/// <summary>What a restore did.</summary>
public sealed class RestoreResult
{
    public long Entries { get; set; }

    public long Files { get; set; }

    public long Bytes { get; set; }

    public long Skipped { get; set; }

    public List<RestoreProblem> Problems { get; } = [];

    public bool HasErrors => Problems.Any(p => p.IsError);
}

/// <summary>Live counters of a running restore.</summary>
public sealed class RestoreMonitor
{
    private long _bytesTotal;
    private long _bytesDone;

    public long BytesTotal => Interlocked.Read(ref _bytesTotal);

    public long BytesDone => Interlocked.Read(ref _bytesDone);

    internal void SetTotal(long n) => Interlocked.Exchange(ref _bytesTotal, n);

    internal void Add(long n) => Interlocked.Add(ref _bytesDone, n);
}

/// <summary>
/// Gives back the tree of a capsule version, exactly: kinds, content, modes incl. setuid/setgid/sticky,
/// owners (as root), nanosecond mtimes, xattrs, hardlinks, holes (FORMAT.md §6).
/// </summary>
/// <remarks>
/// Safety: every catalog path is a plain relative path whose parent is a directory entry of the same
/// catalog (checked), directories are made by this restore, files are created with O_EXCL|O_NOFOLLOW,
/// and symlinks are made only after all content is written, so nothing is ever written outside the target
/// and no symlink of the tree is followed. Every blob is verified against its SHA-256 as it is read (and,
/// with <see cref="RestoreOptions.VerifyWrittenFiles"/>, every file against its own content hash).
/// </remarks>
public sealed class TreeRestorer
{
    private readonly Archive _archive;
    private readonly RestoreMonitor _monitor;

    public TreeRestorer(Archive archive, RestoreMonitor? monitor = null)
    {
        _archive = archive;
        _monitor = monitor ?? new RestoreMonitor();
    }

    /// <summary>
    /// Starts fetching, verifying and reading the catalog <paramref name="id"/> of a version on the thread
    /// pool: a restore can begin this while the version's manifest is still being checked.
    /// </summary>
    public CatalogLoad StartCatalogLoad(CapsuleName capsule, int version, BlobId id, CancellationToken cancellationToken) =>
        new(capsule, version, id, Task.Run(() => LoadCatalogAsync(capsule, version, id, cancellationToken), cancellationToken));

    private async Task<List<TreeEntry>> LoadCatalogAsync(CapsuleName capsule, int version, BlobId id, CancellationToken cancellationToken)
    {
        string what = $"{_archive.Location}/{id.Key} (catalog of {capsule}@v{version})";
        byte[] catalog = await _archive.Blobs.GetAsync(id, cancellationToken).ConfigureAwait(false);
        List<TreeEntry> entries = TreeCatalog.ReadAll(catalog, what);
        CheckStructure(entries, what);
        Timeline.Mark("restore: catalog loaded");
        return entries;
    }

    public async Task<RestoreResult> RestoreAsync(LoadedManifest version, RestoreOptions options, CancellationToken cancellationToken)
    {
        BlobId catalogId = BlobId.Parse(version.Manifest.Tree.Catalog);
        CatalogLoad? early = options.Catalog;
        List<TreeEntry> entries = early is not null && early.Id == catalogId && early.Capsule == version.Capsule && early.Version == version.Version
            ? await early.Entries.ConfigureAwait(false)
            : await LoadCatalogAsync(version.Capsule, version.Version, catalogId, cancellationToken).ConfigureAwait(false);

        string targetText = Path.GetFullPath(options.Target);
        PrepareTarget(targetText);
        byte[] target = PosixFs.FromString(targetText.TrimEnd('/'));
        bool privileged = PosixFs.IsPrivileged;
        var result = new RestoreResult { Entries = entries.Count };
        var byId = entries.ToDictionary(e => e.Id);
        var created = new HashSet<long>();

        byte[] Abs(TreeEntry e) => e.Path.Length == 0 ? target : PathBytes.Join(target, e.Path);

        // Pass 1: directories and empty files, in id order (parents first).
        foreach (TreeEntry e in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (e.Path.Length == 0)
            {
                created.Add(e.Id);
                continue;
            }

            if (e.ParentId is long pid && !created.Contains(pid))
            {
                result.Skipped++;
                continue; // below something not restored (reported there)
            }

            if (e.HardlinkTo is not null || e.Kind == EntryKind.Symlink)
            {
                continue; // pass 3
            }

            try
            {
                if (e.Kind == EntryKind.Directory)
                {
                    PosixFs.MakeDirectory(Abs(e), 0b111_000_000);
                    created.Add(e.Id);
                }
                else if (e.State != EntryState.Captured)
                {
                    result.Skipped++;
                    result.Problems.Add(new RestoreProblem("RST004", e.DisplayPath, $"not restored: it was {e.State.ToString().ToLowerInvariant()} at capture ({e.Note})", false));
                }
                else if (e.Kind == EntryKind.File)
                {
                    // A file held by one extent from its first byte to its last is created when its blob is
                    // read (one open per file); any other (several extents, holes, empty) is created here.
                    if (!IsWhole(e))
                    {
                        using SafeFileHandle h = PosixFs.CreateExclusive(Abs(e), 0b110_000_000);
                        if (e.Size > 0)
                        {
                            PosixFs.Truncate(h, e.Size, Abs(e));
                        }
                    }

                    created.Add(e.Id);
                    result.Files++;
                    result.Bytes += e.Size;
                }
                else
                {
                    MakeSpecial(e, Abs(e), privileged, result, created);
                }
            }
            catch (PosixException ex) when (!ex.IsNoSpace)
            {
                result.Problems.Add(new RestoreProblem("RST003", e.DisplayPath, ex.Message, true));
            }
            catch (PosixException ex)
            {
                throw new PreserveException(FailureKind.Environment, $"{targetText}: the disk is full ({ex.Message}).", ex);
            }
        }

        Timeline.Mark("restore: pass 1 (directories) done");
        // Pass 2: content, blob by blob, in parallel; each blob read once for all the files it holds.
        var finished = new ConcurrentDictionary<long, byte>();
        await WriteContentAsync(entries, byId, created, Abs, result, options.Workers, options.VerifyWrittenFiles, privileged, finished, cancellationToken).ConfigureAwait(false);

        Timeline.Mark("restore: pass 2 (content) done");
        // Pass 3: symlinks, then hard links — only now, so that no write above could follow a link.
        foreach (TreeEntry e in entries)
        {
            if (e.Kind != EntryKind.Symlink || e.HardlinkTo is not null || (e.ParentId is long pid && !created.Contains(pid)))
            {
                continue;
            }

            try
            {
                PosixFs.Symlink(e.LinkTarget ?? [], Abs(e));
                created.Add(e.Id);
            }
            catch (PosixException ex)
            {
                result.Problems.Add(new RestoreProblem("RST003", e.DisplayPath, ex.Message, true));
            }
        }

        foreach (TreeEntry e in entries)
        {
            if (e.HardlinkTo is not long first || (e.ParentId is long pid && !created.Contains(pid)))
            {
                continue;
            }

            if (!created.Contains(first))
            {
                result.Problems.Add(new RestoreProblem("RST005", e.DisplayPath, $"hard link to '{byId[first].DisplayPath}', which was not restored", true));
                continue;
            }

            try
            {
                PosixFs.HardLink(Abs(byId[first]), Abs(e));
                created.Add(e.Id);
            }
            catch (PosixException ex)
            {
                result.Problems.Add(new RestoreProblem("RST003", e.DisplayPath, ex.Message, true));
            }
        }

        Timeline.Mark("restore: pass 3 (links) done");
        // Pass 4: metadata, children before parents, so a directory's mtime and mode are set last.
        var ownerProblems = 0;
        for (int i = entries.Count - 1; i >= 0; i--)
        {
            TreeEntry e = entries[i];
            if (!created.Contains(e.Id) || e.HardlinkTo is not null)
            {
                continue;
            }

            if (finished.ContainsKey(e.Id))
            {
                if (!privileged && ownerProblems++ == 0)
                {
                    result.Problems.Add(new RestoreProblem("RST006", null, "not running as root: owners are not restored (files belong to the restoring user)", false));
                }

                continue;
            }

            byte[] abs = Abs(e);
            try
            {
                // chown first: it clears setuid/setgid and file capabilities, which are set after it.
                if (privileged)
                {
                    PosixFs.LChown(abs, e.Uid, e.Gid);
                }
                else if (ownerProblems++ == 0)
                {
                    result.Problems.Add(new RestoreProblem("RST006", null, "not running as root: owners are not restored (files belong to the restoring user)", false));
                }

                if (e.Kind != EntryKind.Symlink)
                {
                    PosixFs.Chmod(abs, e.Mode);
                }

                foreach (XAttr x in e.XAttrs)
                {
                    try
                    {
                        PosixFs.SetXAttr(abs, x.Name, x.Value);
                    }
                    catch (PosixException ex) when (!privileged || ex.Errno == 95)
                    {
                        result.Problems.Add(new RestoreProblem("RST007", e.DisplayPath, $"extended attribute not restored: {ex.Message}", false));
                    }
                }

                PosixFs.SetTimes(abs, e.MtimeSeconds, e.MtimeNanoseconds);
            }
            catch (PosixException ex)
            {
                result.Problems.Add(new RestoreProblem("RST003", e.DisplayPath, ex.Message, true));
            }
        }

        Timeline.Mark("restore: pass 4 (metadata) done");
        return result;
    }

    private static void MakeSpecial(TreeEntry e, byte[] abs, bool privileged, RestoreResult result, HashSet<long> created)
    {
        if (e.Kind is EntryKind.CharDevice or EntryKind.BlockDevice && !privileged)
        {
            result.Skipped++;
            result.Problems.Add(new RestoreProblem("RST002", e.DisplayPath, "device node not made: only root can (restore as root to get it)", false));
            return;
        }

        PosixFs.MakeNode(abs, e.Kind, 0b110_000_000, e.DeviceMajor, e.DeviceMinor);
        created.Add(e.Id);
    }

    private async Task WriteContentAsync(
        List<TreeEntry> entries,
        Dictionary<long, TreeEntry> byId,
        HashSet<long> created,
        Func<TreeEntry, byte[]> abs,
        RestoreResult result,
        int workers,
        bool verifyWritten,
        bool privileged,
        ConcurrentDictionary<long, byte> finished,
        CancellationToken cancellationToken)
    {
        var byBlob = new Dictionary<BlobId, List<(TreeEntry Entry, Extent Extent)>>();
        var multi = new List<TreeEntry>();
        long total = 0;
        foreach (TreeEntry e in entries)
        {
            if (e.Kind != EntryKind.File || e.HardlinkTo is not null || !created.Contains(e.Id))
            {
                continue;
            }

            if (e.Extents.Count > 1)
            {
                multi.Add(e);
            }

            foreach (Extent x in e.Extents)
            {
                if (!byBlob.TryGetValue(x.Blob, out var list))
                {
                    byBlob[x.Blob] = list = [];
                }

                list.Add((e, x));
                total += x.Length;
            }
        }

        _monitor.SetTotal(total);
        var problems = new ConcurrentBag<RestoreProblem>();
        var failedEntries = new ConcurrentDictionary<long, byte>();
        await Parallel.ForEachAsync(
            byBlob,
            new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken },
            async (pair, ct) =>
            {
                RentedBytes blob;
                try
                {
                    blob = await _archive.Blobs.GetLeaseAsync(pair.Key, ct).ConfigureAwait(false);
                }
                catch (PreserveException ex) when (ex is BlobMissingException or BlobCorruptException)
                {
                    var paths = pair.Value.Select(v => v.Entry).Distinct().ToList();
                    foreach (TreeEntry t in paths)
                    {
                        failedEntries.TryAdd(t.Id, 0);
                    }

                    string affected = string.Join(", ", paths.Take(5).Select(p => "'" + p.DisplayPath + "'")) + (paths.Count > 5 ? $" and {paths.Count - 5} more" : "");
                    problems.Add(new RestoreProblem(ex is BlobMissingException ? "RST010" : "RST011", null, $"{ex.Message} Affected: {affected}.", true));
                    return;
                }

                using RentedBytes lease = blob;
                foreach ((TreeEntry e, Extent x) in pair.Value)
                {
                    if (x.BlobOffset + x.Length > blob.Length)
                    {
                        failedEntries.TryAdd(e.Id, 0);
                        problems.Add(new RestoreProblem("RST012", e.DisplayPath, $"the catalog's extent reaches past the end of blob {x.Blob}", true));
                        continue;
                    }

                    ReadOnlySpan<byte> data = blob.Span.Slice((int)x.BlobOffset, (int)x.Length);
                    // Every byte here was just verified with its blob, whose id the verified catalog names. With
                    // --verify-files, a file that is a slice of a bundle is also checked against its own hash (a
                    // file that is a whole blob was checked with the blob).
                    if (verifyWritten && e.Extents.Count == 1 && e.Content is BlobId c && x.Offset == 0 && x.Length == e.Size && x.Length != blob.Length && BlobId.Of(data) != c)
                    {
                        failedEntries.TryAdd(e.Id, 0);
                        problems.Add(new RestoreProblem("RST012", e.DisplayPath, $"content does not match its recorded SHA-256 {c}", true));
                        continue;
                    }

                    try
                    {
                        using SafeFileHandle h = IsWhole(e) ? PosixFs.CreateExclusive(abs(e), 0b110_000_000) : PosixFs.OpenWrite(abs(e));
                        RandomAccess.Write(h, data, x.Offset);

                        // A file written whole gets its metadata here, through the open descriptor and on this
                        // worker; the others get it in pass 4.
                        if (IsWhole(e))
                        {
                            finished.TryAdd(e.Id, 0);
                            try
                            {
                                PosixFs.SetMetadata(h, abs(e), privileged ? (e.Uid, e.Gid) : null, e.Mode, e.XAttrs.Select(a => (a.Name, a.Value)).ToList(), e.MtimeSeconds, e.MtimeNanoseconds, (name, ex) =>
                                {
                                    if (privileged && ex.Errno != 95)
                                    {
                                        throw ex;
                                    }

                                    problems.Add(new RestoreProblem("RST007", e.DisplayPath, $"extended attribute not restored: {ex.Message}", false));
                                });
                            }
                            catch (PosixException ex) when (!ex.IsNoSpace)
                            {
                                problems.Add(new RestoreProblem("RST003", e.DisplayPath, ex.Message, true));
                            }
                        }
                    }
                    catch (PosixException ex) when (ex.IsNoSpace)
                    {
                        throw new PreserveException(FailureKind.Environment, $"{PathBytes.ToDisplay(abs(e))}: the disk is full ({ex.Message}).", ex);
                    }
                    catch (IOException ex)
                    {
                        failedEntries.TryAdd(e.Id, 0);
                        problems.Add(new RestoreProblem("RST003", e.DisplayPath, ex.Message, true));
                    }

                    _monitor.Add(x.Length);
                }
            }).ConfigureAwait(false);

        // A file whose content could not be given back is not left behind with wrong bytes: it is removed
        // (a whole-file entry was never created), and reported above.
        foreach (long id in failedEntries.Keys)
        {
            if (!IsWhole(byId[id]))
            {
                try
                {
                    PosixFs.Unlink(abs(byId[id]));
                }
                catch (PosixException)
                {
                    // Already gone.
                }
            }

            created.Remove(id);
        }

        // Files of several extents, and files whose single extent does not cover them (holes): check the
        // whole content once written.
        foreach (TreeEntry e in entries.Where(e => verifyWritten && e.Kind == EntryKind.File && e.HardlinkTo is null && created.Contains(e.Id) && e.Content is not null))
        {
            if (IsWhole(e) || failedEntries.ContainsKey(e.Id) || (e.Size == 0 && e.Extents.Count == 0))
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            using SafeFileHandle h = PosixFs.OpenRead(abs(e));
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] buf = new byte[1024 * 1024];
            long pos = 0;
            int n;
            while ((n = RandomAccess.Read(h, buf, pos)) > 0)
            {
                hash.AppendData(buf, 0, n);
                pos += n;
            }

            if (BlobId.FromDigest(hash.GetHashAndReset()) != e.Content)
            {
                problems.Add(new RestoreProblem("RST012", e.DisplayPath, $"restored content does not match its recorded SHA-256 {e.Content}; the file was removed", true));
                PosixFs.Unlink(abs(e));
                created.Remove(e.Id);
            }
        }

        result.Problems.AddRange(problems.OrderBy(p => p.Code, StringComparer.Ordinal).ThenBy(p => p.Path, StringComparer.Ordinal));
    }

    private static bool IsWhole(TreeEntry e) => e.Extents.Count == 1 && e.Extents[0].Offset == 0 && e.Extents[0].Length == e.Size;

    private static void CheckStructure(List<TreeEntry> entries, string what)
    {
        var byId = new Dictionary<long, TreeEntry>();
        foreach (TreeEntry e in entries)
        {
            if (e.Path.Length == 0)
            {
                if (e.Kind != EntryKind.Directory || e.ParentId is not null)
                {
                    throw new PreserveException(FailureKind.Integrity, $"{what}: the root entry is not a directory without parent.");
                }
            }
            else
            {
                if (e.ParentId is not long pid || !byId.TryGetValue(pid, out TreeEntry? parent) || parent.Kind != EntryKind.Directory)
                {
                    throw new PreserveException(FailureKind.Integrity, $"{what}: entry '{e.DisplayPath}' has no directory parent listed before it.");
                }

                int slash = e.Path.AsSpan().LastIndexOf((byte)'/');
                ReadOnlySpan<byte> parentPath = slash < 0 ? [] : e.Path.AsSpan(0, slash);
                if (!parentPath.SequenceEqual(parent.Path))
                {
                    throw new PreserveException(FailureKind.Integrity, $"{what}: entry '{e.DisplayPath}' is not inside its parent '{parent.DisplayPath}'.");
                }
            }

            if (e.HardlinkTo is long h && (!byId.TryGetValue(h, out TreeEntry? first) || first.Kind != e.Kind))
            {
                throw new PreserveException(FailureKind.Integrity, $"{what}: entry '{e.DisplayPath}' is a hard link to an entry that is not listed before it or is of another kind.");
            }

            byId[e.Id] = e;
        }

        if (entries.Count == 0 || entries[0].Path.Length != 0)
        {
            throw new PreserveException(FailureKind.Integrity, $"{what}: the catalog does not start with the root entry.");
        }
    }

    private static void PrepareTarget(string target)
    {
        if (Directory.Exists(target))
        {
            if (Directory.EnumerateFileSystemEntries(target).Any())
            {
                throw new PreserveException(FailureKind.Usage, $"{target} is not empty; restore into a new or empty directory, so that nothing there is overwritten.");
            }

            return;
        }

        if (File.Exists(target) || PosixFs.TryLStat(PosixFs.FromString(target), out _, out _))
        {
            throw new PreserveException(FailureKind.Usage, $"{target} exists and is not a directory.");
        }

        try
        {
            Directory.CreateDirectory(target);
        }
        catch (IOException e)
        {
            throw new PreserveException(FailureKind.Environment, $"{target}: cannot create the directory ({e.Message}).", e);
        }
    }
}
