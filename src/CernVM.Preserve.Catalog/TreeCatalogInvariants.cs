using System.Globalization;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Catalog;

/// <summary>One way an entry breaks the rules of a tree catalog (FORMAT.md §6).</summary>
/// <param name="Id">The entry's id.</param>
/// <param name="Path">The entry's path, printable (<see cref="PathBytes.ToDisplay"/>).</param>
/// <param name="Problem">What is wrong, in words.</param>
public sealed record TreeViolation(long Id, string Path, string Problem)
{
    public override string ToString() => $"entry {Id.ToString(CultureInfo.InvariantCulture)} '{Path}': {Problem}";
}

/// <summary>
/// The rules every tree catalog keeps (FORMAT.md §6.2, §6.3), checked entry by entry in id order. The writer
/// (<see cref="TreeCatalogWriter"/>, before it finishes) and the reader (<see cref="CatalogFile"/>) run this
/// one type, so a version is never committed that its readers then refuse.
/// </summary>
/// <remarks>
/// Checked: ids grow and the first entry is the root (id 1, empty path, a directory without parent); every
/// other path is safe (no empty, <c>.</c> or <c>..</c> segment, no NUL), listed once, and inside its parent,
/// a directory listed before it; the mode holds nothing beyond 07777; a hard link names the first name of its
/// inode, listed before it and of its kind (never a directory), and carries no extents; a symlink's size is
/// the length of its target; only regular files have a size otherwise (the root included); nothing is listed
/// below a directory that was not captured (when writing); an entry names each extended attribute once; mtime nanoseconds lie in 0-999999999;
/// extents belong to captured first names of regular files, are not empty, lie within the file's size and do
/// not overlap. Not checked here: that the content hash
/// matches the extents' bytes (that needs the blobs; restore checks it).
/// </remarks>
public sealed class TreeCatalogInvariants
{
    /// <summary>How many violations are kept to be named; the rest are counted.</summary>
    public const int NamedViolations = 10;

    // Entries seen, by id: a list while ids run 1, 2, 3, … as writers number them (no hashing per entry), a
    // dictionary for whatever comes after a gap.
    private readonly List<Listed> _dense = [];
    private Dictionary<long, Listed>? _sparse;
    private readonly HashSet<byte[]> _paths = new(PathBytes.EqualityComparer);
    private readonly List<TreeViolation> _violations = [];
    private long _lastId;
    private readonly bool _writing;

    /// <summary>The rules for reading a catalog.</summary>
    public TreeCatalogInvariants()
        : this(writing: false)
    {
    }

    /// <summary>The rules for reading, or, with <paramref name="writing"/>, for writing a catalog.</summary>
    /// <param name="writing">
    /// Also refuse an entry below a directory that was not captured. Writers keep this rule; readers do not
    /// enforce it, because writers before 2026-12-02 listed a layer mounted below an excluded directory there,
    /// and such a tree restores as it was captured (FORMAT.md §6.2 state).
    /// </param>
    public TreeCatalogInvariants(bool writing) => _writing = writing;

    /// <summary>Entries checked so far.</summary>
    public long Count { get; private set; }

    /// <summary>All violations found so far, named or not.</summary>
    public long ViolationCount { get; private set; }

    /// <summary>The first <see cref="NamedViolations"/> violations found, in id order.</summary>
    public IReadOnlyList<TreeViolation> Violations => _violations;

    /// <summary>Checks <paramref name="entries"/> (in id order) and throws if one breaks a rule.</summary>
    /// <exception cref="PreserveException">A rule is broken (kind Integrity); the message names the entries.</exception>
    public static void Enforce(IEnumerable<TreeEntry> entries, string what)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var rules = new TreeCatalogInvariants();
        foreach (TreeEntry e in entries)
        {
            rules.Check(e);
        }

        rules.ThrowIfBroken(what);
    }

    /// <summary>Checks one entry against the ones checked before it.</summary>
    /// <returns>True when the entry keeps every rule; otherwise the violation is recorded.</returns>
    public bool Check(TreeEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        Count++;
        string? problem = Problem(entry);
        if (problem is not null)
        {
            ViolationCount++;
            if (_violations.Count < NamedViolations)
            {
                _violations.Add(new TreeViolation(entry.Id, entry.DisplayPath, problem));
            }
        }

        _lastId = Math.Max(_lastId, entry.Id);
        var listed = new Listed(entry.Kind, entry.State, entry.HardlinkTo is not null, entry.Path);
        if (_sparse is null && entry.Id == _dense.Count + 1)
        {
            _dense.Add(listed);
        }
        else
        {
            (_sparse ??= []).TryAdd(entry.Id, listed);
        }

        _paths.Add(entry.Path);
        return problem is null;
    }

    /// <summary>Throws when a checked entry broke a rule, or when no entry (not even the root) was checked.</summary>
    /// <param name="what">Names the catalog in the message: a blob, a version, or the catalog being written.</param>
    /// <exception cref="PreserveException">A rule is broken (kind Integrity).</exception>
    public void ThrowIfBroken(string what)
    {
        if (Count == 0)
        {
            throw new PreserveException(FailureKind.Integrity, $"{what}: the tree catalog has no entries, not even the root (FORMAT.md §6.2).");
        }

        if (ViolationCount == 0)
        {
            return;
        }

        string more = ViolationCount > _violations.Count ? $"; and {(ViolationCount - _violations.Count).ToString(CultureInfo.InvariantCulture)} more" : string.Empty;
        throw new PreserveException(
            FailureKind.Integrity,
            $"{what}: not a valid tree (FORMAT.md §6): {string.Join("; ", _violations)}{more}.");
    }

    private string? Problem(TreeEntry e)
    {
        if (e.Id <= _lastId)
        {
            return $"listed after entry {_lastId.ToString(CultureInfo.InvariantCulture)}: ids grow, parents first";
        }

        if (Count == 1)
        {
            return e.Id == 1 && e.Path.Length == 0 && e.Kind == EntryKind.Directory && e.ParentId is null && e.HardlinkTo is null
                ? MetadataProblem(e) ?? SizeProblem(e) ?? ExtentProblem(e)
                : "the first entry must be the root: id 1, the empty path, a directory without parent";
        }

        if (e.Path.Length == 0)
        {
            return "a second entry with the empty path of the root";
        }

        if (!PathBytes.IsSafeRelative(e.Path))
        {
            return "the path has an empty, '.' or '..' segment or a NUL byte";
        }

        if (e.ParentId is not long parentId || !TryGetListed(parentId, out Listed parent))
        {
            return e.ParentId is null ? "no parent" : $"its parent {e.ParentId.Value.ToString(CultureInfo.InvariantCulture)} is not listed before it";
        }

        if (parent.Kind != EntryKind.Directory)
        {
            return $"its parent '{PathBytes.ToDisplay(parent.Path)}' is a {TreeCatalog.KindName(parent.Kind)}, not a directory";
        }

        if (_writing && parent.State != EntryState.Captured)
        {
            return $"inside '{PathBytes.ToDisplay(parent.Path)}', a directory recorded as {TreeCatalog.StateName(parent.State)}: nothing below it is listed";
        }

        int slash = e.Path.AsSpan().LastIndexOf((byte)'/');
        if (!(slash < 0 ? [] : e.Path.AsSpan(0, slash)).SequenceEqual(parent.Path))
        {
            return $"not inside its parent '{PathBytes.ToDisplay(parent.Path)}'";
        }

        if (_paths.Contains(e.Path))
        {
            return "the path is listed twice";
        }

        if (MetadataProblem(e) is string metadata)
        {
            return metadata;
        }

        if (e.HardlinkTo is long first)
        {
            return HardlinkProblem(e, first);
        }

        return SizeProblem(e) ?? ExtentProblem(e);
    }

    // FORMAT.md §6.2 size: a file's is not negative, a symlink's is the length of its target, the others' 0.
    private static string? SizeProblem(TreeEntry e)
    {
        if (e.Kind == EntryKind.Symlink && (e.LinkTarget is null || e.Size != e.LinkTarget.Length))
        {
            return e.LinkTarget is null ? "a symlink without target" : $"size {e.Size.ToString(CultureInfo.InvariantCulture)} is not the length of its target ({e.LinkTarget.Length.ToString(CultureInfo.InvariantCulture)})";
        }

        if (e.Kind == EntryKind.File && e.Size < 0)
        {
            return $"negative size {e.Size.ToString(CultureInfo.InvariantCulture)}";
        }

        if (e.Kind is not (EntryKind.File or EntryKind.Symlink) && e.Size != 0)
        {
            return $"a {TreeCatalog.KindName(e.Kind)} with size {e.Size.ToString(CultureInfo.InvariantCulture)}: only files and symlinks have one";
        }

        return null;
    }

    // FORMAT.md §6.2 mode, mtime_nsec; §6.4 one value per attribute name.
    private static string? MetadataProblem(TreeEntry e) =>
        e.MtimeNanoseconds is < 0 or > 999_999_999 ? $"mtime nanoseconds {e.MtimeNanoseconds.ToString(CultureInfo.InvariantCulture)} outside 0-999999999"
        : (e.Mode & ~0xFFF) != 0 ? $"mode {Convert.ToString(e.Mode, 8)} holds more than the permission and setuid, setgid and sticky bits (07777)"
        : RepeatedXAttr(e) is byte[] name ? $"the extended attribute '{PathBytes.ToDisplay(name)}' is listed twice"
        : null;

    private static byte[]? RepeatedXAttr(TreeEntry e)
    {
        if (e.XAttrs.Count < 2)
        {
            return null;
        }

        var names = new HashSet<byte[]>(PathBytes.EqualityComparer);
        foreach (XAttr x in e.XAttrs)
        {
            if (!names.Add(x.Name))
            {
                return x.Name;
            }
        }

        return null;
    }

    // FORMAT.md §6.2 hardlink_to: the first name of the inode, a smaller id, the same kind; no extents of its own.
    private string? HardlinkProblem(TreeEntry e, long first)
    {
        string firstId = first.ToString(CultureInfo.InvariantCulture);
        if (e.Kind == EntryKind.Directory)
        {
            return $"a directory cannot be a hard link (to entry {firstId})";
        }

        if (first >= e.Id || !TryGetListed(first, out Listed target))
        {
            return $"a hard link to entry {firstId}, which is not listed before it";
        }

        if (target.Kind != e.Kind)
        {
            return $"a {TreeCatalog.KindName(e.Kind)} that is a hard link to entry {firstId} '{PathBytes.ToDisplay(target.Path)}', a {TreeCatalog.KindName(target.Kind)}";
        }

        if (target.IsHardlink)
        {
            return $"a hard link to entry {firstId} '{PathBytes.ToDisplay(target.Path)}', which is itself a hard link, not the first name";
        }

        return e.Extents.Count > 0 ? "a hard link that carries extents of its own" : null;
    }

    // FORMAT.md §6.3: extents of a regular file do not overlap and lie within its size; bytes outside are zeros.
    private static string? ExtentProblem(TreeEntry e)
    {
        if (e.Extents.Count == 0)
        {
            return null;
        }

        if (e.Kind != EntryKind.File)
        {
            return $"a {TreeCatalog.KindName(e.Kind)} with extents: only regular files have them";
        }

        if (e.State != EntryState.Captured)
        {
            return "extents on an entry whose content was not captured";
        }

        IEnumerable<Extent> extents = e.Extents;
        for (int i = 1; i < e.Extents.Count; i++)
        {
            if (e.Extents[i].Offset < e.Extents[i - 1].Offset)
            {
                extents = e.Extents.OrderBy(x => x.Offset);
                break;
            }
        }

        long end = 0;
        foreach (Extent x in extents)
        {
            if (x.Offset < 0 || x.Length <= 0 || x.BlobOffset < 0)
            {
                return $"an extent with a negative offset or no length ({Describe(x)})";
            }

            if (x.Offset < end)
            {
                return $"extents overlap at offset {x.Offset.ToString(CultureInfo.InvariantCulture)}";
            }

            if (x.Length > e.Size - x.Offset)
            {
                return $"an extent ({Describe(x)}) reaches past the size {e.Size.ToString(CultureInfo.InvariantCulture)}";
            }

            end = x.Offset + x.Length;
        }

        return null;

        static string Describe(Extent x) => string.Create(CultureInfo.InvariantCulture, $"offset {x.Offset}, length {x.Length}, blob offset {x.BlobOffset}");
    }

    private bool TryGetListed(long id, out Listed listed)
    {
        if (id >= 1 && id <= _dense.Count)
        {
            listed = _dense[(int)(id - 1)];
            return true;
        }

        listed = default;
        return _sparse?.TryGetValue(id, out listed) ?? false;
    }

    private readonly record struct Listed(EntryKind Kind, EntryState State, bool IsHardlink, byte[] Path);
}
