using System.Collections.Concurrent;
using CernVM.Preserve.Posix;
using Microsoft.Win32.SafeHandles;

namespace CernVM.Preserve.Storage;

/// <summary>
/// Makes staged files' bytes durable in the background, one fdatasync(2) each on a thread of its own, as soon as
/// they are written, so that the device has done that work by the time the flush asks for it.
/// </summary>
/// <remarks>
/// Where the disk's write cache is the host's (a virtual machine's disk, most clouds'), making data durable is a
/// flush of that cache, paid when asked for and in proportion to what was written since the last: a snapshot's
/// one syncfs over 88 MB of blobs took 70-120 ms of its end, after write-back had long finished; with each blob
/// fdatasync'ed behind its writer, 1-2 ms (docs/benchmarks.md). Nothing rests on this class: FORMAT.md §8's order
/// is the flush's own syncfs or fsyncs, which still cover every staged file, so a file this class skips (too many
/// open already, or covered by a flush that has begun) is only synced later, never left out. A failure is kept and
/// fails the next flush: after a failed fdatasync the kernel may have dropped the bytes it could not write, and a
/// later sync would not know.
/// </remarks>
internal sealed class StagedFileSyncer : IDisposable
{
    // At most this many staged files held open, waiting for their turn; a writer faster than the disk just closes
    // the rest (the flush covers them).
    private const int MaxWaiting = 64;

    private readonly BlockingCollection<Waiting> _waiting = new(MaxWaiting);
    private readonly Thread _thread;

    // Held around each fdatasync: a flush takes it to wait for the one under way.
    private readonly Lock _syncing = new();
    private long _added;
    private long _covered;
    private PosixException? _failure;

    public StagedFileSyncer()
        : this(start: true)
    {
    }

    /// <summary>A syncer whose thread waits for <see cref="Start"/> (tests: to order a cover before any sync).</summary>
    internal StagedFileSyncer(bool start)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "staged file syncer" };
        if (start)
        {
            Start();
        }
    }

    internal void Start() => _thread.Start();

    /// <summary>
    /// Takes <paramref name="file"/> (and the duty to close it) to make its bytes durable; false when too many
    /// are waiting: the caller keeps and closes it.
    /// </summary>
    public bool TryAdd(SafeFileHandle file, byte[] path)
    {
        long sequence = Interlocked.Increment(ref _added);
        try
        {
            return _waiting.TryAdd(new Waiting(file, path, sequence));
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            return false; // disposed: the caller closes it, as when too many are waiting
        }
    }

    /// <summary>
    /// Called by a flush before its own sync: every file added so far is covered by that sync, so none of them is
    /// started here any more.
    /// </summary>
    public void Cover() => Volatile.Write(ref _covered, Volatile.Read(ref _added)); // flushes come one at a time

    /// <summary>Waits for the fdatasync under way, if any, and returns the first that failed, if any.</summary>
    public PosixException? Settle()
    {
        lock (_syncing)
        {
            return _failure;
        }
    }

    public void Dispose()
    {
        Volatile.Write(ref _covered, long.MaxValue);
        _waiting.CompleteAdding();
        if (_thread.ThreadState.HasFlag(ThreadState.Unstarted))
        {
            Start();
        }

        _thread.Join();
        _waiting.Dispose();
    }

    private void Run()
    {
        foreach (Waiting w in _waiting.GetConsumingEnumerable())
        {
            using (w.File)
            {
                lock (_syncing)
                {
                    // Checked under the lock: once a flush has covered a file and settled, none is started for it.
                    if (_failure is not null || w.Sequence <= Volatile.Read(ref _covered))
                    {
                        continue;
                    }

                    try
                    {
                        PosixFs.DataSync(w.File, w.Path);
                    }
                    catch (PosixException e)
                    {
                        _failure = e;
                    }
                }
            }
        }
    }

    private readonly record struct Waiting(SafeFileHandle File, byte[] Path, long Sequence);
}
