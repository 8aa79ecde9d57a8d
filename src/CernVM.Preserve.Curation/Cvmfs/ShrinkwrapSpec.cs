namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// A <c>cvmfs_shrinkwrap</c> specification: which paths of a repository to export
/// (docs/CVMFS.md §7; semantics of cvmfs/shrinkwrap/spec_tree.cc Parse and IsMatching).
/// Lines are trimmed; blank lines and lines starting with <c>#</c> are ignored; others start with
/// <c>/</c>, <c>!</c> or <c>^</c>:
/// <list type="bullet">
/// <item><c>/x</c>: exactly <c>/x</c> (its parents become pass-through directories);</item>
/// <item><c>/x/*</c>: <c>/x</c> and everything below;</item>
/// <item><c>^/x/*</c>: <c>/x</c> and its direct children only; <c>^/x</c> without <c>*</c> is <c>/x</c>;</item>
/// <item><c>!/x</c>: not <c>/x</c>, nor anything below.</item>
/// </list>
/// </summary>
public sealed class ShrinkwrapSpec
{
    private readonly Node _root = new(Mode.Include);

    private ShrinkwrapSpec()
    {
    }

    // spec_tree.h SpecTreeNode::mode.
    private enum Mode
    {
        Include,
        Deep,
        Flat,
        PassThrough,
        ExcludedPassThrough,
        Exclude,
    }

    /// <summary>The number of rule lines read.</summary>
    public int RuleCount { get; private set; }

    /// <summary>Parses a specification.</summary>
    /// <exception cref="CvmfsFormatException">A line does not start with <c>/</c>, <c>!</c> or <c>^</c>, or has no path.</exception>
    public static ShrinkwrapSpec Parse(string text, string subject = "shrinkwrap spec")
    {
        ArgumentNullException.ThrowIfNull(text);
        var spec = new ShrinkwrapSpec();
        int number = 0;
        foreach (string raw in text.Split('\n'))
        {
            number++;
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            spec.Add(line, $"{subject} line {number}");
        }

        return spec;
    }

    /// <summary>
    /// Whether <paramref name="path"/> (absolute, <c>""</c> or <c>/</c> for the root) is exported;
    /// pass-through parents of included paths match too, as in spec_tree.cc IsMatching.
    /// </summary>
    public bool IsMatching(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.EndsWith('/'))
        {
            path = path[..^1];
        }

        Node node = _root;
        if (node.Mode == Mode.Exclude)
        {
            return false;
        }

        bool deep = node.Mode == Mode.Deep;
        bool flat = node.Mode == Mode.Flat;
        string[] parts = path.Split('/');

        // parts[0] is the empty text before the leading slash.
        for (int i = 1; i < parts.Length; i++)
        {
            if (!node.Children.TryGetValue(parts[i], out Node? child))
            {
                // Not named by any rule: inside a deep include, or a direct child of a flat one.
                return deep || (flat && i == parts.Length - 1);
            }

            node = child;
            flat = false;
            switch (node.Mode)
            {
                case Mode.Exclude:
                    return false;
                case Mode.Deep:
                    deep = true;
                    break;
                case Mode.Flat:
                    flat = true;
                    break;
            }
        }

        return deep || flat || node.Mode is Mode.PassThrough or Mode.Include;
    }

    private void Add(string line, string subject)
    {
        Mode mode = Mode.Include;
        string path = line;
        if (path[0] is '^' or '!')
        {
            mode = path[0] == '^' ? Mode.Flat : Mode.Exclude;
            path = path[1..];
        }

        if (path.EndsWith('*'))
        {
            if (mode == Mode.Include)
            {
                mode = Mode.Deep;
            }

            path = path[..^1];
        }
        else if (mode == Mode.Flat)
        {
            mode = Mode.Include;
        }

        if (path.Length == 0 || path[0] != '/')
        {
            throw new CvmfsFormatException(subject, $"invalid specification '{line}': a path must start with '/'.");
        }

        // Directories created on the way to an exclusion are not exported themselves; the first
        // inclusion that passes through them turns them into pass-through directories.
        Mode passThrough = mode == Mode.Exclude ? Mode.ExcludedPassThrough : Mode.PassThrough;
        Node node = _root;
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!node.Children.TryGetValue(part, out Node? child))
            {
                child = new Node(passThrough);
                node.Children.Add(part, child);
            }
            else if (mode != Mode.Exclude && child.Mode == Mode.ExcludedPassThrough)
            {
                child.Mode = Mode.PassThrough;
            }

            node = child;
        }

        node.Mode = mode;
        RuleCount++;
    }

    private sealed class Node(Mode mode)
    {
        public Mode Mode { get; set; } = mode;

        public Dictionary<string, Node> Children { get; } = new(StringComparer.Ordinal);
    }
}
