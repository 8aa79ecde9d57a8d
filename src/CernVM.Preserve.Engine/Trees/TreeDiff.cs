using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Trees;

/// <summary>An entry present in both trees whose recorded properties differ; <see cref="Fields"/> says which.</summary>
/// <param name="Path">The entry's path as displayed (non-UTF-8 bytes as \xHH), without the leading '/'.</param>
/// <param name="Fields">What changed: <c>kind</c>, <c>state</c>, <c>content</c>, <c>size</c>, <c>target</c>,
/// <c>mode OLD→NEW</c>, <c>owner U:G→U:G</c>, <c>mtime</c>, <c>device</c>, <c>xattrs</c>, <c>hardlink</c>.</param>
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

    private static List<string> Fields(TreeEntry o, TreeEntry e)
    {
        var f = new List<string>();
        if (o.Kind != e.Kind) f.Add("kind");
        if (o.State != e.State) f.Add("state");
        if (o.Content != e.Content) f.Add("content");
        if (o.Size != e.Size) f.Add("size");
        if (!(o.LinkTarget ?? []).AsSpan().SequenceEqual(e.LinkTarget ?? [])) f.Add("target");
        if (o.Mode != e.Mode) f.Add($"mode {Octal(o.Mode)}→{Octal(e.Mode)}");
        if (o.Uid != e.Uid || o.Gid != e.Gid) f.Add(FormattableString.Invariant($"owner {o.Uid}:{o.Gid}→{e.Uid}:{e.Gid}"));
        if (o.MtimeSeconds != e.MtimeSeconds || o.MtimeNanoseconds != e.MtimeNanoseconds) f.Add("mtime");
        if (o.DeviceMajor != e.DeviceMajor || o.DeviceMinor != e.DeviceMinor) f.Add("device");
        if (!SameXAttrs(o.XAttrs, e.XAttrs)) f.Add("xattrs");
        return f;
    }

    private static string Octal(int mode) => Convert.ToString(mode, 8);

    private static byte[]? HardLinkPath(LoadedTree tree, TreeEntry e) => e.HardlinkTo is long first ? tree[first].Path : null;

    private static bool SameOptionalBytes(byte[]? x, byte[]? y) =>
        (x is null) == (y is null) && (x ?? []).AsSpan().SequenceEqual(y ?? []);

    private static bool SameXAttrs(IReadOnlyList<XAttr> a, IReadOnlyList<XAttr> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.Name.AsSpan().SequenceEqual(p.Second.Name) && p.First.Value.AsSpan().SequenceEqual(p.Second.Value));
}
