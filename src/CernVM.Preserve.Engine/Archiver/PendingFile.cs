using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>
/// A regular file being captured, and when its entry is final: content id and extents known, every blob it
/// names stored (FORMAT.md §8: a catalog row may only name stored blobs). A large file is complete when the
/// last of its chunks is stored; a duplicate when the file whose blobs it shares is.
/// </summary>
internal sealed class PendingFile
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Completion _completion;
    private List<ChunkSlot>? _chunks;
    private bool _failed;

    public PendingFile(TreeEntry entry)
    {
        Entry = entry;
        _completion = new Completion(Finish);
    }

    public TreeEntry Entry { get; }

    /// <summary>Completes when the entry is final.</summary>
    public Task Done => _done.Task;

    /// <summary>An entry of the previous version: final from the start.</summary>
    public static PendingFile Final(TreeEntry entry)
    {
        var file = new PendingFile(entry);
        file.Complete();
        return file;
    }

    /// <summary>Final now: an empty file, an unchanged one, a small one whose bundle is stored, an unreadable one.</summary>
    public void Complete() => _done.TrySetResult();

    /// <summary>Same content as <paramref name="source"/>: final with its extents, once it is.</summary>
    public void CopyExtentsOf(PendingFile source) => source.Done.ContinueWith(
        _ =>
        {
            Entry.Extents = source.Entry.Extents;
            Complete();
        },
        CancellationToken.None,
        TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion,
        TaskScheduler.Default);

    /// <summary>A chunk of the file at <paramref name="offset"/>, to be stored; the file waits for it.</summary>
    public ChunkSlot AddChunk(long offset, int length)
    {
        var slot = new ChunkSlot(this, offset, length);
        (_chunks ??= []).Add(slot);
        _completion.Add();
        return slot;
    }

    /// <summary>The file saver is done cutting: the file is final when its last chunk is stored.</summary>
    public void ChunksDispatched() => _completion.Release();

    /// <summary>Reading failed: no extents, final when the chunks already in flight are stored.</summary>
    public void Fail()
    {
        if (_chunks is null)
        {
            Complete();
            return;
        }

        _failed = true;
        _completion.Release();
    }

    internal void ChunkStored() => _completion.Release();

    private void Finish()
    {
        if (!_failed)
        {
            Entry.Extents = (_chunks ?? []).Select(x => new Extent(x.Offset, x.Length, x.Blob, 0)).ToList();
        }

        Complete();
    }
}

/// <summary>A chunk of a large file whose blob id the blob saver fills in when the blob is stored.</summary>
internal sealed class ChunkSlot(PendingFile file, long offset, int length)
{
    public long Offset { get; } = offset;

    public int Length { get; } = length;

    public BlobId Blob { get; private set; }

    public void Stored(BlobId id)
    {
        Blob = id;
        file.ChunkStored();
    }
}
