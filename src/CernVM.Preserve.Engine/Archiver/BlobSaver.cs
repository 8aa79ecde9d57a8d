using System.Buffers;
using System.Threading.Channels;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>Work for the blob saver: bytes in a pooled buffer that become one blob (FORMAT.md §4.2).</summary>
internal abstract class BlobWork
{
    protected BlobWork(byte[] buffer) => Buffer = buffer;

    /// <summary>Rented from <see cref="ArrayPool{T}.Shared"/>; returned by the blob saver once stored.</summary>
    public byte[] Buffer { get; }

    public abstract int Length { get; }
}

/// <summary>Small files' contents packed one after the other into one blob (FORMAT.md §4.2, bundle).</summary>
internal sealed class Bundle(byte[] buffer) : BlobWork(buffer)
{
    private int _length;

    public override int Length => _length;

    public List<(PendingFile File, int Offset, int Length)> Members { get; } = [];

    /// <summary>The bundle's blob id, given by the file saver when it hands the bundle out (it hashes members as it reads them).</summary>
    public BlobId? Id { get; private set; }

    /// <summary>Closes the bundle under <paramref name="id"/>, the hash of its <see cref="BlobWork.Length"/> bytes.</summary>
    public void Seal(BlobId id) => Id = id;

    /// <summary>Keeps the <paramref name="length"/> bytes just read at the end of the bundle as <paramref name="file"/>'s content.</summary>
    public void Commit(PendingFile file, int length)
    {
        Members.Add((file, _length, length));
        _length += length;
    }
}

/// <summary>A chunk of a large file (FORMAT.md §4.3) and its blob id, hashed by the file saver alongside the file's hash.</summary>
internal sealed class Chunk(byte[] buffer, int length, BlobId id) : BlobWork(buffer)
{
    public override int Length { get; } = length;

    public BlobId Id { get; } = id;
}

/// <summary>
/// Compresses and stages blobs (hashed and named by the file saver as it read them), several at once (one zstd
/// compressor per thread in <see cref="BlobStore"/>); a blob already in the archive is not compressed or written
/// again. The files the blobs hold are final already (<see cref="PendingFile"/>): storing is this part's only job.
/// </summary>
internal sealed class BlobSaver(BlobStore blobs, SnapshotMonitor monitor)
{
    /// <summary>Stores every blob <paramref name="work"/> yields until it completes.</summary>
    public async Task RunAsync(ChannelReader<BlobWork> work, CancellationToken cancellationToken)
    {
        await foreach (BlobWork item in work.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                BlobId id = item switch
                {
                    Bundle b => b.Id ?? throw new InvalidOperationException("A bundle is handed out sealed."),
                    Chunk c => c.Id,
                    _ => throw new InvalidOperationException($"Unknown blob work {item.GetType().Name}."),
                };
                await SaveAsync(id, item, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(item.Buffer);
            }
        }
    }

    private async Task SaveAsync(BlobId id, BlobWork item, CancellationToken cancellationToken)
    {
        var bytes = new ReadOnlyMemory<byte>(item.Buffer, 0, item.Length);
        long written = await blobs.PutAsync(id, bytes, cancellationToken).ConfigureAwait(false);
        if (written > 0)
        {
            monitor.AddNewBlob(item.Length, written);
        }
    }
}
