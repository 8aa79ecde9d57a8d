using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Posix;
using Microsoft.Win32.SafeHandles;

namespace CernVM.Preserve.Storage;

/// <summary>
/// An archive in a local directory. Keys are file paths under the root.
/// </summary>
/// <remarks>
/// FORMAT.md §8 (write ordering): a blob is first written under <c>tmp/</c> ("staged"); it is visible to
/// this writer at once but receives its final name only at <see cref="FlushAsync"/>, which makes every
/// staged file durable with one syncfs(2), then links each to its final name with link(2) — which fails if
/// the name exists, so an object is never overwritten and never seen half-written, even after a crash —
/// and then fsyncs the directories that received names. One syncfs per batch instead of one fsync per blob
/// keeps a snapshot of thousands of blobs fast; each staged blob is also fdatasync'ed in the background as soon
/// as it is written (<see cref="StagedFileSyncer"/>), so that the flush's syncfs finds the device's work done.
/// Files left in <c>tmp/</c> by a killed writer are garbage that no version names; the next writer removes them.
/// Every other object (manifests, sidecars, events) is published by its put, fsync'd, so that "created" is true
/// for every process at once: that answer is what gives two racing snapshots different version numbers.
/// </remarks>
public sealed class FileSystemObjectStore : IObjectStore
{
    private const string TempDirectory = "tmp";

    // Only content-addressed objects are staged: two writers of one blob key write the same bytes.
    private const string StagedPrefix = "blobs/";

    private readonly string _root;
    private readonly ConcurrentDictionary<string, byte> _dirtyDirectories = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _knownDirectories = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _staged = new(StringComparer.Ordinal);
    private readonly string _tempPrefix;
    private readonly SemaphoreSlim _flushLock = new(1, 1);
    private readonly Lazy<StagedFileSyncer> _syncer = new(() => new StagedFileSyncer(), LazyThreadSafetyMode.ExecutionAndPublication);
    private long _tempCounter;

    public FileSystemObjectStore(string root)
    {
        _root = Path.GetFullPath(root);
        _tempPrefix = $"{Environment.ProcessId}-{Guid.NewGuid():N}-";
    }

    public string Location => _root;

    /// <summary>
    /// Told of every call that makes bytes or names durable or gives an object its name, in the order made, as it
    /// is about to be made (null: nobody listens). FORMAT.md §8's ordering is these calls' order, which no
    /// listing or read can see and only a crash at the wrong moment would show: the tests check it here.
    /// </summary>
    internal Action<DurableStep>? OnDurableStep { get; init; }

    public StoreCapabilities Capabilities { get; } = new(null, AtomicCreate: true, CheapChildListing: true);

    public string Root => _root;

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_staged.ContainsKey(key) || File.Exists(PathOf(key)));
    }

    public Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string final = PathOf(key);
        if (_staged.ContainsKey(key) || File.Exists(final))
        {
            return Task.FromResult(false);
        }

        string tempDir = Path.Combine(_root, TempDirectory);
        EnsureDirectory(tempDir, key);
        string temp = Path.Combine(tempDir, _tempPrefix + Interlocked.Increment(ref _tempCounter).ToString(System.Globalization.CultureInfo.InvariantCulture));
        byte[] tempBytes = PosixFs.FromString(temp);
        bool staged = key.StartsWith(StagedPrefix, StringComparison.Ordinal);
        try
        {
            SafeFileHandle h = PosixFs.CreateExclusive(tempBytes, 0b110_100_100);
            try
            {
                PosixFs.WriteAt(h, content.Span, 0);
                PosixFs.StartWriteback(h);
            }
            catch
            {
                h.Dispose();
                throw;
            }

            if (!staged || !_syncer.Value.TryAdd(h, tempBytes))
            {
                h.Dispose();
            }
        }
        catch (IOException e)
        {
            TryDelete(temp);
            throw Translate(e, key);
        }

        if (!staged)
        {
            // Not content-addressed (a manifest, a sidecar, an event): the answer "created or not" decides
            // a version number, so it must be true at once and for every process: publish now.
            return Task.FromResult(PublishNow(key, temp, tempBytes, final));
        }

        if (!_staged.TryAdd(key, temp))
        {
            TryDelete(temp); // another thread staged the same key: same content
            return Task.FromResult(false);
        }

        return Task.FromResult(true);
    }

    private bool PublishNow(string key, string temp, byte[] tempBytes, string final)
    {
        try
        {
            MakeDurable(DurableStepKind.FsyncFile, temp);

            string dir = Path.GetDirectoryName(final)!;
            EnsureDirectory(dir, key);
            try
            {
                OnDurableStep?.Invoke(new DurableStep(DurableStepKind.Link, temp, final));
                PosixFs.HardLink(tempBytes, PosixFs.FromString(final));
            }
            catch (PosixException e) when (e.Errno == 17)
            {
                return false; // another writer created it first
            }

            try
            {
                MakeDurable(DurableStepKind.FsyncDirectory, dir);
            }
            catch (IOException)
            {
                // The name may not survive a crash. A put that fails leaves no name behind: whoever reads the
                // archive now must not act on an object that may vanish (a sidecar would commit a version).
                TryDelete(final);
                throw;
            }

            return true;
        }
        catch (IOException e)
        {
            throw Translate(e, key);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    public Task<byte[]?> TryGetAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(key, File.ReadAllBytes));
    }

    private const int PooledReadSize = 8 * 1024 * 1024;

    public Task<RentedBytes?> TryGetRentedAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(key, path =>
        {
            using SafeFileHandle h = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            long length = RandomAccess.GetLength(h);
            if (length > Array.MaxLength)
            {
                throw new StorageException($"{path}: {length} bytes, more than one object can hold.", key);
            }

            // One size for every object up to a blob's usual most (a frame of a 4 MiB chunk or bundle): the few
            // buffers in flight are the same arrays all through a restore or an audit, where one per power of two
            // of the objects' sizes came from five of the pool's sizes, each first touched (page-faulted) anew.
            byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Max(length, PooledReadSize));
            try
            {
                int total = 0;
                int n;
                while (total < length && (n = RandomAccess.Read(h, buffer.AsSpan(total, (int)length - total), total)) > 0)
                {
                    total += n;
                }

                return new RentedBytes(buffer, total, pooled: true);
            }
            catch
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }));
    }

    /// <summary>Reads the object at <paramref name="key"/> (staged or published); null when there is none.</summary>
    private T? Read<T>(string key, Func<string, T> read)
        where T : class
    {
        string path = _staged.TryGetValue(key, out string? temp) ? temp : PathOf(key);
        try
        {
            return read(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StorageException($"{path}: permission denied ({e.Message}).", key, e);
        }
        catch (IOException e)
        {
            throw new StorageException($"{path}: cannot be read ({e.Message}).", key, e);
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Enumerate from the deepest directory the prefix names, then filter by the full prefix.
        int slash = prefix.LastIndexOf('/');
        string dirKey = slash < 0 ? "" : prefix[..slash];
        string start = dirKey.Length == 0 ? _root : PathOf(dirKey);

        // What this writer staged is listed even before the directory that will hold it exists.
        var keys = new List<string>(_staged.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        IEnumerable<string> files = Directory.Exists(start) ? Directory.EnumerateFiles(start, "*", options) : [];
        foreach (string file in files)
        {
            string key = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(TempDirectory + "/", StringComparison.Ordinal) || !key.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            keys.Add(key);
        }

        keys.Sort(StringComparer.Ordinal);
        foreach (string key in keys.Distinct())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return key;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>
    /// Walks down from the deepest directory the prefix names, entering only directories that can hold a key after
    /// <paramref name="startAfter"/> (a journal's earlier years are not read), and makes a string only of the names
    /// after it: the journal of ten thousand events a search checks for news costs one directory read, not ten
    /// thousand keys made, sorted and dropped.
    /// </summary>
    public async IAsyncEnumerable<string> ListAfterAsync(string prefix, string startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(startAfter);
        var keys = new List<string>(_staged.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && string.CompareOrdinal(k, startAfter) > 0));
        int slash = prefix.LastIndexOf('/');
        string top = slash < 0 ? "" : prefix[..(slash + 1)];
        if (top.Length == 0 || Directory.Exists(PathOf(top[..^1])))
        {
            CollectAfter(top, prefix, startAfter, keys, cancellationToken);
        }

        keys.Sort(StringComparer.Ordinal);
        foreach (string key in keys.Distinct())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return key;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    // The keys of directory `level` ("" or "a/b/") and below that start with `prefix` and sort after `startAfter`.
    private void CollectAfter(string level, string prefix, string startAfter, List<string> keys, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // Where this level stands against startAfter: after it whole (every key below is after it), before it whole
        // (none is), or a prefix of it (each name is compared with the rest of startAfter).
        bool allAfter = !startAfter.StartsWith(level, StringComparison.Ordinal);
        if (allAfter && string.CompareOrdinal(level, startAfter) < 0)
        {
            return;
        }

        string rest = allAfter ? "" : startAfter[level.Length..];
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        var entries = new System.IO.Enumeration.FileSystemEnumerable<(string Name, bool Directory)>(
            level.Length == 0 ? _root : PathOf(level[..^1]),
            static (ref System.IO.Enumeration.FileSystemEntry e) => (e.FileName.ToString(), e.IsDirectory),
            options)
        {
            // A name that holds nothing after startAfter is not made a string.
            ShouldIncludePredicate = (ref System.IO.Enumeration.FileSystemEntry e) =>
                allAfter || (e.IsDirectory ? MayHoldAfter(e.FileName, rest) : e.FileName.SequenceCompareTo(rest) > 0),
        };
        foreach ((string name, bool directory) in entries)
        {
            string key = level + name;
            if (directory)
            {
                string below = key + "/";
                bool matchesPrefix = below.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(below, StringComparison.Ordinal);
                if (matchesPrefix && !(level.Length == 0 && name == TempDirectory))
                {
                    CollectAfter(below, prefix, startAfter, keys, cancellationToken);
                }
            }
            else if (key.StartsWith(prefix, StringComparison.Ordinal) && string.CompareOrdinal(key, startAfter) > 0)
            {
                keys.Add(key);
            }
        }
    }

    // Whether some key below directory `name` (name + "/" + …) sorts after `rest` (ordinal), the part of startAfter
    // below the directory's level.
    private static bool MayHoldAfter(ReadOnlySpan<char> name, string rest)
    {
        if (rest.Length <= name.Length)
        {
            return name.SequenceCompareTo(rest) >= 0; // equal: every key below is longer, so after
        }

        int c = name.SequenceCompareTo(rest.AsSpan(0, name.Length));
        return c > 0 || (c == 0 && rest[name.Length] <= '/');
    }

    /// <summary>One directory read: its entries, a directory as <c>NAME/</c> (an empty one too), and the staged keys below it.</summary>
    public async IAsyncEnumerable<string> ListChildrenAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectStoreKeys.RequireLevelPrefix(prefix);
        var children = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string key in _staged.Keys)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                children.Add(ObjectStoreKeys.ChildOf(key, prefix));
            }
        }

        string directory = prefix.Length == 0 ? _root : PathOf(prefix[..^1]);
        if (Directory.Exists(directory))
        {
            var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
            var entries = new System.IO.Enumeration.FileSystemEnumerable<string>(
                directory, static (ref System.IO.Enumeration.FileSystemEntry e) => e.IsDirectory ? e.FileName.ToString() + "/" : e.FileName.ToString(), options);
            foreach (string child in entries)
            {
                if (prefix.Length == 0 && child == TempDirectory + "/")
                {
                    continue; // writers' scratch: never listed
                }

                children.Add(child);
            }
        }

        foreach (string child in children)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return child;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>
    /// How long after a directory's last change its token is given (<see cref="ChildrenTokenAsync"/>): longer than
    /// the coarsest timestamp tick of a file system an archive may sit on (2 s on FAT, 1 s on ext3 and some NFS
    /// servers), so that no later change can leave the same change time.
    /// </summary>
    public TimeSpan TokenSettleTime { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The directory's device, inode and change time (ctime, which adding or removing a name sets and no user can
    /// set back), once that change time is <see cref="TokenSettleTime"/> old.
    /// </summary>
    public Task<string?> ChildrenTokenAsync(string prefix, CancellationToken cancellationToken)
    {
        ObjectStoreKeys.RequireLevelPrefix(prefix);
        cancellationToken.ThrowIfCancellationRequested();
        if (prefix.Length == 0 || !PosixFs.TryLStat(PosixFs.FromString(PathOf(prefix[..^1])), out FileStatus st, out _))
        {
            return Task.FromResult<string?>(null); // the top holds tmp/, which changes with every write
        }

        return Task.FromResult(TokenOf(st, DateTime.UtcNow));
    }

    /// <summary>
    /// As the interface's, with every child level's status taken in one pass over the directory (each looked up from
    /// it, not from the root: a thousand capsules' tokens are a thousand one-component lookups).
    /// </summary>
    public async IAsyncEnumerable<(string Child, string? Token)> ListChildrenWithTokensAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var children = new List<string>();
        await foreach (string child in ListChildrenAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            children.Add(child);
        }

        List<string> levels = [.. children.Where(c => c.EndsWith('/'))];
        string directory = prefix.Length == 0 ? _root : PathOf(prefix[..^1]);
        FileStatus?[]? statuses = null;
        if (levels.Count > 0 && Directory.Exists(directory))
        {
            try
            {
                statuses = PosixFs.LStatChildren(PosixFs.FromString(directory), [.. levels.Select(l => PosixFs.FromString(l[..^1]))]);
            }
            catch (PosixException)
            {
                // a child that cannot be looked at: child by child below, where such a child gets no token
            }
        }

        DateTime now = DateTime.UtcNow;
        int level = 0;
        foreach (string child in children)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!child.EndsWith('/'))
            {
                yield return (child, null);
            }
            else if (statuses is null)
            {
                yield return (child, await ChildrenTokenAsync(prefix + child, cancellationToken).ConfigureAwait(false));
            }
            else
            {
                yield return (child, statuses[level++] is FileStatus st ? TokenOf(st, now) : null);
            }
        }
    }

    // A directory's token: its device, inode and change time, once that change is TokenSettleTime old; null for anything else.
    private string? TokenOf(FileStatus st, DateTime now)
    {
        if (st.Kind != Core.Model.EntryKind.Directory)
        {
            return null;
        }

        DateTime changed = DateTime.UnixEpoch.AddSeconds(st.CtimeSeconds).AddTicks(st.CtimeNanoseconds / 100);
        return now - changed < TokenSettleTime
            ? null
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{st.Device}:{st.Inode}:{st.CtimeSeconds}.{st.CtimeNanoseconds:D9}");
    }

    /// <summary>
    /// Makes each level's directory (and its parents) now, so that no flush makes them one by one: an archive's 256
    /// blob directories at init, which a cold snapshot would otherwise make at its end. The next flush makes the new
    /// names durable; a level lost in a crash is made again when a key needs it.
    /// </summary>
    public Task PrepareLevelsAsync(IReadOnlyList<string> prefixes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefixes);
        foreach (string prefix in prefixes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ObjectStoreKeys.RequireLevelPrefix(prefix);
            if (prefix.Length == 0)
            {
                continue;
            }

            // As a put makes the directory of its key: every level made is recorded for the next flush's durable names.
            string level = prefix[..^1];
            EnsureDirectory(PathOf(level), level);
        }

        return Task.CompletedTask;
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flushLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            KeyValuePair<string, string>[] batch = _staged.ToArray();
            var linked = new List<string>(batch.Length);
            if (batch.Length > 0)
            {
                // Content first: every staged file is durable before any gets its final name. A big batch (the
                // blobs of a snapshot) is flushed with one syncfs; a few small files (a manifest, a sidecar)
                // each with fsync, which does not wait for unrelated dirty data of the file system.
                // The background syncer starts no more of them (this sync covers them all); one that failed fails
                // the flush, since the kernel may have dropped the bytes it could not write.
                StagedFileSyncer? syncer = _syncer.IsValueCreated ? _syncer.Value : null;
                syncer?.Cover();
                if (batch.Length > 16)
                {
                    MakeDurable(DurableStepKind.SyncFileSystem, _root);
                }
                else
                {
                    foreach ((_, string temp) in batch)
                    {
                        MakeDurable(DurableStepKind.FsyncFile, temp);
                    }
                }

                if (syncer?.Settle() is PosixException failed)
                {
                    throw failed;
                }

                // The directories the names go into first. An archive made by init has all 256 (PrepareLevelsAsync):
                // each is only found here. In one made before, a first snapshot's blobs land in ~150 new ones; made on
                // every core, they still wait for each other on their common parent's lock (docs/benchmarks.md).
                try
                {
                    Parallel.ForEach(
                        batch.Select(kv => (Key: kv.Key, Dir: Path.GetDirectoryName(PathOf(kv.Key))!)).DistinctBy(d => d.Dir).Where(d => !_knownDirectories.ContainsKey(d.Dir)),
                        new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
                        d => EnsureDirectory(d.Dir, d.Key));
                }
                catch (AggregateException e)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
                }

                foreach ((string key, string temp) in batch.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    string final = PathOf(key);
                    string dir = Path.GetDirectoryName(final)!;
                    EnsureDirectory(dir, key);
                    try
                    {
                        OnDurableStep?.Invoke(new DurableStep(DurableStepKind.Link, temp, final));
                        PosixFs.HardLink(PosixFs.FromString(temp), PosixFs.FromString(final));
                        linked.Add(final);
                        _dirtyDirectories.TryAdd(dir, 0);
                    }
                    catch (PosixException e) when (e.Errno == 17)
                    {
                        // Published meanwhile by another writer: same key, same content.
                    }

                    TryDelete(temp);
                    _staged.TryRemove(key, out _);
                }
            }

            // Then the names. The directories of a big batch (a snapshot's blobs land in ~150 fan-out directories)
            // are made durable by one syncfs, one journal commit, where an fsync each cost ~0.3 ms in turn (50 ms
            // at the end of every cold snapshot); a few (a manifest's version directory) each with fsync.
            string[] dirty = [.. _dirtyDirectories.Keys.OrderByDescending(d => d.Length)];
            try
            {
                if (dirty.Length > 16)
                {
                    MakeDurable(DurableStepKind.SyncFileSystem, _root);
                }
                else
                {
                    foreach (string dir in dirty)
                    {
                        MakeDurable(DurableStepKind.FsyncDirectory, dir);
                    }
                }
            }
            catch (PosixException)
            {
                // The names this flush gave may not survive a crash: take them back, so that no later snapshot
                // reuses a blob that may vanish (its content was durable; only the name is in doubt).
                foreach (string final in linked)
                {
                    TryDelete(final);
                }

                throw;
            }

            foreach (string dir in dirty)
            {
                _dirtyDirectories.TryRemove(dir, out _);
            }
        }
        catch (PosixException e)
        {
            throw Translate(e, null);
        }
        finally
        {
            _flushLock.Release();
        }
    }

    /// <summary>
    /// Makes a file's bytes, a directory's names, or the whole file system durable, telling the listener first: every
    /// durable step goes through here, so a step left out at its place is missing from the record the tests read.
    /// </summary>
    private void MakeDurable(DurableStepKind kind, string path)
    {
        OnDurableStep?.Invoke(new DurableStep(kind, path));
        byte[] bytes = PosixFs.FromString(path);
        switch (kind)
        {
            case DurableStepKind.SyncFileSystem:
                PosixFs.SyncFileSystem(bytes);
                break;
            case DurableStepKind.FsyncDirectory:
                PosixFs.FsyncDirectory(bytes);
                break;
            case DurableStepKind.FsyncFile:
                using (SafeFileHandle h = PosixFs.OpenRead(bytes))
                {
                    PosixFs.Fsync(h, bytes);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a step that makes something durable");
        }
    }

    /// <summary>Removes temporary files of writers that are no longer running (FORMAT.md §8).</summary>
    public void CleanStaleTemporaries()
    {
        string tempDir = Path.Combine(_root, TempDirectory);
        if (!Directory.Exists(tempDir))
        {
            return;
        }

        foreach (string file in Directory.EnumerateFiles(tempDir))
        {
            string name = Path.GetFileName(file);
            int dash = name.IndexOf('-');
            if (dash > 0 && int.TryParse(name.AsSpan(0, dash), out int pid) && !ProcessAlive(pid))
            {
                try
                {
                    File.Delete(file);
                }
                catch (IOException)
                {
                    // Another cleaner got it.
                }
            }
        }
    }

    /// <summary>Abandons what was staged and never flushed: it was never part of the archive.</summary>
    public ValueTask DisposeAsync()
    {
        if (_syncer.IsValueCreated)
        {
            _syncer.Value.Dispose();
        }

        foreach (string temp in _staged.Values)
        {
            TryDelete(temp);
        }

        _staged.Clear();
        return ValueTask.CompletedTask;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for the next writer's clean-up of tmp/.
        }
    }


    private static bool ProcessAlive(int pid) => pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}");

    private string PathOf(string key)
    {
        if (key.Length == 0 || key.StartsWith('/') || key.Split('/').Any(s => s is "" or "." or ".."))
        {
            throw new ArgumentException($"'{key}' is not a valid archive key.", nameof(key));
        }

        return Path.Combine(_root, key);
    }

    private void EnsureDirectory(string dir, string key)
    {
        if (_knownDirectories.ContainsKey(dir))
        {
            return;
        }

        try
        {
            // New directories are names in their parents: record every created level for FlushAsync. Not the
            // archive's root when this writer makes it: the directory above is not the archive's, and may be one
            // this writer cannot open to fsync.
            string? missing = dir;
            var created = new List<string>();
            while (missing is not null && missing.Length > _root.Length && !Directory.Exists(missing))
            {
                created.Add(missing);
                missing = Path.GetDirectoryName(missing);
            }

            if (created.Count > 0)
            {
                Directory.CreateDirectory(dir);
            }

            foreach (string c in created)
            {
                _dirtyDirectories.TryAdd(Path.GetDirectoryName(c)!, 0);
            }
        }
        catch (IOException e)
        {
            throw Translate(e, key);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StorageException($"{dir}: permission denied ({e.Message}).", key, e);
        }

        _knownDirectories.TryAdd(dir, 0);
    }

    private StorageException Translate(IOException e, string? key)
    {
        string where = key is null ? _root : PathOf(key);
        // ENOSPC (28) or EDQUOT (122, the user's quota is the device's end for this writer): .NET's own I/O errors
        // on Linux and PosixException both carry the errno as their HResult (a mutation run found that the three
        // other tests this condition once made were never decisive).
        if (e.HResult is 28 or 122)
        {
            return new StorageFullException($"{where}: the device holding the archive is full ({e.Message}).", key, e);
        }

        return new StorageException($"{where}: {e.Message}", key, e);
    }
}

/// <summary>What a durable step of <see cref="FileSystemObjectStore"/> does.</summary>
internal enum DurableStepKind
{
    /// <summary>syncfs(2) of the archive's file system: every staged file's bytes, or every directory's names.</summary>
    SyncFileSystem,

    /// <summary>fsync(2) of one staged file's bytes.</summary>
    FsyncFile,

    /// <summary>link(2) of a staged file to its final name.</summary>
    Link,

    /// <summary>fsync(2) of a directory: the names it received or the directories made in it.</summary>
    FsyncDirectory,
}

/// <summary>One durable step: its kind, the path it acts on, and for a link the final name.</summary>
internal readonly record struct DurableStep(DurableStepKind Kind, string Path, string? Target = null);
