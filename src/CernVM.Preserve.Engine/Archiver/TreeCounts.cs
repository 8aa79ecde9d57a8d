using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>
/// What a tree holds, counted as FORMAT.md §5.2's <c>tree</c> member does: the captured entries by kind
/// (regular files and bytes one per inode, further names of an inode as hard links), and the entries that
/// were not captured — excluded, pseudo file systems, unreadable — each as their own count, so the counts
/// add up to <see cref="Entries"/> and <see cref="Bytes"/> is what was captured, not what was left out.
/// </summary>
public sealed record TreeCounts(
    long Entries,
    long Directories,
    long Files,
    long Symlinks,
    long Hardlinks,
    long Specials,
    long Excluded,
    long Pseudo,
    long Unreadable,
    long Bytes,
    long Blobs)
{
    /// <summary>Counts <paramref name="entries"/>.</summary>
    public static TreeCounts Of(IReadOnlyList<TreeEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var blobs = new HashSet<BlobId>();
        long directories = 0, files = 0, symlinks = 0, hardlinks = 0, specials = 0, excluded = 0, pseudo = 0, unreadable = 0, bytes = 0;
        foreach (TreeEntry e in entries)
        {
            foreach (Extent x in e.Extents)
            {
                blobs.Add(x.Blob);
            }

            switch (e.State)
            {
                case EntryState.Excluded: excluded++; continue;
                case EntryState.Pseudo: pseudo++; continue;
                case EntryState.Unreadable: unreadable++; continue;
            }

            if (e.HardlinkTo is not null)
            {
                hardlinks++;
                continue;
            }

            switch (e.Kind)
            {
                case EntryKind.Directory: directories++; break;
                case EntryKind.File: files++; bytes += e.Size; break;
                case EntryKind.Symlink: symlinks++; break;
                default: specials++; break;
            }
        }

        return new TreeCounts(entries.Count, directories, files, symlinks, hardlinks, specials, excluded, pseudo, unreadable, bytes, blobs.Count);
    }

    /// <summary>The manifest's <c>tree</c> member (FORMAT.md §5.2) for these counts.</summary>
    public TreeSummary ToSummary(BlobId catalog, long catalogBytes, string source) => new()
    {
        Catalog = catalog.ToString(),
        CatalogBytes = catalogBytes,
        Source = source,
        Entries = Entries,
        Directories = Directories,
        Files = Files,
        Symlinks = Symlinks,
        Hardlinks = Hardlinks,
        Specials = Specials,
        Excluded = Excluded,
        Pseudo = Pseudo,
        Unreadable = Unreadable,
        Bytes = Bytes,
        Blobs = Blobs,
    };
}
