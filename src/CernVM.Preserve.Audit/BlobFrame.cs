using System.Buffers;
using System.Security.Cryptography;
using CernVM.Preserve.Core.Storage;
using ZstdNet;

namespace CernVM.Preserve.Audit;

/// <summary>
/// The audit's own decoding of a blob object (FORMAT.md §4.1): exactly one zstd frame, at most 64 MiB
/// decompressed, whose content hashes to the blob's id. In-process through the native libzstd (the ZstdNet
/// package the archive already pins) rather than the zstd executable: a deep audit decodes every blob, and a
/// process per blob would cost more than the decompression itself. The frame's own XXH64 is checked too.
/// </summary>
public static class BlobFrame
{
    /// <summary>FORMAT.md §4.1: a blob holds at most 64 MiB.</summary>
    public const int MaxBlobSize = 64 * 1024 * 1024;

    // Every blob up to a bundle's or a chunk's usual most (4 MiB, and a small file more) decoded into a buffer of
    // one size: the few in flight at a time are then the same arrays all through an audit, where buffers of each
    // blob's own power of two came from five of the pool's sizes, each first touched (page-faulted) anew.
    private const int PooledSize = 8 * 1024 * 1024;

    [ThreadStatic]
    private static Decompressor? t_decompressor;

    /// <summary>Decompresses <paramref name="frame"/> and checks its hash against <paramref name="idHex"/>.</summary>
    /// <returns>The content in a buffer of the shared pool (dispose it), or null with the reason when the
    /// object is not the blob its key names.</returns>
    public static RentedBytes? Decode(ReadOnlySpan<byte> frame, string idHex, out string? problem)
    {
        RentedBytes? content = Decompress(frame, out problem);
        if (content is null)
        {
            return null;
        }

        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(content.Span, digest);
        string actual = Convert.ToHexStringLower(digest);
        if (actual != idHex)
        {
            content.Dispose();
            problem = $"its content hashes to {actual}";
            return null;
        }

        return content;
    }

    /// <summary>
    /// Decompresses <paramref name="frame"/> (its size bound and its XXH64 checked), leaving the content's hash to
    /// the caller, who may hash it alongside the files it holds (<see cref="BlobPass"/>).
    /// </summary>
    /// <returns>The content in a buffer of the shared pool (dispose it), or null with the reason when the
    /// object is not one valid frame of at most 64 MiB.</returns>
    public static RentedBytes? Decompress(ReadOnlySpan<byte> frame, out string? problem)
    {
        byte[]? buffer = null;
        try
        {
            ulong size = Decompressor.GetDecompressedSize(frame);
            if (size > MaxBlobSize)
            {
                problem = $"the frame declares {size} bytes, more than a blob may hold (64 MiB)";
                return null;
            }

            t_decompressor ??= new Decompressor();
            buffer = ArrayPool<byte>.Shared.Rent(Math.Max(PooledSize, (int)size));
            int length = t_decompressor.Unwrap(frame, buffer, 0, bufferSizePrecheck: true);
            problem = null;
            return new RentedBytes(buffer, length, pooled: true);
        }
        catch (ZstdException e)
        {
            Return(buffer);
            problem = $"not a valid zstd frame ({e.Message})";
            return null;
        }
    }

    private static void Return(byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
