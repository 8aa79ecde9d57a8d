namespace CernVM.Preserve.Core.Model;

/// <summary>What a field of a tree entry is to its readers.</summary>
public enum TreeEntryFieldRole
{
    /// <summary>Where the entry is in its catalog (id, parent, path, the entry a hard link names): a diff matches entries by path instead.</summary>
    Position,

    /// <summary>What the tree is: a diff of two versions reports it.</summary>
    Recorded,

    /// <summary>Recorded, but following from other fields (owner names from ids, notes, extents from content): a diff leaves it out.</summary>
    Derived,

    /// <summary>What the source observed (<see cref="SourceObservation"/>): only to recognise unchanged files.</summary>
    Observation,
}

/// <summary>One field of <see cref="TreeEntry"/>: its name, the catalog columns or table that hold it (FORMAT.md §6), and how two entries compare on it.</summary>
public sealed class TreeEntryField
{
    private readonly Func<TreeEntry, TreeEntry, bool> _same;
    private readonly Func<TreeEntry, TreeEntry, string>? _describe;

    internal TreeEntryField(string name, TreeEntryFieldRole role, string[] columns, Func<TreeEntry, TreeEntry, bool> same, Func<TreeEntry, TreeEntry, string>? describe = null)
    {
        Name = name;
        Role = role;
        Columns = columns;
        _same = same;
        _describe = describe;
    }

    /// <summary>The field's name, as a diff reports it ("mode", "owner", "content").</summary>
    public string Name { get; }

    public TreeEntryFieldRole Role { get; }

    /// <summary>Its columns of the table <c>entries</c>, in the table's order; or, for extents and xattrs, the name of their own table.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>True when the table <c>entries</c> holds it (not a table of its own).</summary>
    public bool InEntriesTable => Name is not ("extents" or "xattrs");

    public bool Same(TreeEntry x, TreeEntry y) => _same(x, y);

    /// <summary>How a diff names a change of this field: its name, with the old and new values where they are short ("mode 644→600").</summary>
    public string DescribeChange(TreeEntry older, TreeEntry newer) => _describe?.Invoke(older, newer) ?? Name;

    public override string ToString() => Name;
}

/// <summary>
/// The one list of a tree entry's fields (FORMAT.md §6.2-6.4), in the catalog's column order. Entry
/// equality, the catalog's row comparison and column lists, and the fields a diff reports all come from it:
/// a new field is added here once.
/// </summary>
public static class TreeEntryFields
{
    /// <summary>Every field, in the order of the catalog's columns.</summary>
    public static IReadOnlyList<TreeEntryField> All { get; } =
    [
        new("id", TreeEntryFieldRole.Position, ["id"], static (x, y) => x.Id == y.Id),
        new("parent", TreeEntryFieldRole.Position, ["parent"], static (x, y) => x.ParentId == y.ParentId),
        new("path", TreeEntryFieldRole.Position, ["path"], static (x, y) => x.Path.AsSpan().SequenceEqual(y.Path)),
        new("kind", TreeEntryFieldRole.Recorded, ["kind"], static (x, y) => x.Kind == y.Kind),
        new("state", TreeEntryFieldRole.Recorded, ["state"], static (x, y) => x.State == y.State),
        new("mode", TreeEntryFieldRole.Recorded, ["mode"], static (x, y) => x.Mode == y.Mode, static (x, y) => $"mode {Octal(x.Mode)}→{Octal(y.Mode)}"),
        new("owner", TreeEntryFieldRole.Recorded, ["uid", "gid"], static (x, y) => x.Uid == y.Uid && x.Gid == y.Gid, static (x, y) => FormattableString.Invariant($"owner {x.Uid}:{x.Gid}→{y.Uid}:{y.Gid}")),
        new("owner names", TreeEntryFieldRole.Derived, ["uname", "gname"], static (x, y) => x.UserName == y.UserName && x.GroupName == y.GroupName),
        new("mtime", TreeEntryFieldRole.Recorded, ["mtime_sec", "mtime_nsec"], static (x, y) => x.MtimeSeconds == y.MtimeSeconds && x.MtimeNanoseconds == y.MtimeNanoseconds),
        new("size", TreeEntryFieldRole.Recorded, ["size"], static (x, y) => x.Size == y.Size),
        new("device", TreeEntryFieldRole.Recorded, ["rdev_major", "rdev_minor"], static (x, y) => x.DeviceMajor == y.DeviceMajor && x.DeviceMinor == y.DeviceMinor),
        new("target", TreeEntryFieldRole.Recorded, ["target"], static (x, y) => (x.LinkTarget is null) == (y.LinkTarget is null) && x.LinkTarget.AsSpan().SequenceEqual(y.LinkTarget)),
        new("hardlink", TreeEntryFieldRole.Position, ["hardlink_to"], static (x, y) => x.HardlinkTo == y.HardlinkTo),
        new("content", TreeEntryFieldRole.Recorded, ["content"], static (x, y) => x.Content == y.Content),
        new("note", TreeEntryFieldRole.Derived, ["note"], static (x, y) => x.Note == y.Note),
        new("observed", TreeEntryFieldRole.Observation, ["src_dev", "src_ino", "ctime_sec", "ctime_nsec"], static (x, y) => x.Observed == y.Observed),
        new("extents", TreeEntryFieldRole.Derived, ["extents"], static (x, y) => SameExtents(x.Extents, y.Extents)),
        new("xattrs", TreeEntryFieldRole.Recorded, ["xattrs"], static (x, y) => SameXAttrs(x.XAttrs, y.XAttrs)),
    ];

    /// <summary>The columns of the catalog's table <c>entries</c>, in order (FORMAT.md §6.2).</summary>
    public static IReadOnlyList<string> EntryColumns { get; } = All.Where(f => f.InEntriesTable).SelectMany(f => f.Columns).ToArray();

    /// <summary>True when both entries are the same catalog row, with the same extents and xattrs.</summary>
    public static bool SameRow(TreeEntry x, TreeEntry y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        foreach (TreeEntryField f in All)
        {
            if (!f.Same(x, y))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The recorded fields in which two entries of the same path differ, as a diff of two versions reports
    /// them; positions (ids, and the entry a hard link names) are for the caller to compare by path.
    /// </summary>
    public static IEnumerable<TreeEntryField> Differences(TreeEntry older, TreeEntry newer)
    {
        ArgumentNullException.ThrowIfNull(older);
        ArgumentNullException.ThrowIfNull(newer);
        return All.Where(f => f.Role == TreeEntryFieldRole.Recorded && !f.Same(older, newer));
    }

    private static string Octal(int mode) => Convert.ToString(mode, 8);

    private static bool SameExtents(IReadOnlyList<Extent> x, IReadOnlyList<Extent> y)
    {
        if (x.Count != y.Count)
        {
            return false;
        }

        for (int i = 0; i < x.Count; i++)
        {
            if (x[i] != y[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameXAttrs(IReadOnlyList<XAttr> x, IReadOnlyList<XAttr> y)
    {
        if (x.Count != y.Count)
        {
            return false;
        }

        for (int i = 0; i < x.Count; i++)
        {
            if (!x[i].Name.AsSpan().SequenceEqual(y[i].Name) || !x[i].Value.AsSpan().SequenceEqual(y[i].Value))
            {
                return false;
            }
        }

        return true;
    }
}
