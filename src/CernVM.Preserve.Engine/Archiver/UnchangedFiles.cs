using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>
/// The previous version's files, to recognise a file that has not changed since (same size, mtime, ctime,
/// inode and device: FORMAT.md §6.2, the source observations) and keep its content id and extents without
/// reading it.
/// </summary>
internal sealed class UnchangedFiles
{
    private readonly Dictionary<byte[], TreeEntry> _before;

    public UnchangedFiles(IReadOnlyList<TreeEntry> previous)
    {
        _before = new Dictionary<byte[], TreeEntry>(previous.Count, PathBytes.EqualityComparer);
        foreach (TreeEntry e in previous)
        {
            _before.TryAdd(e.Path, e);
        }
    }

    public IEnumerable<TreeEntry> Previous => _before.Values;

    /// <summary>
    /// The final entry of <paramref name="now"/> when it is unchanged since the previous version: with the
    /// previous content and extents — the previous entry itself when nothing else differs either (no new
    /// entry to make); null when the file must be read.
    /// </summary>
    public TreeEntry? TryReuse(TreeEntry now)
    {
        if (!_before.TryGetValue(now.Path, out TreeEntry? before) || !Unchanged(now, before))
        {
            return null;
        }

        foreach (TreeEntryField f in TreeEntryFields.All)
        {
            if (f.Name is not ("content" or "extents") && !f.Same(now, before))
            {
                return now with { Content = before.Content, Extents = before.Extents };
            }
        }

        return before;
    }

    // A source without inode numbers (an image, a CernVM-FS revision) gives no such evidence: read again.
    private static bool Unchanged(TreeEntry now, TreeEntry before) =>
        now.Observed.IsKnown && before.Kind == EntryKind.File && before.State == EntryState.Captured && before.HardlinkTo is null && before.Content is not null &&
        now.Size == before.Size && now.MtimeSeconds == before.MtimeSeconds && now.MtimeNanoseconds == before.MtimeNanoseconds &&
        now.Observed == before.Observed;
}
