using System.Collections.Concurrent;
using System.Threading.Channels;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>A file for the file saver, with its content when <see cref="SmallFileReader"/> read it ahead.</summary>
internal readonly record struct FileToSave(PendingFile File, Task<SmallContent>? Content);

/// <summary>
/// What reading one small file ahead gave: its bytes (in a buffer of its reader's, given back by <see cref="Release"/>),
/// or why it could not be opened or read.
/// </summary>
internal sealed class SmallContent
{
    private readonly ConcurrentQueue<byte[]>? _pool;
    private byte[]? _buffer;

    private SmallContent(ConcurrentQueue<byte[]>? pool, byte[]? buffer, int read, string? openFailure, string? readFailure)
    {
        _pool = pool;
        _buffer = buffer;
        Read = read;
        OpenFailure = openFailure;
        ReadFailure = readFailure;
    }

    /// <summary>The bytes read: up to the walked size plus one (a file that grew shows as one byte more).</summary>
    public int Read { get; }

    /// <summary>Why the file could not be opened, or null.</summary>
    public string? OpenFailure { get; }

    /// <summary>Why reading the opened file failed, or null.</summary>
    public string? ReadFailure { get; }

    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, Read);

    public static SmallContent Of(ConcurrentQueue<byte[]> pool, byte[] buffer, int read) => new(pool, buffer, read, null, null);

    public static SmallContent Unopened(string why) => new(null, null, 0, why, null);

    public static SmallContent Failed(string why) => new(null, null, 0, null, why);

    /// <summary>Gives the buffer back to its reader; the bytes are gone after.</summary>
    public void Release()
    {
        if (_buffer is byte[] b)
        {
            _buffer = null;
            _pool!.Enqueue(b);
        }
    }
}

/// <summary>
/// Reads small files ahead of the file saver, several at once, and hands every file on in walk order. A tree of
/// many small files costs the file saver an open, a read and a close per file, on one core, while the blob savers
/// wait for the bundle it fills; with the reading spread over the cores the file saver only hashes and packs them.
/// Bundles hold the same files in the same order as without it: only where the bytes are read changes. Used only
/// for tree sources whose files may be read from several threads at once (<see cref="ITreeSource.ReadsConcurrently"/>).
/// </summary>
internal sealed class SmallFileReader(ITreeSource tree, int smallerThan, UnchangedFiles unchanged, int readers, int window)
{
    // A buffer is made at least this large, so that it serves most small files that come after its first.
    private const int MinimumBuffer = 64 * 1024;

    // The buffers files are read into: as many as files are read ahead at once, made once and used again (one too
    // small for a file is dropped for a larger one), so that what a snapshot touches does not grow with its files.
    private readonly ConcurrentQueue<byte[]> _buffers = new();

    /// <summary>
    /// Hands every file of <paramref name="files"/> on to <paramref name="ordered"/> in the same order, each small file
    /// to read with its reading under way; completes <paramref name="ordered"/> (with the failure, if any).
    /// </summary>
    public async Task RunAsync(ChannelReader<PendingFile> files, ChannelWriter<FileToSave> ordered, CancellationToken cancellationToken)
    {
        var toRead = Channel.CreateBounded<(TreeEntry Entry, TaskCompletionSource<SmallContent> Result)>(
            new BoundedChannelOptions(Math.Max(1, window)) { SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task[] reading = Enumerable.Range(0, Math.Max(1, readers)).Select(_ => Task.Run(() => ReadAsync(toRead.Reader, stop.Token), stop.Token)).ToArray();
        try
        {
            await foreach (PendingFile file in files.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                Task<SmallContent>? content = null;
                TreeEntry e = file.Walked;
                if (e.Size < smallerThan && !unchanged.IsUnchanged(e))
                {
                    var result = new TaskCompletionSource<SmallContent>(TaskCreationOptions.RunContinuationsAsynchronously);
                    await toRead.Writer.WriteAsync((e, result), cancellationToken).ConfigureAwait(false);
                    content = result.Task;
                }

                await ordered.WriteAsync(new FileToSave(file, content), cancellationToken).ConfigureAwait(false);
            }

            toRead.Writer.Complete();
            await Task.WhenAll(reading).ConfigureAwait(false);
            ordered.Complete();
        }
        catch (Exception e)
        {
            toRead.Writer.TryComplete(e);
            await stop.CancelAsync().ConfigureAwait(false);
            ordered.TryComplete(e);
            throw;
        }
    }

    private async Task ReadAsync(ChannelReader<(TreeEntry Entry, TaskCompletionSource<SmallContent> Result)> toRead, CancellationToken cancellationToken)
    {
        await foreach ((TreeEntry e, TaskCompletionSource<SmallContent> result) in toRead.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                result.TrySetResult(Read(e));
            }
            catch (Exception ex)
            {
                result.TrySetException(ex);
            }
        }
    }

    /// <summary>Opens and reads one small file: its walked size plus one byte, to notice growth.</summary>
    private SmallContent Read(TreeEntry e)
    {
        IFileContent handle;
        try
        {
            handle = tree.Open(e);
        }
        catch (IOException ex)
        {
            return SmallContent.Unopened(ex.Message);
        }

        using (handle)
        {
            int length = (int)e.Size + 1;
            if (!_buffers.TryDequeue(out byte[]? buffer) || buffer.Length < length)
            {
                buffer = GC.AllocateUninitializedArray<byte>(Math.Max(length, MinimumBuffer));
            }

            try
            {
                return SmallContent.Of(_buffers, buffer, ReadInto(handle, e.Size, buffer.AsSpan(0, length)));
            }
            catch (IOException ex)
            {
                _buffers.Enqueue(buffer);
                return SmallContent.Failed(ex.Message);
            }
        }
    }

    /// <summary>
    /// Reads a small file from its start into <paramref name="target"/> (its walked <paramref name="size"/> plus
    /// one byte); returns how many bytes it gave, more than <paramref name="size"/> when it grew.
    /// </summary>
    public static int ReadInto(IFileContent handle, long size, Span<byte> target)
    {
        int total = 0;
        while (total < target.Length)
        {
            int want = target.Length - total;
            int n = handle.Read(target[total..], total);
            if (n == 0)
            {
                break;
            }

            total += n;
            if (n < want && total == size)
            {
                break; // a short read that ends at the walked size is the end of the file: no second read to learn it
            }
        }

        return total;
    }
}
