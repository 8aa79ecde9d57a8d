namespace CernVM.Preserve.Engine.Restorer;

/// <summary>A problem met while restoring, with a stable code (docs/CLI.md, Codes in reports).</summary>
/// <param name="Code">RSTnnn.</param>
/// <param name="Path">The entry's path as displayed, without the leading '/'; null when the problem is not one entry's.</param>
/// <param name="Message">What happened, for people.</param>
/// <param name="IsError">The tree is not given back exactly (exit non-zero); otherwise a warning.</param>
public sealed record RestoreProblem(string Code, string? Path, string Message, bool IsError);

/// <summary>
/// What a restore did. Every entry of the tree is counted once: given back as captured
/// (<see cref="Restored"/>), recorded at capture without its content (<see cref="Excluded"/>,
/// <see cref="Pseudo"/>, <see cref="Unreadable"/>: directories among them are given back empty, FORMAT.md
/// §6.5), or captured but not made (<see cref="NotRestored"/>, each with its problem).
/// </summary>
public sealed record RestoreResult
{
    /// <summary>Entries of the version's tree, the root included.</summary>
    public long Entries { get; init; }

    /// <summary>Captured entries given back, the root included.</summary>
    public long Restored { get; init; }

    /// <summary>Regular files given back (one per inode) and the sum of their sizes.</summary>
    public long Files { get; init; }

    public long Bytes { get; init; }

    /// <summary>Entries recorded as excluded at capture.</summary>
    public long Excluded { get; init; }

    /// <summary>Mount points of pseudo file systems recorded at capture.</summary>
    public long Pseudo { get; init; }

    /// <summary>Entries that could not be read at capture.</summary>
    public long Unreadable { get; init; }

    /// <summary>Captured entries not made: device nodes without root, failures, entries below those.</summary>
    public long NotRestored { get; init; }

    public IReadOnlyList<RestoreProblem> Problems { get; init; } = [];

    public bool HasErrors => Problems.Any(p => p.IsError);
}

/// <summary>Live counters of a running restore.</summary>
public sealed class RestoreMonitor
{
    private long _bytesTotal;
    private long _bytesDone;

    public long BytesTotal => Interlocked.Read(ref _bytesTotal);

    public long BytesDone => Interlocked.Read(ref _bytesDone);

    internal void SetTotal(long n) => Interlocked.Exchange(ref _bytesTotal, n);

    internal void Add(long n) => Interlocked.Add(ref _bytesDone, n);
}
