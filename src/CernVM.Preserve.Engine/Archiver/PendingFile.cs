using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>
/// A regular file being captured, and when its entry is final: content id and extents known, every blob it
/// names stored (FORMAT.md §8: a catalog row may only name stored blobs). A large file is complete when the
/// last of its chunks is stored; a duplicate when the file whose blobs it shares is. Entries are immutable:
/// the savers record the outcome here (content, size, extents, or why it could not be read) and the final
/// entry is made once, when the file completes.
/// </summary>
internal sealed class PendingFile
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Completion _completion;
    private List<ChunkSlot>? _chunks;
    private bool _failed;
    private TreeEntry? _final;

    // The outcome; written by the file saver, and the extents by the blob saver, all before completion.
    private BlobId? _content;
    private long _size;
    private IReadOnlyList<Extent> _extents = [];
    private string? _unreadable;

    public PendingFile(TreeEntry walked)
    {
        Walked = walked;
        _size = walked.Size;
        _completion = new Completion(Finish);
    }

    /// <summary>The entry as the walk gave it.</summary>
    public TreeEntry Walked { get; }

    /// <summary>The final entry once <see cref="Done"/> has completed; until then, the walked one.</summary>
    public TreeEntry Entry => _final ?? Walked;

    /// <summary>Completes when the entry is final.</summary>
    public Task Done => _done.Task;

    /// <summary>The content id, once the file saver has read the file.</summary>
    public BlobId? Content => _content;

    /// <summary>An entry of the previous version: final from the start.</summary>
    public static PendingFile Final(TreeEntry entry)
    {
        var file = new PendingFile(entry);
        file._final = entry;
        file._done.TrySetResult();
        return file;
    }

    /// <summary>Read: the file's content id and size (smaller than walked when it shrank while read).</summary>
    public void SetContent(BlobId content, long size)
    {
        _content = content;
        _size = size;
    }

    /// <summary>A file unchanged since the previous version: final now, as <paramref name="final"/>.</summary>
    public void Reuse(TreeEntry final)
    {
        _final = final;
        _done.TrySetResult();
    }

    /// <summary>Final now: an empty file, or one whose extents were just set.</summary>
    public void Complete()
    {
        _final ??= Build();
        _done.TrySetResult();
    }

    /// <summary>The file is one stretch of a stored blob (a bundle member, FORMAT.md §4.2): final now.</summary>
    public void CompleteIn(BlobId blob, long offset, int length)
    {
        _extents = [new Extent(0, length, blob, offset)];
        Complete();
    }

    /// <summary>Could not be read (FORMAT.md §6.2, state unreadable): final now, without content.</summary>
    public void CompleteUnreadable(string why)
    {
        _unreadable = why;
        Complete();
    }

    /// <summary>Same content as <paramref name="source"/>: final with its extents, once it is.</summary>
    public void CopyExtentsOf(PendingFile source) => source.Done.ContinueWith(
        _ =>
        {
            _extents = source.Entry.Extents;
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

    /// <summary>Reading failed: no content, final when the chunks already in flight are stored.</summary>
    public void Fail(string why)
    {
        _unreadable = why;
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
            var extents = new Extent[_chunks?.Count ?? 0];
            for (int i = 0; i < extents.Length; i++)
            {
                ChunkSlot x = _chunks![i];
                extents[i] = new Extent(x.Offset, x.Length, x.Blob, 0);
            }

            _extents = extents;
        }

        Complete();
    }

    private TreeEntry Build() => _unreadable is string why
        ? Walked with { State = EntryState.Unreadable, Note = why, Content = null, Extents = [], Size = _size }
        : Walked with { Content = _content, Extents = _extents, Size = _size };
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
