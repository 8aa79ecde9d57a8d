using System.Collections.Concurrent;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Hashing;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;
using ZstdNet;

namespace CernVM.Preserve.Storage;

/// <summary>
/// Content-addressed blobs over an object store (FORMAT.md §4): the name is the SHA-256 of the uncompressed
/// bytes, the object is one zstd frame (RFC 8878) carrying its content size and checksum. Reads verify both
/// the frame and the SHA-256; a blob that fails is reported by name, never returned.
/// </summary>
public sealed class BlobStore : IDisposable
{
    /// <summary>No blob is larger than this uncompressed (FORMAT.md §4.1); a bigger claim is corruption.</summary>
    public const int MaxBlobSize = 64 * 1024 * 1024;

    private readonly IObjectStore _store;
    private readonly ConcurrentDictionary<BlobId, byte> _present = new();
    private readonly ThreadLocal<Compressor> _compressors;
    private readonly ThreadLocal<Compressor> _fastCompressor;
    // zstd's experimental ZSTD_d_forceIgnoreChecksum (ZSTD_d_experimentalParam3): every blob read is checked
    // against its SHA-256, which the frame's XXH64 could only repeat, at 2% of a restore's CPU.
    private const ZSTD_dParameter IgnoreFrameChecksum = (ZSTD_dParameter)1002;

    // zstd's experimental ZSTD_c_blockSplitterLevel (ZSTD_c_experimentalParam20, 1.5.7): 0 lets the level decide, 1
    // never splits a block, 2-6 try ever harder.
    private const ZSTD_cParameter BlockSplitterLevel = (ZSTD_cParameter)1017;

    // ZSTD_fast in zstd.h's ZSTD_strategy (1; level 3 is ZSTD_dfast, 2).
    private const int ZstdFastStrategy = 1;

    private readonly ThreadLocal<Decompressor> _decompressors = new(
        () => new Decompressor(new DecompressionOptions(null, new Dictionary<ZSTD_dParameter, int> { [IgnoreFrameChecksum] = 1 })),
        trackAllValues: true);

    public BlobStore(IObjectStore store, int compressionLevel = 3)
    {
        _store = store;
        CompressionLevel = compressionLevel;
        var parameters = FrameParameters(compressionLevel);
        if (compressionLevel == 3)
        {
            // Level 3 with zstd's single-table match finder (the "fast" strategy, level 1's) over a table of 64K
            // entries, which fits a core's L2 cache, matches of 6 bytes at least, and a window of 4 MiB, a whole
            // bundle or chunk. On the blobs of a cold snapshot of the Debian root tree, compressed one by one in a
            // harness: 12.5 % less time than level 3's double table (64K + 16K entries) for 0.09 % fewer bytes; in
            // the tool the gain is smaller, near the machine's noise (docs/benchmarks.md). zstd shrinks the table
            // further for small blobs.
            parameters[ZSTD_cParameter.ZSTD_c_strategy] = ZstdFastStrategy;
            parameters[ZSTD_cParameter.ZSTD_c_hashLog] = 16;
            parameters[ZSTD_cParameter.ZSTD_c_minMatch] = 6;
            parameters[ZSTD_cParameter.ZSTD_c_windowLog] = 22;

            // zstd 1.5.7 splits each 128 KiB block where the data seems to change, which costs a fingerprint of
            // every block and more, smaller blocks to encode: turned off (level 1 of the splitter), 8 % less
            // compression time for 0.9 % more bytes on the Debian root tree (docs/benchmarks.md).
            parameters[BlockSplitterLevel] = 1;
        }

        _compressors = new ThreadLocal<Compressor>(() => new Compressor(new CompressionOptions(null, parameters)), trackAllValues: true);
        _fastCompressor = new ThreadLocal<Compressor>(() => new Compressor(new CompressionOptions(null, FrameParameters(1))), trackAllValues: true);
    }

    // Every frame carries its content size and checksum (FORMAT.md §4.1); the level is the writer's choice.
    private static Dictionary<ZSTD_cParameter, int> FrameParameters(int level) => new()
    {
        [ZSTD_cParameter.ZSTD_c_compressionLevel] = level,
        [ZSTD_cParameter.ZSTD_c_checksumFlag] = 1,
        [ZSTD_cParameter.ZSTD_c_contentSizeFlag] = 1,
    };

    public int CompressionLevel { get; }


    public IObjectStore Store => _store;

    /// <summary>Stores <paramref name="content"/> unless a blob of the same id exists.</summary>
    /// <returns>The id, and the compressed size written (0 when the blob already existed).</returns>
    public async Task<(BlobId Id, long WrittenBytes)> PutAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        BlobId id = BlobId.Of(content.Span);
        long written = await PutAsync(id, content, cancellationToken).ConfigureAwait(false);
        return (id, written);
    }

    /// <summary>
    /// Stores one large blob that the caller waits for with nothing else left to do (a snapshot's tree catalog,
    /// written after every file was read): its SHA-256 is computed on another core while it is compressed, and it
    /// is compressed with zstd's level 1, which on an SQLite catalog gives nearly the bytes of level 3 (590 KB
    /// against 589 KB for the Debian tree's 2.5 MB) in 60 % of the time. FORMAT.md §4.1 leaves the compression
    /// parameters to the writer.
    /// </summary>
    /// <returns>The id, and the compressed size written (0 when the blob already existed).</returns>
    public async Task<(BlobId Id, long WrittenBytes)> PutWaitedForAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        RequireBlobSize(content);
        Task<BlobId> hashing = Task.Run(() => BlobId.Of(content.Span), cancellationToken);
        byte[] frame = System.Buffers.ArrayPool<byte>.Shared.Rent(Compressor.GetCompressBound(content.Length));
        try
        {
            int length = _fastCompressor.Value!.Wrap(content.Span, frame.AsSpan());
            BlobId id = await hashing.ConfigureAwait(false);
            return (id, await ExistsAsync(id, cancellationToken).ConfigureAwait(false) ? 0 : await WriteFrameAsync(id, frame.AsMemory(0, length), cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            // The hash reads the content: it must be over before the caller may reuse it, even on a failure.
            await hashing.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            System.Buffers.ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Stores content whose id the caller has already computed.</summary>
    public async Task<long> PutAsync(BlobId id, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        RequireBlobSize(content);
        if (await ExistsAsync(id, cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        // The frame goes into a pooled buffer: a fresh array per blob (megabytes, on the large-object heap)
        // cost page faults and full collections through a whole snapshot. Stores copy what they keep.
        byte[] frame = System.Buffers.ArrayPool<byte>.Shared.Rent(Compressor.GetCompressBound(content.Length));
        try
        {
            int length = _compressors.Value!.Wrap(content.Span, frame.AsSpan());
            return await WriteFrameAsync(id, frame.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private static void RequireBlobSize(ReadOnlyMemory<byte> content)
    {
        if (content.Length > MaxBlobSize)
        {
            throw new ArgumentException($"A blob holds at most {MaxBlobSize} bytes.", nameof(content));
        }
    }

    // Writes a blob's frame unless another writer did first; the blob is known present either way. Returns the
    // bytes written (0 when the key was taken).
    private async Task<long> WriteFrameAsync(BlobId id, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        bool created = await _store.PutIfAbsentAsync(id.Key, frame, cancellationToken).ConfigureAwait(false);
        _present.TryAdd(id, 0);
        return created ? frame.Length : 0;
    }

    /// <summary>True when the store holds the blob (not verified).</summary>
    public async Task<bool> ExistsAsync(BlobId id, CancellationToken cancellationToken)
    {
        if (_present.ContainsKey(id))
        {
            return true;
        }

        bool exists = await _store.ExistsAsync(id.Key, cancellationToken).ConfigureAwait(false);
        if (exists)
        {
            _present.TryAdd(id, 0);
        }

        return exists;
    }

    /// <summary>Reads, decompresses and verifies a blob.</summary>
    /// <exception cref="BlobMissingException">The store holds no such blob.</exception>
    /// <exception cref="BlobCorruptException">The object is not a valid zstd frame or its SHA-256 differs from its name.</exception>
    public async Task<byte[]> GetAsync(BlobId id, CancellationToken cancellationToken)
    {
        byte[] frame = await _store.TryGetAsync(id.Key, cancellationToken).ConfigureAwait(false)
            ?? throw new BlobMissingException(id, $"{Describe(id)}: the blob is missing.");
        return Decode(id, frame);
    }

    /// <summary>
    /// Reads, decompresses and verifies a blob into a buffer rented from the shared pool, for readers that
    /// go through many blobs (restore): fresh arrays of megabytes each would cost a full garbage collection
    /// every few blobs. Dispose the lease when done with its bytes.
    /// </summary>
    /// <exception cref="BlobMissingException">The store holds no such blob.</exception>
    /// <exception cref="BlobCorruptException">The object is not a valid zstd frame or its SHA-256 differs from its name.</exception>
    public async Task<RentedBytes> GetLeaseAsync(BlobId id, CancellationToken cancellationToken)
    {
        RentedBytes content = await DecompressAsync(id, cancellationToken).ConfigureAwait(false);
        return Verified(id, content, BlobId.Of(content.Span));
    }

    /// <summary><see cref="GetLeaseAsync"/>, a missing or corrupt blob given back as its failure rather than thrown.</summary>
    public async Task<BlobLease> TryGetLeaseAsync(BlobId id, CancellationToken cancellationToken)
    {
        BlobLease lease = await TryDecompressAsync(id, cancellationToken).ConfigureAwait(false);
        return lease.Content is RentedBytes content ? Checked(id, content, BlobId.Of(content.Span)) : lease;
    }

    /// <summary>
    /// <see cref="GetLeaseAsync"/> for two blobs at once: both read and decompressed, then their SHA-256s computed
    /// together (<see cref="Sha256Lane.AppendBoth"/>: a third faster on the processor's SHA extensions than one
    /// after the other). Each comes back as its lease or as the exception reading it alone would have thrown.
    /// </summary>
    public async Task<(BlobLease First, BlobLease Second)> GetLeasesAsync(BlobId first, BlobId second, CancellationToken cancellationToken)
    {
        BlobLease a = await TryDecompressAsync(first, cancellationToken).ConfigureAwait(false);
        BlobLease b;
        try
        {
            b = await TryDecompressAsync(second, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            a.Content?.Dispose();
            throw;
        }

        using var laneA = new Sha256Lane();
        using var laneB = new Sha256Lane();
        Sha256Lane.AppendBoth(laneA, a.Content is null ? default : a.Content.Span, laneB, b.Content is null ? default : b.Content.Span);
        return (
            a.Content is RentedBytes contentA ? Checked(first, contentA, laneA.FinishId()) : a,
            b.Content is RentedBytes contentB ? Checked(second, contentB, laneB.FinishId()) : b);
    }

    private async Task<BlobLease> TryDecompressAsync(BlobId id, CancellationToken cancellationToken)
    {
        try
        {
            return new BlobLease(await DecompressAsync(id, cancellationToken).ConfigureAwait(false), null);
        }
        catch (PreserveException e) when (e is BlobMissingException or BlobCorruptException)
        {
            return new BlobLease(null, e);
        }
    }

    // The content of a blob, read and decompressed, its size the one its frame declares; not yet checked against its name.
    private async Task<RentedBytes> DecompressAsync(BlobId id, CancellationToken cancellationToken)
    {
        using RentedBytes frame = await _store.TryGetRentedAsync(id.Key, cancellationToken).ConfigureAwait(false)
            ?? throw new BlobMissingException(id, $"{Describe(id)}: the blob is missing.");
        int size = ClaimedSize(id, frame.Span);
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        try
        {
            int length;
            try
            {
                length = _decompressors.Value!.Unwrap(frame.Span, buffer, 0, bufferSizePrecheck: true);
            }
            catch (ZstdException e)
            {
                throw new BlobCorruptException(id, $"{Describe(id)}: not a valid zstd frame ({e.Message}).");
            }

            if (length != size)
            {
                throw new BlobCorruptException(id, $"{Describe(id)}: the frame declares {size} bytes and holds {length}.");
            }

            return new RentedBytes(buffer, length, pooled: true);
        }
        catch
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    // The content's lease when its SHA-256 is the blob's name; else the content goes back to the pool and the lease
    // says the blob is corrupt.
    private BlobLease Checked(BlobId id, RentedBytes content, BlobId actual)
    {
        try
        {
            return new BlobLease(Verified(id, content, actual), null);
        }
        catch (BlobCorruptException e)
        {
            return new BlobLease(null, e);
        }
    }

    // The content when its SHA-256 is the blob's name; else it goes back to the pool and the blob is corrupt.
    private RentedBytes Verified(BlobId id, RentedBytes content, BlobId actual)
    {
        if (actual != id)
        {
            content.Dispose();
            throw new BlobCorruptException(id, $"{Describe(id)}: the content's SHA-256 is {actual}, not the blob's name.");
        }

        return content;
    }

    private int ClaimedSize(BlobId id, ReadOnlySpan<byte> frame)
    {
        ulong size;
        try
        {
            size = Decompressor.GetDecompressedSize(frame);
        }
        catch (ZstdException e)
        {
            throw new BlobCorruptException(id, $"{Describe(id)}: not a valid zstd frame ({e.Message}).");
        }

        // Writers record the content size (FORMAT.md §4.1): ZstdNet refuses a frame without one (above).
        if (size > MaxBlobSize)
        {
            throw new BlobCorruptException(id, $"{Describe(id)}: the zstd frame claims {size} bytes, more than a blob may hold.");
        }

        return (int)size;
    }

    /// <summary>Decompresses and verifies the stored form of a blob.</summary>
    public byte[] Decode(BlobId id, byte[] frame)
    {
        byte[] content;
        try
        {
            ulong size = Decompressor.GetDecompressedSize(frame);
            if (size > MaxBlobSize)
            {
                throw new BlobCorruptException(id, $"{Describe(id)}: the zstd frame claims {size} bytes, more than a blob may hold.");
            }

            content = _decompressors.Value!.Unwrap(frame, MaxBlobSize);
        }
        catch (ZstdException e)
        {
            throw new BlobCorruptException(id, $"{Describe(id)}: not a valid zstd frame ({e.Message}).");
        }

        if (BlobId.Of(content) != id)
        {
            throw new BlobCorruptException(id, $"{Describe(id)}: the content's SHA-256 is {BlobId.Of(content)}, not the blob's name.");
        }

        return content;
    }

    public void Dispose()
    {
        foreach (Compressor c in _compressors.Values)
        {
            c.Dispose();
        }

        foreach (Decompressor d in _decompressors.Values)
        {
            d.Dispose();
        }

        foreach (Compressor c in _fastCompressor.Values)
        {
            c.Dispose();
        }

        _compressors.Dispose();
        _fastCompressor.Dispose();
        _decompressors.Dispose();
    }

    private string Describe(BlobId id) => $"{_store.Location.TrimEnd('/')}/{id.Key}";
}

/// <summary>A blob read by <see cref="BlobStore.GetLeasesAsync"/>: its verified content, or why it could not be given.</summary>
/// <param name="Content">The content (dispose it), or null.</param>
/// <param name="Failure">A <see cref="BlobMissingException"/> or <see cref="BlobCorruptException"/> when <paramref name="Content"/> is null.</param>
public readonly record struct BlobLease(RentedBytes? Content, PreserveException? Failure);

/// <summary>A blob the archive should hold but does not.</summary>
public sealed class BlobMissingException : PreserveException
{
    public BlobMissingException(BlobId id, string message) : base(FailureKind.Integrity, message) => Blob = id;

    public BlobId Blob { get; }
}

/// <summary>A blob whose stored bytes do not give back its name.</summary>
public sealed class BlobCorruptException : PreserveException
{
    public BlobCorruptException(BlobId id, string message) : base(FailureKind.Integrity, message) => Blob = id;

    public BlobId Blob { get; }
}
