namespace CernVM.Preserve.Core.Model;

/// <summary>The kind of a file system entry (FORMAT.md §6.2, column <c>kind</c>).</summary>
public enum EntryKind
{
    Directory,
    File,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

/// <summary>Whether an entry's content was captured (FORMAT.md §6.2, column <c>state</c>).</summary>
public enum EntryState
{
    /// <summary>Metadata and content are in the archive.</summary>
    Captured,

    /// <summary>Matched an exclusion: the entry itself is recorded, nothing below or inside it.</summary>
    Excluded,

    /// <summary>A mount point of a pseudo file system (proc, sysfs, devtmpfs, …): recorded, not descended.</summary>
    Pseudo,

    /// <summary>Could not be read while capturing; metadata as far as known, no content.</summary>
    Unreadable,
}

/// <summary>A stretch of a regular file's bytes, stored in a blob (FORMAT.md §6.3).</summary>
/// <param name="Offset">Where the stretch starts in the file.</param>
/// <param name="Length">How many bytes.</param>
/// <param name="Blob">The blob holding them.</param>
/// <param name="BlobOffset">Where they start in the blob's uncompressed bytes.</param>
public readonly record struct Extent(long Offset, long Length, BlobId Blob, long BlobOffset);

/// <summary>An extended attribute: name and value as raw bytes.</summary>
public sealed record XAttr(byte[] Name, byte[] Value);

/// <summary>
/// What the source observed of an entry, besides what the catalog records of it (FORMAT.md §6.2, columns
/// <c>src_dev</c>, <c>src_ino</c>, <c>ctime_sec</c>, <c>ctime_nsec</c>): writers use it only to recognise an
/// unchanged file in the next snapshot; readers ignore it. A source without inode numbers (an image, a
/// CernVM-FS revision) observes nothing (<see cref="Inode"/> 0).
/// </summary>
public readonly record struct SourceObservation(long Device, long Inode, long CtimeSeconds, int CtimeNanoseconds)
{
    /// <summary>Whether the source gave evidence of identity: an inode number.</summary>
    public bool IsKnown => Inode != 0;
}

/// <summary>
/// One entry of a tree catalog: a path and everything POSIX says about it (FORMAT.md §6.2), immutable (a
/// changed entry is a new one, <c>with { … }</c>). Paths are raw bytes relative to the tree's root,
/// '/'-separated, the root itself being the empty path. Two entries are equal when the catalog would store
/// the same row for them, extents and xattrs included: <see cref="TreeEntryFields"/> is the one list of
/// fields from which equality, the catalog's columns and the difference of two entries are derived.
/// </summary>
public sealed record TreeEntry
{
    public long Id { get; init; }

    public long? ParentId { get; init; }

    public required byte[] Path { get; init; }

    public EntryKind Kind { get; init; }

    public EntryState State { get; init; } = EntryState.Captured;

    /// <summary>Permission and special bits (<c>st_mode &amp; 07777</c>).</summary>
    public int Mode { get; init; }

    public long Uid { get; init; }

    public long Gid { get; init; }

    /// <summary>The owner's name in the tree's own /etc/passwd, when it has one.</summary>
    public string? UserName { get; init; }

    public string? GroupName { get; init; }

    public long MtimeSeconds { get; init; }

    public int MtimeNanoseconds { get; init; }

    /// <summary>File size in bytes; for a symlink, the length of its target.</summary>
    public long Size { get; init; }

    public int DeviceMajor { get; init; }

    public int DeviceMinor { get; init; }

    /// <summary>A symlink's target, raw bytes.</summary>
    public byte[]? LinkTarget { get; init; }

    /// <summary>For the second and later names of one inode: the id of the entry holding the first name.</summary>
    public long? HardlinkTo { get; init; }

    /// <summary>SHA-256 of a regular file's whole content (holes read as zeros).</summary>
    public BlobId? Content { get; init; }

    /// <summary>Where a regular file's bytes are, in file order (FORMAT.md §6.3).</summary>
    public IReadOnlyList<Extent> Extents { get; init; } = [];

    /// <summary>Extended attributes in name order (FORMAT.md §6.4).</summary>
    public IReadOnlyList<XAttr> XAttrs { get; init; } = [];

    /// <summary>File system type of a pseudo mount point, or the reason of an exclusion or a read failure.</summary>
    public string? Note { get; init; }

    /// <summary>What the source observed; not part of what the tree is.</summary>
    public SourceObservation Observed { get; init; }

    /// <summary>True for a regular file holding holes (fewer stored bytes than its size).</summary>
    public bool IsSparse => Kind == EntryKind.File && HardlinkTo is null && Extents.Sum(e => e.Length) < Size;

    public string DisplayPath => PathBytes.ToDisplay(Path);

    /// <summary>Equal when every field of <see cref="TreeEntryFields.All"/> is: the same catalog row.</summary>
    public bool Equals(TreeEntry? other) => other is not null && (ReferenceEquals(this, other) || TreeEntryFields.SameRow(this, other));

    public override int GetHashCode() => HashCode.Combine(Id, Kind, Size, MtimeSeconds, Content, PathBytes.EqualityComparer.GetHashCode(Path));
}
