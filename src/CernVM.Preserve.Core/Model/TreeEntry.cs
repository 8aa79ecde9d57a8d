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
/// One entry of a tree catalog: a path and everything POSIX says about it (FORMAT.md §6.2). Paths are raw
/// bytes relative to the tree's root, '/'-separated, the root itself being the empty path.
/// </summary>
public sealed class TreeEntry
{
    public long Id { get; set; }

    public long? ParentId { get; set; }

    public required byte[] Path { get; init; }

    public EntryKind Kind { get; set; }

    public EntryState State { get; set; } = EntryState.Captured;

    /// <summary>Permission and special bits (<c>st_mode &amp; 07777</c>).</summary>
    public int Mode { get; set; }

    public long Uid { get; set; }

    public long Gid { get; set; }

    /// <summary>The owner's name in the tree's own /etc/passwd, when it has one.</summary>
    public string? UserName { get; set; }

    public string? GroupName { get; set; }

    public long MtimeSeconds { get; set; }

    public int MtimeNanoseconds { get; set; }

    /// <summary>File size in bytes; for a symlink, the length of its target.</summary>
    public long Size { get; set; }

    public int DeviceMajor { get; set; }

    public int DeviceMinor { get; set; }

    /// <summary>A symlink's target, raw bytes.</summary>
    public byte[]? LinkTarget { get; set; }

    /// <summary>For the second and later names of one inode: the id of the entry holding the first name.</summary>
    public long? HardlinkTo { get; set; }

    /// <summary>SHA-256 of a regular file's whole content (holes read as zeros).</summary>
    public BlobId? Content { get; set; }

    public List<Extent> Extents { get; set; } = [];

    public List<XAttr> XAttrs { get; set; } = [];

    /// <summary>File system type of a pseudo mount point, or the reason of an exclusion or a read failure.</summary>
    public string? Note { get; set; }

    /// <summary>Source observations, used only to recognise unchanged files in the next snapshot.</summary>
    public long SourceDevice { get; set; }

    public long SourceInode { get; set; }

    public long CtimeSeconds { get; set; }

    public int CtimeNanoseconds { get; set; }

    /// <summary>True for a regular file holding holes (fewer stored bytes than its size).</summary>
    public bool IsSparse => Kind == EntryKind.File && HardlinkTo is null && Extents.Sum(e => e.Length) < Size;

    public string DisplayPath => PathBytes.ToDisplay(Path);
}
