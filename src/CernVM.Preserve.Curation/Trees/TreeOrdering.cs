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
    /// The entries sorted and numbered: new entries with ids 1..n, parent ids, and hard links renumbered.
    /// <paramref name="hardlinkTargets"/> maps an entry to the entry holding its inode's first name (both by
    /// reference, among <paramref name="entries"/>), or is null when there are no hard links. Every entry's
    /// parent directory must be in the list (the root has the empty path).
    /// </summary>
    public static List<TreeEntry> Number(IReadOnlyList<TreeEntry> entries, IReadOnlyDictionary<TreeEntry, TreeEntry>? hardlinkTargets)
    {
        ArgumentNullException.ThrowIfNull(entries);
        List<TreeEntry> sorted = [.. entries];
        sorted.Sort((a, b) => Compare(a.Path, b.Path));
        var idByPath = new Dictionary<byte[], long>(sorted.Count, PathBytes.EqualityComparer);
        var idOf = new Dictionary<TreeEntry, long>(sorted.Count, ReferenceEqualityComparer.Instance);
        for (int i = 0; i < sorted.Count; i++)
        {
            idByPath[sorted[i].Path] = i + 1;
            idOf[sorted[i]] = i + 1;
        }

        var numbered = new List<TreeEntry>(sorted.Count);
        for (int i = 0; i < sorted.Count; i++)
        {
            TreeEntry e = sorted[i];
            long id = i + 1;
            long? parent = null;
            if (e.Path.Length > 0)
            {
                int slash = e.Path.AsSpan().LastIndexOf((byte)'/');
                byte[] parentPath = slash < 0 ? [] : e.Path[..slash];
                parent = idByPath.TryGetValue(parentPath, out long p) && p < id
                    ? p
                    : throw new InvalidOperationException($"'{e.DisplayPath}' has no parent directory in the tree.");
            }

            long? hardlinkTo = e.HardlinkTo;
            if (hardlinkTargets is not null && hardlinkTargets.TryGetValue(e, out TreeEntry? first))
            {
                // The first name in catalog order holds the content; the others link to it.
                hardlinkTo = idOf.TryGetValue(first, out long firstId) && firstId < id ? firstId : null;
            }

            numbered.Add(e with { Id = id, ParentId = parent, HardlinkTo = hardlinkTo });
        }

        return numbered;
    }
}
