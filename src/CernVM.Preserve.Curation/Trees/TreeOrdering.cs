using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Curation.Trees;

/// <summary>
/// Puts entries in catalog order (FORMAT.md §6.2): depth-first, names in ordinal byte order — the order in
/// which '/' sorts before every other byte — and numbers them 1..n with parent ids. Hard links, given as
/// references to the entry holding the first name, are renumbered with them.
/// </summary>
public static class TreeOrdering
{
    /// <summary>Compares two paths in depth-first order: "a" &lt; "a/b" &lt; "a-x".</summary>
    public static int Compare(byte[] x, byte[] y)
    {
        int n = Math.Min(x.Length, y.Length);
        for (int i = 0; i < n; i++)
        {
            if (x[i] != y[i])
            {
                if (x[i] == '/')
                {
                    return -1;
                }

                return y[i] == '/' ? 1 : x[i].CompareTo(y[i]);
            }
        }

        return x.Length.CompareTo(y.Length);
    }

    /// <summary>
    /// Sorts and numbers <paramref name="entries"/> in place. <paramref name="hardlinkTargets"/> maps an entry to
    /// the entry holding its inode's first name (by reference), or is null when there are no hard links.
    /// Every entry's parent directory must be in the list (the root has the empty path).
    /// </summary>
    public static void Number(List<TreeEntry> entries, IReadOnlyDictionary<TreeEntry, TreeEntry>? hardlinkTargets)
    {
        entries.Sort((a, b) => Compare(a.Path, b.Path));
        var byPath = new Dictionary<byte[], TreeEntry>(entries.Count, PathBytes.EqualityComparer);
        for (int i = 0; i < entries.Count; i++)
        {
            TreeEntry e = entries[i];
            e.Id = i + 1;
            if (e.Path.Length == 0)
            {
                e.ParentId = null;
            }
            else
            {
                int slash = e.Path.AsSpan().LastIndexOf((byte)'/');
                byte[] parent = slash < 0 ? [] : e.Path[..slash];
                e.ParentId = byPath.TryGetValue(parent, out TreeEntry? p)
                    ? p.Id
                    : throw new InvalidOperationException($"'{e.DisplayPath}' has no parent directory in the tree.");
            }

            byPath[e.Path] = e;
        }

        if (hardlinkTargets is null)
        {
            return;
        }

        foreach (TreeEntry e in entries)
        {
            if (hardlinkTargets.TryGetValue(e, out TreeEntry? first))
            {
                // The first name in catalog order holds the content; the others link to it.
                e.HardlinkTo = first.Id < e.Id ? first.Id : null;
            }
        }
    }
}
