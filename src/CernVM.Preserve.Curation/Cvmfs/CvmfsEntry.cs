namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>What a tree entry is.</summary>
public enum CvmfsEntryKind
{
    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A regular file.</summary>
    File,

    /// <summary>A symbolic link.</summary>
    Symlink,

    /// <summary>A device, fifo or socket.</summary>
    Special,
}

/// <summary>
/// One entry of a repository revision, in a model independent of the catalog schema.
/// </summary>
public sealed record CvmfsEntry
{
    /// <summary>Path as in the catalogs: <c>""</c> for the root, otherwise <c>/a/b</c>.</summary>
    public required string Path { get; init; }

    public required CvmfsEntryKind Kind { get; init; }

    /// <summary>Full <c>st_mode</c>, type bits included.</summary>
    public required long Mode { get; init; }

    /// <summary>Owner, or null when the catalog does not store one (1.x); clients map it anyway.</summary>
    public long? Uid { get; init; }

    /// <summary>Group, or null when the catalog does not store one (1.x).</summary>
    public long? Gid { get; init; }

    /// <summary>Uncompressed size of a file; target length of a symbolic link.</summary>
    public required long Size { get; init; }

    public required long MtimeSeconds { get; init; }

    /// <summary>Nanosecond part of the mtime; 0 when the catalog does not store it (before schema revision 7).</summary>
    public int MtimeNanoseconds { get; init; }

    /// <summary>Target of a symbolic link, unexpanded (may hold <c>$(VAR)</c>).</summary>
    public string? SymlinkTarget { get; init; }

    /// <summary>Hard-link group, 0 for none; entries with the same non-zero group in one directory of one catalog share an inode (docs/CVMFS.md §4.4).</summary>
    public long HardlinkGroup { get; init; }

    /// <summary>Hard-link count (1 when not stored).</summary>
    public long LinkCount { get; init; } = 1;

    /// <summary>Extended attributes, name → value, in stored order.</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>> Xattrs { get; init; } = [];

    /// <summary>The whole-file object of an unchunked file; null otherwise.</summary>
    public ContentHash? ContentHash { get; init; }

    /// <summary>The chunks of a chunked file (suffix P), ordered by offset; empty otherwise.</summary>
    public IReadOnlyList<ContentChunk> Chunks { get; init; } = [];

    /// <summary>Whether the content lives outside the object store (external file).</summary>
    public bool IsExternal { get; init; }

    /// <summary>How the content objects are compressed.</summary>
    public CvmfsCompressionAlgorithm Compression { get; init; }

    /// <summary>Whether the entry is a nested catalog root (a transition point).</summary>
    public bool IsNestedCatalogRoot { get; init; }

    /// <summary>Whether the entry is hidden (e.g. <c>/.cvmfs</c>).</summary>
    public bool IsHidden { get; init; }

    /// <summary>Whether clients read the file with direct I/O.</summary>
    public bool IsDirectIo { get; init; }

    /// <summary>
    /// The catalog the entry was read from. Hard-link groups are numbered per catalog and name one inode only
    /// within one directory of it (docs/CVMFS.md §4.4).
    /// </summary>
    public ContentHash Catalog { get; init; }

    /// <summary>The raw catalog flags (hash and compression bits removed).</summary>
    public CatalogEntryFlags Flags { get; init; }
}
