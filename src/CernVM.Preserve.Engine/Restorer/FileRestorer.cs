using System.Collections.Concurrent;
using System.Security.Cryptography;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Posix;
using CernVM.Preserve.Storage;
using Microsoft.Win32.SafeHandles;

namespace CernVM.Preserve.Engine.Restorer;

/// <summary>
/// Restores file content after the files exist: blob by blob in parallel (<see cref="ContentPlan"/>), each
/// blob read into a pooled buffer and verified against its SHA-256 once (two at a time, their hashes computed
/// together), its bytes written to every file that needs them (<see cref="FilesWriter"/>). A file written whole
/// gets its metadata on the same worker. A file whose content cannot be given back is removed, never left with
/// wrong bytes.
/// </summary>
internal sealed class FileRestorer
{
    private readonly BlobStore _blobs;
    private readonly RestoreMonitor _monitor;
    private readonly RestoreRun _run;
    private readonly bool _verify;
    private readonly ConcurrentBag<RestoreProblem> _problems = [];
    private readonly ConcurrentDictionary<long, byte> _failed = new();

    public FileRestorer(BlobStore blobs, RestoreMonitor monitor, RestoreRun run, bool verifyWrittenFiles)
    {
        _blobs = blobs;
        _monitor = monitor;
        _run = run;
        _verify = verifyWrittenFiles;
    }

    public async Task RestoreAsync(int workers, CancellationToken cancellationToken)
    {
        ContentPlan plan = ContentPlan.For(_run.Tree.Entries, _run.IsMade);
        _monitor.SetTotal(plan.Bytes);
        // Two blobs per step, their SHA-256s computed together (BlobStore.GetLeasesAsync), paired by size (what
        // their extents reach; a bundle's members fill it) so that the two lanes run side by side to the end;
        // the largest first, so that the last steps are short and both cores finish together.
        await Parallel.ForEachAsync(
            plan.Blobs.OrderByDescending(b => b.Value.Max(t => t.Extent.BlobOffset + t.Extent.Length)).Chunk(2),
            new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken },
            async (pair, ct) => await RestoreBlobsAsync(pair, ct).ConfigureAwait(false)).ConfigureAwait(false);

        RemoveFailed();
        if (_verify)
        {
            VerifyAssembledFiles(cancellationToken);
        }

        _run.Problems.AddRange(_problems.OrderBy(p => p.Code, StringComparer.Ordinal).ThenBy(p => p.Path, StringComparer.Ordinal));
    }

    private async Task RestoreBlobsAsync(KeyValuePair<BlobId, List<ExtentTarget>>[] blobs, CancellationToken cancellationToken)
    {
        if (blobs.Length == 1)
        {
            Write(blobs[0].Value, await _blobs.TryGetLeaseAsync(blobs[0].Key, cancellationToken).ConfigureAwait(false));
            return;
        }

        (BlobLease first, BlobLease second) = await _blobs.GetLeasesAsync(blobs[0].Key, blobs[1].Key, cancellationToken).ConfigureAwait(false);
        try
        {
            Write(blobs[0].Value, first);
        }
        catch
        {
            second.Content?.Dispose();
            throw;
        }

        Write(blobs[1].Value, second);
    }

    // A blob's bytes to every file that needs them, or, when it could not be given, those files failed.
    private void Write(List<ExtentTarget> targets, BlobLease lease)
    {
        if (lease.Content is not RentedBytes blob)
        {
            BlobUnreadable(lease.Failure!, targets);
            return;
        }

        using (blob)
        {
            foreach (ExtentTarget t in targets)
            {
                WriteExtent(t.File, t.Extent, blob);
                _monitor.Add(t.Extent.Length);
            }
        }
    }

    private void BlobUnreadable(PreserveException ex, List<ExtentTarget> targets)
    {
        List<TreeEntry> files = targets.Select(t => t.File).Distinct().ToList();
        foreach (TreeEntry f in files)
        {
            _failed.TryAdd(f.Id, 0);
        }

        string affected = string.Join(", ", files.Take(5).Select(p => "'" + p.DisplayPath + "'")) + (files.Count > 5 ? $" and {files.Count - 5} more" : "");
        _problems.Add(new RestoreProblem((ex is BlobMissingException ? ReportCode.BlobMissing : ReportCode.BlobCorrupt).Code, null, $"{ex.Message} Affected: {affected}.", true));
    }

    private void WriteExtent(TreeEntry e, Extent x, RentedBytes blob)
    {
        if (x.BlobOffset < 0 || x.Length < 0 || x.BlobOffset > blob.Length - x.Length) // no sum: a hostile catalog's offsets may overflow it
        {
            Fail(e, ReportCode.ContentMismatch.Code, $"the catalog's extent reaches past the end of blob {x.Blob}");
            return;
        }

        ReadOnlySpan<byte> data = blob.Span.Slice((int)x.BlobOffset, (int)x.Length);
        // Every byte here was just verified with its blob, whose id the verified catalog names. With
        // --verify-files, a file that is a slice of a bundle is also checked against its own hash (a file that
        // is a whole blob was checked with the blob).
        if (_verify && FilesWriter.IsWhole(e) && e.Content is BlobId c && x.Length != blob.Length && BlobId.Of(data) != c)
        {
            Fail(e, ReportCode.ContentMismatch.Code, $"content does not match its recorded SHA-256 {c}");
            return;
        }

        byte[] path = _run.PathOf(e);
        try
        {
            FilesWriter.Write(e, path, data, x.Offset, h => SetMetadata(h, path, e));
        }
        catch (IOException ex) when (PosixException.IsNoSpaceError(ex))
        {
            // The content is written by .NET's RandomAccess, whose errors are IOExceptions, not PosixExceptions: a full
            // disk ends the restore (every file after would fail the same way), it is not one file's problem.
            throw new PreserveException(FailureKind.Environment, $"{PathBytes.ToDisplay(path)}: the disk is full ({ex.Message}).", ex);
        }
        catch (IOException ex)
        {
            Fail(e, ReportCode.EntryNotRestored.Code, ex.Message);
        }
    }

    private void SetMetadata(SafeFileHandle handle, byte[] path, TreeEntry e)
    {
        _run.MetadataSet(e.Id);
        try
        {
            EntryMetadata.Apply(handle, path, e, _run.Privileged, _run.RestoreOwners, _problems.Add);
        }
        catch (PosixException ex) when (!ex.IsNoSpace)
        {
            _problems.Add(new RestoreProblem(ReportCode.EntryNotRestored.Code, e.DisplayPath, ex.Message, true));
        }
    }

    private void Fail(TreeEntry e, string code, string message)
    {
        _failed.TryAdd(e.Id, 0);
        _problems.Add(new RestoreProblem(code, e.DisplayPath, message, true));
    }

    // A file whose content could not be given back is not left behind with wrong bytes: it is removed (a whole
    // file was never created), and reported.
    private void RemoveFailed()
    {
        foreach (long id in _failed.Keys)
        {
            TreeEntry e = _run.Tree[id];
            if (!FilesWriter.IsWhole(e))
            {
                try
                {
                    PosixFs.Unlink(_run.PathOf(e));
                }
                catch (PosixException)
                {
                    // Already gone.
                }
            }

            _run.Unmade(id);
        }
    }

    // Files of several extents, and files whose single extent does not cover them (holes): the whole content is
    // read back once written and checked against its recorded hash.
    private void VerifyAssembledFiles(CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[1024 * 1024];
        foreach (TreeEntry e in _run.Tree.Entries)
        {
            if (e.Kind != EntryKind.File || e.HardlinkTo is not null || e.Content is not BlobId content || !_run.IsMade(e.Id) ||
                FilesWriter.IsWhole(e) || (e.Size == 0 && e.Extents.Count == 0))
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            byte[] path = _run.PathOf(e);
            if (HashOf(path, buffer) != content)
            {
                _problems.Add(new RestoreProblem(ReportCode.ContentMismatch.Code, e.DisplayPath, $"restored content does not match its recorded SHA-256 {content}; the file was removed", true));
                PosixFs.Unlink(path);
                _run.Unmade(e.Id);
            }
        }
    }

    private static BlobId HashOf(byte[] path, byte[] buffer)
    {
        using SafeFileHandle h = PosixFs.OpenRead(path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long pos = 0;
        int n;
        while ((n = RandomAccess.Read(h, buffer, pos)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            pos += n;
        }

        return BlobId.FromDigest(hash.GetHashAndReset());
    }
}
