using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Posix;

namespace CernVM.Preserve.Storage;

/// <summary>
/// An archive in a local directory. Keys are file paths under the root.
/// </summary>
/// <remarks>
/// FORMAT.md §8 (write ordering): every object is written to <c>tmp/</c>, fsync'd, then given its final
/// name with link(2), which fails if the name exists: so an object is never overwritten and never seen
/// half-written. <see cref="FlushAsync"/> fsyncs every directory that received a name, so the names survive
/// a crash too. Files left in <c>tmp/</c> by a killed writer are garbage, removed by the next writer.
/// </remarks>
public sealed class FileSystemObjectStore : IObjectStore
{
    private const string TempDirectory = "tmp";

    private readonly string _root;
    private readonly ConcurrentDictionary<string, byte> _dirtyDirectories = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _knownDirectories = new(StringComparer.Ordinal);
    private readonly string _tempPrefix;
    private long _tempCounter;

    public FileSystemObjectStore(string root)
    {
        _root = Path.GetFullPath(root);
        _tempPrefix = $"{Environment.ProcessId}-{Guid.NewGuid():N}-";
    }

    public string Location => _root;

    public StoreCapabilities Capabilities { get; } = new(null, AtomicCreate: true);

    public string Root => _root;

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(File.Exists(PathOf(key)));
    }

    public Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string final = PathOf(key);
        if (File.Exists(final))
        {
            return Task.FromResult(false);
        }

        string dir = Path.GetDirectoryName(final)!;
        EnsureDirectory(dir, key);
        string tempDir = Path.Combine(_root, TempDirectory);
        EnsureDirectory(tempDir, key);
        string temp = Path.Combine(tempDir, _tempPrefix + Interlocked.Increment(ref _tempCounter).ToString(System.Globalization.CultureInfo.InvariantCulture));
        byte[] tempBytes = PosixFs.FromString(temp);
        try
        {
            using (Microsoft.Win32.SafeHandles.SafeFileHandle h = PosixFs.CreateExclusive(tempBytes, 0b110_100_100))
            {
                RandomAccess.Write(h, content.Span, 0);
                PosixFs.Fsync(h, tempBytes);
            }

            try
            {
                PosixFs.HardLink(tempBytes, PosixFs.FromString(final));
            }
            catch (PosixException e) when (e.Errno == 17)
            {
                return Task.FromResult(false); // another writer stored it first: same key, same content
            }

            _dirtyDirectories.TryAdd(dir, 0);
            return Task.FromResult(true);
        }
        catch (PosixException e)
        {
            throw Translate(e, key);
        }
        catch (IOException e)
        {
            throw Translate(e, key);
        }
        finally
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // Left for the next writer's clean-up of tmp/.
            }
        }
    }

    public async Task<byte[]?> TryGetAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(PathOf(key), cancellationToken).ConfigureAwait(false);
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
            throw new StorageException($"{PathOf(key)}: permission denied ({e.Message}).", key, e);
        }
        catch (IOException e)
        {
            throw new StorageException($"{PathOf(key)}: cannot be read ({e.Message}).", key, e);
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Enumerate from the deepest directory the prefix names, then filter by the full prefix.
        int slash = prefix.LastIndexOf('/');
        string dirKey = slash < 0 ? "" : prefix[..slash];
        string start = dirKey.Length == 0 ? _root : PathOf(dirKey);
        if (!Directory.Exists(start))
        {
            yield break;
        }

        var keys = new List<string>();
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        foreach (string file in Directory.EnumerateFiles(start, "*", options))
        {
            string key = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(TempDirectory + "/", StringComparison.Ordinal) || !key.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            keys.Add(key);
        }

        keys.Sort(StringComparer.Ordinal);
        foreach (string key in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return key;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task FlushAsync(CancellationToken cancellationToken)
    {
        foreach (string dir in _dirtyDirectories.Keys.ToArray())
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                PosixFs.FsyncDirectory(PosixFs.FromString(dir));
            }
            catch (PosixException e)
            {
                throw Translate(e, null);
            }

            _dirtyDirectories.TryRemove(dir, out _);
        }

        return Task.CompletedTask;
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

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

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
            // New directories are names in their parents: record every created level for FlushAsync.
            string? missing = dir;
            var created = new List<string>();
            while (missing is not null && missing.Length > _root.Length && !Directory.Exists(missing))
            {
                created.Add(missing);
                missing = Path.GetDirectoryName(missing);
            }

            Directory.CreateDirectory(dir);
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
        if (e is PosixException { IsNoSpace: true } || e.HResult == 28 || (e.HResult & 0xFFFF) == 28 ||
            e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase))
        {
            return new StorageFullException($"{where}: the device holding the archive is full ({e.Message}).", key, e);
        }

        return new StorageException($"{where}: {e.Message}", key, e);
    }
}
