using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>
/// A regular file being captured, and when its entry is final: content id and extents known, that is once the
/// file saver has read and cut it (a small file once its bundle is closed and named; a duplicate once the file
/// whose blobs it shares is final). The blobs it names may still be on their way to the store: the catalog is
/// written meanwhile, while the last blobs are compressed, and no catalog is committed before every blob is stored
/// and durable (FORMAT.md §8). Entries are immutable: the file saver records the outcome here (content, size,
/// extents, or why it could not be read) and the final entry is made once, when the file completes.
/// </summary>
internal sealed class PendingFile
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<Extent>? _chunks;
    private TreeEntry? _final;

    // The outcome, written by the file saver before completion.
    private BlobId? _content;
    private long _size;
    private IReadOnlyList<Extent> _extents = [];
    private string? _unreadable;

    public PendingFile(TreeEntry walked)
    {
        Walked = walked;
        _size = walked.Size;
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

    /// <summary>The file is one stretch of a named blob (a bundle member, FORMAT.md §4.2): final now.</summary>
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

    /// <summary>A chunk of the file at <paramref name="offset"/>, the blob <paramref name="blob"/> (FORMAT.md §4.3).</summary>
    public void AddChunk(long offset, int length, BlobId blob) => (_chunks ??= []).Add(new Extent(offset, length, blob, 0));

    /// <summary>The file saver is done cutting: the file is final, its chunks its extents in file order.</summary>
    public void ChunksDispatched()
    {
        _extents = (IReadOnlyList<Extent>?)_chunks ?? [];
        Complete();
    }

    /// <summary>Reading failed: final now, without content (chunks already handed out are stored, and named by nothing).</summary>
    public void Fail(string why)
    {
        _unreadable = why;
        Complete();
    }

    private TreeEntry Build() => _unreadable is string why
        ? Walked with { State = EntryState.Unreadable, Note = why, Content = null, Extents = [], Size = _size }
        : Walked with { Content = _content, Extents = _extents, Size = _size };
}
