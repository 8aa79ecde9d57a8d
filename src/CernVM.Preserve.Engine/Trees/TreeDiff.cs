using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Trees;

/// <summary>An entry present in both trees whose recorded properties differ; <see cref="Fields"/> says which.</summary>
/// <param name="Path">The entry's path as displayed (non-UTF-8 bytes as \xHH), without the leading '/'.</param>
/// <param name="Fields">What changed, in the catalog's column order (<c>TreeEntryFields</c>): <c>kind</c>, <c>state</c>,
/// <c>mode OLD→NEW</c>, <c>owner U:G→U:G</c>, <c>mtime</c>, <c>size</c>, <c>device</c>, <c>target</c>, <c>content</c>, <c>xattrs</c>;
/// then <c>hardlink</c> when the entry a hard link names moved.</param>
public sealed record TreeChange(string Path, IReadOnlyList<string> Fields)
{
    /// <summary>The content itself changed (content, kind or symlink target), not only metadata.</summary>
    public bool IsContentChange => Fields.Contains("content") || Fields.Contains("kind") || Fields.Contains("target");
}

/// <summary>The one way to compare two trees: entries added, removed and changed, by path.</summary>
public sealed record TreeDiff(IReadOnlyList<TreeEntry> Added, IReadOnlyList<TreeEntry> Removed, IReadOnlyList<TreeChange> Changed)
{
    /// <summary>No entry was added, removed or changed.</summary>
    public bool Same => Added.Count == 0 && Removed.Count == 0 && Changed.Count == 0;

    /// <summary>Compares <paramref name="older"/> with <paramref name="newer"/>: removed in older's order, added and changed in newer's.</summary>
    public static TreeDiff Compare(LoadedTree older, LoadedTree newer)
    {
        ArgumentNullException.ThrowIfNull(older);
        ArgumentNullException.ThrowIfNull(newer);
        var a = older.Entries.ToDictionary(e => e.Path, PathBytes.EqualityComparer);
        var b = newer.Entries.ToDictionary(e => e.Path, PathBytes.EqualityComparer);
        var removed = older.Entries.Where(e => !b.ContainsKey(e.Path)).ToList();
        var added = new List<TreeEntry>();
        var changed = new List<TreeChange>();
        foreach (TreeEntry e in newer.Entries)
        {
            if (!a.TryGetValue(e.Path, out TreeEntry? o))
            {
                added.Add(e);
                continue;
            }

            List<string> fields = Fields(o, e);
            if (HardLinkPath(older, o) is var ho && HardLinkPath(newer, e) is var hn && !SameOptionalBytes(ho, hn))
            {
                fields.Add("hardlink");
            }

            if (fields.Count > 0)
            {
                changed.Add(new TreeChange(e.DisplayPath, fields));
            }
        }

        return new TreeDiff(added, removed, changed);
    }

    // The recorded fields, from the one field list (TreeEntryFields), in the catalog's column order.
    private static List<string> Fields(TreeEntry o, TreeEntry e) =>
        TreeEntryFields.Differences(o, e).Select(f => f.DescribeChange(o, e)).ToList();

    private static byte[]? HardLinkPath(LoadedTree tree, TreeEntry e) => e.HardlinkTo is long first ? tree[first].Path : null;

    private static bool SameOptionalBytes(byte[]? x, byte[]? y) =>
        (x is null) == (y is null) && (x ?? []).AsSpan().SequenceEqual(y ?? []);
}
