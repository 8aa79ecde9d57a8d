using System.Collections.Concurrent;
using System.Globalization;
using CernVM.Preserve.Core.Hashing;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Audit;

/// <summary>Bit fixity (FORMAT.md §4.1, §6.3, §7.2): the share of blobs this audit re-hashes, each decoded and hashed, and every file's content hash checked against its bytes.</summary>
internal sealed class FixityCheck(AuditContext ctx)
{
    private const string CatalogPath = AuditContext.CatalogPath;

    // Blobs of one file held in pieces decoded ahead of its ordered hash: at most this many, and beyond the
    // first only while their extents add up to no more than AheadBytes (a blob may hold up to 64 MiB).
    private const int MaxAhead = 4;
    private const long AheadBytes = 8 * 1024 * 1024;

    // The share of the blob-id space (first 32 bits) this audit re-hashes (FORMAT.md §7.2): all of it for
    // --deep; for --sample, the next share after the one the newest sampled audit covered, so that successive
    // sampled audits go round the whole archive.
    public (ulong From, ulong To) Range(JournalCheck journal)
    {
        const ulong End = 1UL << 32;
        switch (ctx.Options.Scope)
        {
            case FixityScope.Deep:
                return (0, End);
            case FixityScope.Sample:
                ulong from = 0;
                if (journal.Events.LastOrDefault(e => e.Fixity?.Scope == "sample") is { Fixity: { } last })
                {
                    from = last.To == "100000000" ? 0 : ulong.Parse(last.To, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                }

                ulong width = (ulong)Math.Ceiling(Math.Clamp(ctx.Options.SamplePercent, 0, 100) / 100.0 * End);
                return (from, Math.Min(End, from + Math.Max(1, width)));
            default:
                return (0, 0);
        }
    }

    private static ulong Position(BlobId id)
    {
        byte[] d = id.ToDigest();
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(d);
    }

    // Blobs decoded and found whole in this audit: each is decoded, hashed and counted once.
    private readonly ConcurrentDictionary<BlobId, byte> _verified = new();
    private List<VersionState> _withCatalog = [];

    public async Task RunAsync(ulong from, ulong to, CancellationToken cancellationToken)
    {
        _withCatalog = [.. ctx.Versions.Where(v => v.Catalog is not null)];
        var catalogs = ctx.Versions.Where(v => v.Facts is not null && BlobId.TryParse(v.Facts.Catalog, out _)).Select(v => BlobId.Parse(v.Facts!.Catalog)).ToHashSet();
        var options = new ParallelOptions { MaxDegreeOfParallelism = ctx.Options.EffectiveParallelism, CancellationToken = cancellationToken };
        bool InRange(BlobId id) => ctx.Present.Contains(id) && !catalogs.Contains(id) && Position(id) >= from && Position(id) < to;

        // Files held in pieces first: reassembling one decodes its blobs, which then need no second reading
        // (a deep audit decodes every blob once and hashes every byte once per id that names it). The largest
        // first, so that the longest ordered pass (a file's own hash) starts at once; the other blobs follow in
        // the same pass, so that no core waits for the last file's hash before they start.
        List<PiecedFile> pieced = [];
        var piecedBlobs = new HashSet<BlobId>();
        if (ctx.Options.Scope == FixityScope.Deep)
        {
            foreach (VersionState v in _withCatalog)
            {
                foreach ((long entry, string content, long size, string? blobs) in v.Catalog!.PiecedFiles())
                {
                    // Only the blob ids are kept (a set of the kind the audit already holds); the extents are
                    // read again when the file is checked, so memory does not grow with the files' sizes.
                    pieced.Add(new PiecedFile(v, entry, content, size));
                    foreach (string blob in (blobs ?? "").Split(','))
                    {
                        if (BlobId.TryParse(blob, out BlobId id))
                        {
                            piecedBlobs.Add(id);
                        }
                    }
                }
            }
        }

        IEnumerable<FixityWork> work = pieced.OrderByDescending(f => f.Size).Select(f => new FixityWork(f, default))
            .Concat(ctx.Named.Where(id => InRange(id) && !piecedBlobs.Contains(id) && !ctx.Corrupt.ContainsKey(id)).Order().Select(id => new FixityWork(null, id)));
        await Parallel.ForEachAsync(work, options, async (w, ct) =>
        {
            if (w.File is PiecedFile f)
            {
                await CheckPiecedFileAsync(f, ct).ConfigureAwait(false);
            }
            else
            {
                await CheckBlobAsync(w.Blob, ct).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);

        // The blobs of files held in pieces that their file's pass did not reach (it stops at a missing or corrupt
        // blob, or at an extent that does not fit): each checked on its own, as any other.
        IEnumerable<BlobId> left = piecedBlobs.Where(id => InRange(id) && !_verified.ContainsKey(id) && !ctx.Corrupt.ContainsKey(id)).Order();
        await Parallel.ForEachAsync(left, options, async (id, ct) => await CheckBlobAsync(id, ct).ConfigureAwait(false)).ConfigureAwait(false);

        foreach (BlobId id in ctx.Corrupt.Keys.Order())
        {
            IReadOnlyList<AffectedVersion> affected = ctx.Affected(id);
            using RentedBytes? frame = await ctx.Store.TryGetRentedAsync(id.Key, cancellationToken).ConfigureAwait(false);
            string problem = "it vanished while the audit read it";
            if (frame is not null)
            {
                using RentedBytes? again = BlobFrame.Decode(frame.Span, id.ToString(), out string? p);
                problem = again is null ? p! : "it read back differently";
            }

            ctx.Findings.Add(new Finding(FindingCodes.BlobCorrupt, id.Key, $"{id.Key} is corrupt: {problem}; it holds data of {AuditContext.Describe(affected)}.", affected));
        }
    }

    private async Task CheckBlobAsync(BlobId id, CancellationToken cancellationToken)
    {
        if (_verified.ContainsKey(id))
        {
            return;
        }

        using RentedBytes? frame = await ctx.Store.TryGetRentedAsync(id.Key, cancellationToken).ConfigureAwait(false);
        using RentedBytes? content = frame is null ? null : BlobFrame.Decompress(frame.Span, out _);
        if (content is null)
        {
            ctx.Corrupt.TryAdd(id, 0);
            return;
        }

        using var blobLane = new Sha256Lane();
        CheckContent(id, content, blobLane);
    }

    /// <summary>A file held in pieces (by more than one extent) of a version: its catalog entry, content hash and size.</summary>
    private sealed record PiecedFile(VersionState Version, long Entry, string Content, long Size);

    /// <summary>One item of the fixity pass: a file held in pieces, or else a blob.</summary>
    private readonly record struct FixityWork(PiecedFile? File, BlobId Blob);

    /// <summary>
    /// A decoded blob and every file it holds whole (FORMAT.md §6.3): the files' ranges hashed in the same pass as
    /// the blob's own hash when <paramref name="blobLane"/> is given (else the blob was found whole already), then
    /// judged once the blob is known whole. A corrupt blob is marked so (reported with every file it affects), and
    /// its files are not judged by bytes that are not the blob's. Each blob is counted and its files judged once.
    /// </summary>
    private void CheckContent(BlobId id, RentedBytes content, Sha256Lane? blobLane)
    {
        string hex = id.ToString();
        var files = new List<(VersionState Version, WholeFileSlice File)>();
        foreach (VersionState v in ctx.BlobUsers!.Of(hex))
        {
            foreach (WholeFileSlice f in v.Catalog!.WholeFilesIn(hex))
            {
                files.Add((v, f));
            }
        }

        // The ranges to hash: each once, however many versions hold a file there; not a file that is the whole blob
        // (the blob's hash checks it), nor one checked before, nor an extent that does not fit (reported below).
        List<(long Offset, long Length)> ranges = [.. files
            .Where(x => Fits(x.File, content.Length) && !IsTheBlob(x.File, hex, content.Length) && !ctx.FilesVerified.ContainsKey(Key(x.File, hex)))
            .Select(x => (x.File.BlobOffset, x.File.Length)).Distinct().Order()];
        var digests = new Dictionary<(long Offset, long Length), string>(ranges.Count);
        var pass = new BlobPass(content.Span, blobLane);
        if (ranges.Count > 0)
        {
            using var fileLane = new Sha256Lane();
            Span<byte> digest = stackalloc byte[32];
            foreach ((long offset, long length) in ranges)
            {
                pass.Range((int)offset, (int)length, fileLane);
                fileLane.Finish(digest);
                digests[(offset, length)] = Convert.ToHexStringLower(digest);
            }
        }

        if (blobLane is not null && pass.FinishBlob() != id)
        {
            ctx.Corrupt.TryAdd(id, 0);
            return;
        }

        if (!_verified.TryAdd(id, 0))
        {
            return;
        }

        Interlocked.Increment(ref ctx.BlobsChecked);
        Interlocked.Add(ref ctx.BytesChecked, content.Length);
        foreach ((VersionState v, WholeFileSlice f) in files)
        {
            CheckWholeFile(v, hex, content.Length, f, digests);
        }
    }

    // No sum: a hostile catalog's offsets may overflow it.
    private static bool Fits(WholeFileSlice f, int blobLength) => f.BlobOffset >= 0 && f.Length >= 0 && f.BlobOffset <= blobLength - f.Length;

    // FORMAT.md §6.3: a file held whole by one extent that is the whole blob, whose content is the blob's id.
    private static bool IsTheBlob(WholeFileSlice f, string blob, int blobLength) => f.Content == blob && f.BlobOffset == 0 && f.Length == blobLength;

    private static string Key(WholeFileSlice f, string blob) => $"{f.Content}:{blob}:{f.BlobOffset}:{f.Length}";

    private void CheckWholeFile(VersionState v, string blob, int blobLength, WholeFileSlice f, Dictionary<(long Offset, long Length), string> digests)
    {
        if (!Fits(f, blobLength))
        {
            ContentMismatch(v, f.Entry, $"its extent reaches past the end of blob {blob} ({blobLength} bytes)");
            return;
        }

        string key = Key(f, blob);
        Interlocked.Increment(ref ctx.FilesChecked);
        if (IsTheBlob(f, blob, blobLength) || ctx.FilesVerified.ContainsKey(key) || !digests.TryGetValue((f.BlobOffset, f.Length), out string? actual))
        {
            return; // the blob's own hash, or an earlier check of the same bytes, has checked it
        }

        if (actual != f.Content)
        {
            ContentMismatch(v, f.Entry, $"its bytes hash to {actual}, the catalog says {f.Content}");
            return;
        }

        ctx.FilesVerified.TryAdd(key, 0);
    }

    private async Task CheckPiecedFileAsync(PiecedFile file, CancellationToken cancellationToken)
    {
        (VersionState v, long entry, string expected, long size) = file;
        IReadOnlyList<(long Offset, long Length, string Blob, long BlobOffset)> extents = v.Catalog!.ExtentsOf(entry);
        string key = expected + ":" + string.Join(',', extents.Select(x => $"{x.Offset}+{x.Length}@{x.Blob}+{x.BlobOffset}")) + ":" + size.ToString(CultureInfo.InvariantCulture);
        if (ctx.FilesVerified.ContainsKey(key))
        {
            Interlocked.Increment(ref ctx.FilesChecked);
            return;
        }

        using var hash = new Sha256Lane();
        using var blobLane = new Sha256Lane();
        byte[] zeros = new byte[64 * 1024];
        long position = 0;
        void Zeros(long count)
        {
            while (count > 0)
            {
                int n = (int)Math.Min(count, zeros.Length);
                hash.Append(zeros.AsSpan(0, n));
                count -= n;
            }
        }

        // The file's hash is one pass in order, but its blobs can be fetched and decoded in any order: the next few
        // are decoded while this one is hashed. Each blob's own hash runs in the same pass as the file's, over the
        // same bytes (BlobPass), unless another file's pass has found it whole already.
        var ahead = new Queue<(Task<RentedBytes?> Content, long Length)>();
        long aheadBytes = 0;
        int next = 0;
        try
        {
            foreach ((long offset, long length, string blob, long blobOffset) in extents)
            {
                if (!BlobId.TryParse(blob, out BlobId id) || !ctx.Present.Contains(id) || ctx.Corrupt.ContainsKey(id))
                {
                    return; // the blob is reported as missing or corrupt, naming this file
                }

                if (offset < position)
                {
                    ContentMismatch(v, entry, "its extents overlap");
                    return;
                }

                while (next < extents.Count && (ahead.Count == 0 || (ahead.Count < MaxAhead && aheadBytes + extents[next].Length <= AheadBytes)))
                {
                    (_, long l, string b, _) = extents[next++];
                    ahead.Enqueue((Task.Run(() => DecodeAsync(b, cancellationToken), cancellationToken), l));
                    aheadBytes += l;
                }

                Zeros(offset - position);
                (Task<RentedBytes?> decoding, long decodingLength) = ahead.Dequeue();
                aheadBytes -= decodingLength;
                using RentedBytes? content = await decoding.ConfigureAwait(false);
                if (content is null)
                {
                    return; // corrupt or vanished: reported with the blob, naming this file
                }

                if (blobOffset < 0 || length < 0 || blobOffset > content.Length - length) // no sum: hostile offsets may overflow it
                {
                    ContentMismatch(v, entry, $"an extent reaches past the end of blob {blob}");
                    return;
                }

                bool blobChecked = _verified.ContainsKey(id);
                var pass = new BlobPass(content.Span, blobChecked ? null : blobLane);
                pass.Range((int)blobOffset, (int)length, hash);
                if (!blobChecked)
                {
                    if (pass.FinishBlob() != id)
                    {
                        ctx.Corrupt.TryAdd(id, 0);
                        return; // reported with the blob, naming this file
                    }

                    CheckContent(id, content, blobLane: null);
                }

                position = offset + length;
            }
        }
        finally
        {
            while (ahead.TryDequeue(out (Task<RentedBytes?> Content, long Length) pending))
            {
                try
                {
                    (await pending.Content.ConfigureAwait(false))?.Dispose();
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        if (position > size)
        {
            ContentMismatch(v, entry, $"its extents reach past its size {size}");
            return;
        }

        Zeros(size - position);
        Span<byte> digest = stackalloc byte[32];
        hash.Finish(digest);
        string actual = Convert.ToHexStringLower(digest);
        Interlocked.Increment(ref ctx.FilesChecked);
        if (actual != expected)
        {
            ContentMismatch(v, entry, $"its bytes hash to {actual}, the catalog says {expected}");
            return;
        }

        ctx.FilesVerified.TryAdd(key, 0);
    }

    // A blob of a file held in pieces, decoded (its hash is checked in the file's pass), or null when it is
    // missing, not a blob, or not a valid frame (then marked corrupt, to be reported with every file it affects).
    private async Task<RentedBytes?> DecodeAsync(string blob, CancellationToken cancellationToken)
    {
        if (!BlobId.TryParse(blob, out BlobId id) || !ctx.Present.Contains(id) || ctx.Corrupt.ContainsKey(id))
        {
            return null;
        }

        using RentedBytes? frame = await ctx.Store.TryGetRentedAsync(id.Key, cancellationToken).ConfigureAwait(false);
        RentedBytes? content = frame is null ? null : BlobFrame.Decompress(frame.Span, out _);
        if (content is null)
        {
            ctx.Corrupt.TryAdd(id, 0);
        }

        return content;
    }

    private void ContentMismatch(VersionState v, long entry, string problem)
    {
        IReadOnlyList<string> paths = v.Catalog!.PathsOf(entry);
        ctx.Findings.Add(new Finding(FindingCodes.ContentMismatch, $"{v.Prefix}manifest.json:{paths.FirstOrDefault()}",
            $"{v.Capsule}@v{v.Version} {paths.FirstOrDefault()}: {problem}.", [new AffectedVersion(v.Capsule, v.Version, paths)]));
    }
}
