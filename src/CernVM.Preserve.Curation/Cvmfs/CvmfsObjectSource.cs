using System.IO.Compression;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// The part every <see cref="ICvmfsObjectSource"/> shares: objects are addressed by
/// <see cref="ContentHash.ObjectPath"/> and checked against their name before anyone sees them, so
/// no backend can hand out unverified bytes.
/// </summary>
public abstract class CvmfsObjectSource : ICvmfsObjectSource
{
    /// <inheritdoc/>
    public abstract string Location { get; }

    /// <inheritdoc/>
    public Task<byte[]?> TryFetchFileAsync(string fileName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        if (fileName.Contains('/', StringComparison.Ordinal) || fileName.Contains('\\', StringComparison.Ordinal) || fileName is "." or "..")
        {
            throw new ArgumentException($"'{fileName}' is not a file name at the repository root.", nameof(fileName));
        }

        return TryReadAsync(fileName, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<byte[]> FetchObjectAsync(ContentHash hash, CancellationToken cancellationToken)
    {
        if (hash.IsEmpty)
        {
            throw new ArgumentException("The hash is empty.", nameof(hash));
        }

        byte[] bytes = await TryReadAsync(hash.ObjectPath, cancellationToken).ConfigureAwait(false)
            ?? throw new CvmfsIntegrityException(CvmfsProblem.MissingObject, hash.ObjectName, $"object {hash.ObjectPath} is missing from {Location}.");

        // docs/CVMFS.md §2.1: the object name is the hash of the stored (compressed) bytes.
        ContentHash actual = ContentHash.Compute(hash.Algorithm, bytes, hash.Suffix);
        if (!actual.DigestEquals(hash))
        {
            throw new CvmfsIntegrityException(CvmfsProblem.BadHash, hash.ObjectName, $"object {hash.ObjectPath} in {Location} is corrupt: its bytes hash to {actual}.");
        }

        return bytes;
    }

    /// <summary>
    /// Reads the file at <paramref name="relativePath"/> (forward slashes, relative to the repository
    /// root), or returns <see langword="null"/> if it does not exist.
    /// </summary>
    protected abstract Task<byte[]?> TryReadAsync(string relativePath, CancellationToken cancellationToken);
}

/// <summary>Operations built on <see cref="ICvmfsObjectSource"/>.</summary>
public static class CvmfsObjectSourceExtensions
{
    /// <summary>Reads a plain file at the repository root; it must exist.</summary>
    /// <exception cref="CvmfsIntegrityException">The file is missing.</exception>
    public static async Task<byte[]> FetchFileAsync(this ICvmfsObjectSource source, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        return await source.TryFetchFileAsync(fileName, cancellationToken).ConfigureAwait(false)
            ?? throw new CvmfsIntegrityException(CvmfsProblem.MissingObject, fileName, $"file {fileName} is missing from {source.Location}.");
    }

    /// <summary>Fetches an object, verifies its name and returns its zlib-inflated content.</summary>
    public static async Task<byte[]> FetchInflatedObjectAsync(this ICvmfsObjectSource source, ContentHash hash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        byte[] stored = await source.FetchObjectAsync(hash, cancellationToken).ConfigureAwait(false);
        return CvmfsCompression.Inflate(stored, hash.ObjectName);
    }
}

/// <summary>The zlib compression of cvmfs objects (cvmfs/compression/compression.cc: RFC 1950 stream).</summary>
public static class CvmfsCompression
{
    /// <summary>
    /// The bytes of a stored object as cvmfs would write them for <paramref name="content"/>: a zlib stream from
    /// the system zlib, or the content itself for an uncompressed object.
    /// </summary>
    public static byte[] Deflate(ReadOnlySpan<byte> content, CvmfsCompressionAlgorithm compression) =>
        compression == CvmfsCompressionAlgorithm.None ? content.ToArray() : Posix.ClassicZlib.Compress(content);

    /// <summary>
    /// True when <paramref name="stored"/> can be rebuilt from its content alone: it is a zlib stream that the
    /// system zlib reproduces byte for byte, or it is not a zlib stream at all (an uncompressed object).
    /// </summary>
    public static bool IsReproducible(byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        byte[] content;
        try
        {
            content = Inflate(stored, "object");
        }
        catch (CvmfsIntegrityException)
        {
            return true;
        }

        return Posix.ClassicZlib.Compress(content).AsSpan().SequenceEqual(stored);
    }

    /// <summary>Inflates a zlib stream; <paramref name="subject"/> names the object in errors.</summary>
    /// <exception cref="CvmfsIntegrityException">The bytes are not a valid zlib stream.</exception>
    public static byte[] Inflate(byte[] compressed, string subject)
    {
        ArgumentNullException.ThrowIfNull(compressed);
        try
        {
            using var input = new MemoryStream(compressed, writable: false);
            using var zlib = new ZLibStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream(capacity: Math.Max(compressed.Length * 2, 256));
            zlib.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new CvmfsIntegrityException(CvmfsProblem.Malformed, subject, "object is not a valid zlib stream.", ex);
        }
    }
}
