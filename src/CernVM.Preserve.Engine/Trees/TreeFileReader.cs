using System.Security.Cryptography;
using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Engine.Trees;

/// <summary>
/// The one way to read a regular file of a tree back: its extents in order, the bytes no extent covers as
/// zeros (holes and the zero tail, FORMAT.md §6.3), every blob verified against its SHA-256, and the whole
/// content against the file's recorded <c>content</c> hash.
/// </summary>
public sealed class TreeFileReader
{
    private static readonly byte[] Zeros = new byte[64 * 1024];
    private readonly Archive _archive;

    public TreeFileReader(Archive archive)
    {
        ArgumentNullException.ThrowIfNull(archive);
        _archive = archive;
    }

    /// <summary>
    /// The entry whose content <paramref name="entry"/> names: itself, or for a hard link its first name.
    /// </summary>
    /// <exception cref="PreserveException">Not a regular file (kind Usage), or one without content in the archive (kind NotFound).</exception>
    public static TreeEntry ContentEntry(LoadedTree tree, TreeEntry entry)
    {
        ArgumentNullException.ThrowIfNull(tree);
        TreeEntry e = tree.FirstName(entry);
        if (e.Kind != EntryKind.File)
        {
            throw new PreserveException(FailureKind.Usage, $"'/{e.DisplayPath}' is a {EntryKinds.Name(e.Kind)}, not a regular file" + (e.Kind == EntryKind.Symlink ? $" (it points to '{PathBytes.ToDisplay(e.LinkTarget ?? [])}')." : "."));
        }

        if (e.State != EntryState.Captured)
        {
            throw new PreserveException(FailureKind.NotFound, $"'/{e.DisplayPath}' has no content in the archive: it was {e.State.ToString().ToLowerInvariant()} at capture ({e.Note}).");
        }

        return e;
    }

    /// <summary>
    /// Writes the content of the file <paramref name="entry"/> of <paramref name="tree"/> to <paramref name="destination"/>.
    /// The bytes are written as they are read; a mismatch with the recorded hash is found at the end, so a
    /// caller that must not keep wrong bytes writes into something it can discard.
    /// </summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="PreserveException">Not a regular file (Usage), no content (NotFound), a blob missing or corrupt or the content not matching its hash (Integrity).</exception>
    public async Task<long> CopyToAsync(LoadedTree tree, TreeEntry entry, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        TreeEntry e = ContentEntry(tree, entry);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long pos = 0;
        foreach (Extent x in e.Extents.OrderBy(x => x.Offset))
        {
            pos += await WriteZerosAsync(destination, hash, x.Offset - pos, cancellationToken).ConfigureAwait(false);
            byte[] blob = await _archive.Blobs.GetAsync(x.Blob, cancellationToken).ConfigureAwait(false);
            if (x.BlobOffset < 0 || x.Length < 0 || x.BlobOffset > blob.Length - x.Length) // no sum: it may overflow
            {
                throw new PreserveException(FailureKind.Integrity, $"'/{e.DisplayPath}': the catalog's extent reaches past the end of blob {x.Blob}.");
            }

            var slice = new ReadOnlyMemory<byte>(blob, (int)x.BlobOffset, (int)x.Length);
            hash.AppendData(slice.Span);
            await destination.WriteAsync(slice, cancellationToken).ConfigureAwait(false);
            pos += x.Length;
        }

        pos += await WriteZerosAsync(destination, hash, e.Size - pos, cancellationToken).ConfigureAwait(false);
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (e.Content is BlobId c && BlobId.FromDigest(hash.GetHashAndReset()) != c)
        {
            throw new PreserveException(FailureKind.Integrity, $"'/{e.DisplayPath}': the content written does not match its recorded SHA-256 {c}.");
        }

        return pos;
    }

    private static async Task<long> WriteZerosAsync(Stream s, IncrementalHash hash, long count, CancellationToken cancellationToken)
    {
        long written = 0;
        while (written < count)
        {
            int n = (int)Math.Min(count - written, Zeros.Length);
            hash.AppendData(Zeros, 0, n);
            await s.WriteAsync(Zeros.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            written += n;
        }

        return written;
    }
}
