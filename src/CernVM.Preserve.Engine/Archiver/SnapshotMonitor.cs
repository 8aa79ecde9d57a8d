namespace CernVM.Preserve.Engine.Archiver;

/// <summary>
/// Live counters of a running snapshot, safe to read from another thread (the progress display polls them).
/// </summary>
public sealed class SnapshotMonitor
{
    private long _entries;
    private long _scannedEntries;
    private long _scannedFiles;
    private long _scannedBytes;
    private volatile bool _scanComplete;
    private long _filesToRead;
    private long _bytesToRead;
    private long _filesDone;
    private long _bytesDone;
    private long _newBytes;
    private long _newCompressedBytes;
    private long _newBlobs;
    private volatile string _phase = "walking";

    /// <summary>The current phase (with CVMPRESERVE_TRACE=1, each change is a milestone on stderr).</summary>
    public string Phase
    {
        get => _phase;
        internal set
        {
            _phase = value;
            CernVM.Preserve.Core.Diagnostics.Timeline.Mark("snapshot: " + value);
        }
    }

    public long Entries => Interlocked.Read(ref _entries);

    /// <summary>Entries the walk has found so far.</summary>
    public long ScannedEntries => Interlocked.Read(ref _scannedEntries);

    /// <summary>Regular files (first names) the walk has found so far: what the snapshot reads at most.</summary>
    public long ScannedFiles => Interlocked.Read(ref _scannedFiles);

    /// <summary>Bytes of those files.</summary>
    public long ScannedBytes => Interlocked.Read(ref _scannedBytes);

    /// <summary>True once the walk is over: the scanned counts are the totals.</summary>
    public bool ScanComplete => _scanComplete;

    public long FilesToRead => Interlocked.Read(ref _filesToRead);

    public long BytesToRead => Interlocked.Read(ref _bytesToRead);

    public long FilesDone => Interlocked.Read(ref _filesDone);

    public long BytesDone => Interlocked.Read(ref _bytesDone);

    public long NewBytes => Interlocked.Read(ref _newBytes);

    public long NewCompressedBytes => Interlocked.Read(ref _newCompressedBytes);

    public long NewBlobs => Interlocked.Read(ref _newBlobs);

    /// <summary>One more entry found; <paramref name="files"/> is 1 when it is a file to read, of <paramref name="bytes"/>.</summary>
    internal void AddScanned(long files, long bytes)
    {
        Interlocked.Increment(ref _scannedEntries);
        if (files > 0)
        {
            Interlocked.Add(ref _scannedFiles, files);
            Interlocked.Add(ref _scannedBytes, bytes);
        }
    }

    internal void ScanFinished(long entries)
    {
        Interlocked.Exchange(ref _entries, entries);
        _scanComplete = true;
    }

    internal void AddToRead(long files, long bytes)
    {
        Interlocked.Add(ref _filesToRead, files);
        Interlocked.Add(ref _bytesToRead, bytes);
    }

    internal void AddDone(long files, long bytes)
    {
        Interlocked.Add(ref _filesDone, files);
        Interlocked.Add(ref _bytesDone, bytes);
    }

    /// <summary>A new content blob (the catalog is counted apart, in the snapshot's summary).</summary>
    internal void AddNewBlob(long bytes, long compressed)
    {
        Interlocked.Increment(ref _newBlobs);
        Interlocked.Add(ref _newBytes, bytes);
        Interlocked.Add(ref _newCompressedBytes, compressed);
    }
}
