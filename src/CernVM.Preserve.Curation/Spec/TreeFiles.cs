namespace CernVM.Preserve.Curation.Spec;

/// <summary>Paths inside an unpacked root tree, resolved as the tree's own system would see them.</summary>
public static class TreeFiles
{
    /// <summary>
    /// The host path of <paramref name="treePath"/> in the tree at <paramref name="rootfs"/>, every symlink on
    /// the way (in any component, absolute or relative) followed inside the tree, as under chroot: ".." stops
    /// at the tree's root and an absolute target starts from it, so the result never leaves the tree. Null
    /// after 40 links (a loop). The file itself need not exist.
    /// </summary>
    public static string? Resolve(string rootfs, string treePath)
    {
        ArgumentNullException.ThrowIfNull(rootfs);
        ArgumentNullException.ThrowIfNull(treePath);
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootfs));
        var pending = new Stack<string>(treePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var resolved = new List<string>();
        int links = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            string candidate = Path.Combine(root, string.Join('/', resolved.Append(part)));
            if (new FileInfo(candidate).LinkTarget is string target)
            {
                if (++links > 40)
                {
                    return null;
                }

                if (target.StartsWith('/'))
                {
                    resolved.Clear();
                }

                foreach (string t in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                {
                    pending.Push(t);
                }

                continue;
            }

            resolved.Add(part);
        }

        return resolved.Count == 0 ? root : Path.Combine(root, string.Join('/', resolved));
    }
}
