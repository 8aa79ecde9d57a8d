using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>Blobs a snapshot added to the archive: how many, their bytes, and what they take stored (compressed).</summary>
public sealed record NewData(long Blobs, long Bytes, long StoredBytes)
{
    public static NewData None { get; } = new(0, 0, 0);
}

/// <summary>
/// What a snapshot captured and what it cost: the tree's counts (captured entries by kind, captured bytes;
/// excluded, pseudo and unreadable entries apart), the files read and left unread, and the new data split
/// into file content and the version's tree catalog — a small change to one file stores little content
/// but a whole new catalog.
/// </summary>
/// <param name="Tree">The captured tree, counted.</param>
/// <param name="FilesRead">Regular files read (and cut into blobs).</param>
/// <param name="BytesRead">Their bytes.</param>
/// <param name="FilesUnchanged">Files not read: unchanged since the previous version.</param>
/// <param name="Content">New blobs of file content (bundles and chunks).</param>
/// <param name="Catalog">The tree catalog, when it is a new blob (none when the previous version's is reused or already stored).</param>
/// <param name="CatalogBytes">The size of the version's tree catalog, new or not.</param>
public sealed record SnapshotSummary(
    TreeCounts Tree,
    long FilesRead,
    long BytesRead,
    long FilesUnchanged,
    NewData Content,
    NewData Catalog,
    long CatalogBytes)
{
    /// <summary>Every new blob, content and catalog.</summary>
    public NewData Total => new(Content.Blobs + Catalog.Blobs, Content.Bytes + Catalog.Bytes, Content.StoredBytes + Catalog.StoredBytes);
}

/// <summary>The committed version, the version it followed, and what the snapshot captured.</summary>
/// <param name="JournalFailure">Why the version's ingestion event could not be written (FORMAT.md §7: the
/// version exists all the same), or null when it was.</param>
public sealed record SnapshotResult(LoadedManifest Version, int? PreviousVersion, SnapshotSummary Summary, string? JournalFailure = null);
