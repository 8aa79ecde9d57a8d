using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Trees;

/// <summary>
/// The structure every reader relies on before it writes anything (FORMAT.md §6.2): the root first, a
/// directory without parent; every other entry inside a directory listed before it, its path that
/// directory's path plus one name; a hard link naming an earlier entry of its own kind.
/// </summary>
public static class TreeStructure
{
    /// <exception cref="PreserveException">The catalog breaks one of the rules (kind Integrity), naming <paramref name="what"/> and the entry.</exception>
    public static void Check(List<TreeEntry> entries, string what)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0 || entries[0].Path.Length != 0)
        {
            throw new PreserveException(FailureKind.Integrity, $"{what}: the catalog does not start with the root entry.");
        }

        var byId = new Dictionary<long, TreeEntry>(entries.Count);
        foreach (TreeEntry e in entries)
        {
            if (e.Path.Length == 0)
            {
                CheckRoot(e, what);
            }
            else
            {
                CheckInsideParent(e, byId, what);
            }

            if (e.HardlinkTo is long h && (!byId.TryGetValue(h, out TreeEntry? first) || first.Kind != e.Kind))
            {
                throw new PreserveException(FailureKind.Integrity, $"{what}: entry '{e.DisplayPath}' is a hard link to an entry that is not listed before it or is of another kind.");
            }

            byId[e.Id] = e;
        }
    }

    private static void CheckRoot(TreeEntry e, string what)
    {
        if (e.Kind != EntryKind.Directory || e.ParentId is not null)
        {
            throw new PreserveException(FailureKind.Integrity, $"{what}: the root entry is not a directory without parent.");
        }
    }

    private static void CheckInsideParent(TreeEntry e, Dictionary<long, TreeEntry> byId, string what)
    {
        if (e.ParentId is not long pid || !byId.TryGetValue(pid, out TreeEntry? parent) || parent.Kind != EntryKind.Directory)
        {
            throw new PreserveException(FailureKind.Integrity, $"{what}: entry '{e.DisplayPath}' has no directory parent listed before it.");
        }

        int slash = e.Path.AsSpan().LastIndexOf((byte)'/');
        ReadOnlySpan<byte> parentPath = slash < 0 ? [] : e.Path.AsSpan(0, slash);
        if (!parentPath.SequenceEqual(parent.Path))
        {
            throw new PreserveException(FailureKind.Integrity, $"{what}: entry '{e.DisplayPath}' is not inside its parent '{parent.DisplayPath}'.");
        }
    }
}
