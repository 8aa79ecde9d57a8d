using System.Formats.Tar;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine;

namespace CernVM.Preserve.Curation.Trees;

/// <summary>
/// A tar file on local disk, decompressed if it was compressed (by content, not by name). A plain tar is
/// used where it is; a compressed one is decompressed once into a private temporary file.
/// </summary>
public sealed class LocalTar : IDisposable
{
    private LocalTar(string path, string source, string? compression)
    {
        Path = path;
        Source = source;
        Compression = compression;
    }

    /// <summary>The uncompressed tar.</summary>
    public string Path { get; }

    /// <summary>The file it came from.</summary>
    public string Source { get; }

    /// <summary>The compression it had (<see cref="Curation.Compression.Detect"/>), or null.</summary>
    public string? Compression { get; }

    public static LocalTar Open(string path, CancellationToken cancellationToken) => Open(path, cancellationToken, null);

    /// <summary>
    /// Opens the tar; a compressed one is decompressed into a temporary file in <paramref name="temporaryDirectory"/>
    /// (default: the user's temporary directory, TMPDIR) of at most <paramref name="room"/> bytes (default: the free
    /// space of that directory less 1 GiB, <see cref="Curation.Compression.TemporarySpace"/>).
    /// </summary>
    public static LocalTar Open(string path, CancellationToken cancellationToken, long? room, string? temporaryDirectory = null)
    {
        string full = System.IO.Path.GetFullPath(path);
        byte[] magic = new byte[8];
        int n;
        using (FileStream f = File.OpenRead(full))
        {
            n = f.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        }

        string? compression = Curation.Compression.Detect(magic.AsSpan(0, n));
        if (compression is null)
        {
            RequireTarHeader(full, full, null);
            return new LocalTar(full, full, null);
        }

        string temporary = temporaryDirectory ?? System.IO.Path.GetTempPath();
        string temp = System.IO.Path.Combine(temporary, $"cvmpreserve-tar-{Guid.NewGuid():N}.tar");
        try
        {
            using FileStream input = File.OpenRead(full);
            using FileStream output = File.Create(temp);
            long compressed = input.Length;
            string format = compression;
            Func<long, PreserveException> tooLarge = limit => TooLarge(full, format, compressed, limit, temporary);
            Curation.Compression.Decompress(compression, input, output, full, null, null, (room ?? Curation.Compression.TemporarySpace(temporary), tooLarge), cancellationToken);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        try
        {
            RequireTarHeader(temp, full, compression);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        return new LocalTar(temp, full, compression);
    }

    /// <summary>The error of a compressed tar that expands past the temporary space (<see cref="Curation.Compression.TemporarySpace"/>).</summary>
    internal static PreserveException TooLarge(string file, string compression, long compressed, long room, string temporary) =>
        new(FailureKind.Environment, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{file}: {compressed} bytes of {compression} expand past {room} bytes, the free space of {temporary} (less a reserve of 1 GiB): a decompression bomb, or a tree larger than that disk; nothing was stored. Set TMPDIR to a larger file system to capture a tree this large."));

    /// <summary>
    /// Fails unless the file starts with a tar header (POSIX, GNU or v7: the checksum at offset 148 matches) or
    /// with an all-zero block (an empty archive), so that any other file is named for what it is.
    /// </summary>
    private static void RequireTarHeader(string path, string source, string? compression)
    {
        byte[] block = new byte[512];
        int n;
        using (FileStream f = File.OpenRead(path))
        {
            n = f.ReadAtLeast(block, block.Length, throwOnEndOfStream: false);
        }

        bool zero = n == 512 && !block.AsSpan().ContainsAnyExcept((byte)0);
        if (n == 512 && (zero || ChecksumMatches(block)))
        {
            return;
        }

        string what = compression is null ? "a tar archive (nor gzip, xz, zstd or bzip2 of one)" : $"{compression}-compressed, but what it holds is not a tar archive";
        throw new PreserveException(FailureKind.Usage, $"{source}: not {(compression is null ? what : "a root file system: it is " + what)}; its first block is not a tar header.");
    }

    private static bool ChecksumMatches(ReadOnlySpan<byte> header)
    {
        long sum = 0;
        for (int i = 0; i < 512; i++)
        {
            sum += i is >= 148 and < 156 ? (byte)' ' : header[i];
        }

        ReadOnlySpan<byte> field = header.Slice(148, 8);
        long stored = 0;
        bool digits = false;
        foreach (byte b in field)
        {
            if (b is >= (byte)'0' and <= (byte)'7')
            {
                stored = (stored * 8) + (b - '0');
                digits = true;
            }
            else if (digits || (b != ' ' && b != 0))
            {
                break;
            }
        }

        return digits && stored == sum;
    }

    /// <summary>The names of the members of the tar (normalised as tree paths), read from the headers only.</summary>
    public HashSet<string> MemberNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using FileStream file = File.OpenRead(Path);
            using var reader = new TarReader(file);
            long end = 0;
            while (TarBackedTreeSource.NextEntry(reader, file, ref end, Source) is TarEntry t)
            {
                names.Add(System.Text.Encoding.UTF8.GetString(TarBackedTreeSource.Normalise(t.Name)));
            }
        }
        catch (Exception e) when (e is InvalidDataException or PreserveException)
        {
            // Not a (whole) tar: what was read; opening it as a tree reports the error.
        }

        return names;
    }

    public void Dispose()
    {
        if (!string.Equals(Path, Source, StringComparison.Ordinal))
        {
            File.Delete(Path);
        }
    }
}

/// <summary>
/// What trees read from tar files share: tar members turned into tree entries (PAX and GNU headers:
/// nanosecond times, long names, xattrs), file content read in place from the member's offset, parents the
/// tar does not list made as plain directories, exclusions, and unpacking selected files for inspection.
/// Limits: names are taken as UTF-8 by the tar reader, so a non-UTF-8 name is not kept byte for byte
/// (capture such a tree from a directory instead); sparse members are read as plain files.
/// </summary>
public abstract class TarBackedTreeSource : ITreeSource, IDisposable
{
    private readonly IReadOnlyList<ExclusionPattern> _exclusions;
    private readonly Dictionary<TarMember, (string File, long Offset, long Length)> _data = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<TarMember, TarMember> _links = new(ReferenceEqualityComparer.Instance);
    private List<TreeEntry>? _walked;
    private Dictionary<byte[], TarMember> _members = new(PathBytes.EqualityComparer);

    protected TarBackedTreeSource(IReadOnlyList<string>? exclusions)
    {
        _exclusions = (exclusions ?? []).Select(x => new ExclusionPattern(x)).ToList();
    }

    public abstract string Description { get; }

    public IReadOnlyList<CaptureWarning> Warnings => WarningList;

    protected List<CaptureWarning> WarningList { get; } = [];

    /// <summary>Fills <paramref name="entries"/> (path → entry; the root is there already) from the tar files.</summary>
    private protected abstract void Populate(Dictionary<byte[], TarMember> entries, CancellationToken cancellationToken);

    public List<TreeEntry> Walk(CancellationToken cancellationToken)
    {
        _data.Clear();
        _links.Clear();
        var entries = new Dictionary<byte[], TarMember>(PathBytes.EqualityComparer)
        {
            [[]] = new TarMember { Path = [], Kind = EntryKind.Directory, Mode = 0x1ED },
        };
        Populate(entries, cancellationToken);

        // Parents that the tar files do not list become plain directories.
        List<byte[]> members = [.. entries.Keys];
        foreach (byte[] path in members)
        {
            for (int slash = path.AsSpan().LastIndexOf((byte)'/'); slash > 0; slash = path.AsSpan(0, slash).LastIndexOf((byte)'/'))
            {
                byte[] parent = path[..slash];
                if (!entries.ContainsKey(parent))
                {
                    entries[parent] = new TarMember { Path = parent, Kind = EntryKind.Directory, Mode = 0x1ED };
                }
            }
        }

        RefuseMembersBelowNonDirectories(entries, members);

        // Exclusions as for a directory: the entry is recorded as excluded, nothing below or inside it kept.
        var excluded = new List<byte[]>();
        foreach (TarMember e in entries.Values.OrderBy(e => e.Path, Comparer<byte[]>.Create(TreeOrdering.Compare)))
        {
            if (e.Path.Length == 0 || excluded.Any(x => IsBelow(e.Path, x)))
            {
                continue;
            }

            string display = e.DisplayPath;
            if (_exclusions.FirstOrDefault(p => p.IsMatch(display)) is ExclusionPattern pattern)
            {
                e.State = EntryState.Excluded;
                e.Note = $"--exclude {pattern.Text}";
                _data.Remove(e);
                excluded.Add(e.Path);
            }
        }

        List<TarMember> list = [.. entries.Values.Where(e => !excluded.Any(x => IsBelow(e.Path, x)))];
        var kept = new HashSet<TarMember>(list, ReferenceEqualityComparer.Instance);
        foreach (TarMember e in list)
        {
            if (_links.TryGetValue(e, out TarMember? first) && kept.Contains(first) && first.State != EntryState.Captured)
            {
                _links.Remove(e);
                e.State = EntryState.Excluded;
                e.Note = "hard link to an excluded entry";
            }
        }

        // Each inode's content goes to its first name in catalog order, which need not be the name the tar
        // gave first, and may be gone (a later layer deleted or replaced it): the others link to that one.
        foreach (IGrouping<TarMember, TarMember> inode in _links.GroupBy<KeyValuePair<TarMember, TarMember>, TarMember, TarMember>(l => l.Value, l => l.Key, ReferenceEqualityComparer.Instance).ToList())
        {
            TarMember original = inode.Key;
            List<TarMember> names = [.. inode.Where(n => kept.Contains(n) && n.State == EntryState.Captured)];
            if (kept.Contains(original) && original.State == EntryState.Captured)
            {
                names.Add(original);
            }

            foreach (TarMember n in inode)
            {
                _links.Remove(n);
            }

            if (names.Count == 0)
            {
                continue;
            }

            TarMember holder = names.MinBy(n => n.Path, Comparer<byte[]>.Create(TreeOrdering.Compare))!;
            if (_data.TryGetValue(original, out var content))
            {
                _data[holder] = content;
            }

            foreach (TarMember n in names.Where(n => !ReferenceEquals(n, holder)))
            {
                _links[n] = holder;
                _data.Remove(n);
            }
        }

        // Owner names come from the tree's own account files, as for a directory (FORMAT.md §6.2), not from
        // the tar headers: image builders often leave those empty, or write the building host's names.
        Dictionary<long, string> users = ReadAccountFile(entries, "etc/passwd");
        Dictionary<long, string> groups = ReadAccountFile(entries, "etc/group");
        foreach (TarMember e in list)
        {
            e.UserName = users.GetValueOrDefault(e.Uid);
            e.GroupName = groups.GetValueOrDefault(e.Gid);
        }

        // Entries are immutable: each member becomes one, numbered in catalog order; a walked entry's file is
        // opened through the member of its path.
        var asEntry = new Dictionary<TarMember, TreeEntry>(list.Count, ReferenceEqualityComparer.Instance);
        foreach (TarMember m in list)
        {
            asEntry[m] = m.ToEntry();
        }

        var links = new Dictionary<TreeEntry, TreeEntry>(ReferenceEqualityComparer.Instance);
        foreach ((TarMember name, TarMember first) in _links)
        {
            if (asEntry.TryGetValue(name, out TreeEntry? n) && asEntry.TryGetValue(first, out TreeEntry? f))
            {
                links[n] = f;
            }
        }

        _members = list.ToDictionary(m => m.Path, PathBytes.EqualityComparer);
        _walked = TreeOrdering.Number([.. asEntry.Values], links);
        return _walked;
    }

    /// <summary>
    /// Refuses a member that lies below a symlink or another non-directory of the tree (<c>link -&gt; /somewhere</c>
    /// then <c>link/file</c>): unpacked by tar, it would be written through the link, outside the tree, or
    /// fail; captured as it is, it would make a tree that restore refuses (FORMAT.md §6: a parent is a
    /// directory). Refused by name, before anything is stored.
    /// </summary>
    private void RefuseMembersBelowNonDirectories(Dictionary<byte[], TarMember> entries, List<byte[]> members)
    {
        foreach (byte[] path in members.OrderBy(p => p, Comparer<byte[]>.Create(TreeOrdering.Compare)))
        {
            for (int slash = path.AsSpan().IndexOf((byte)'/'); slash > 0; slash = path.AsSpan(slash + 1).IndexOf((byte)'/') is int next and >= 0 ? slash + 1 + next : -1)
            {
                TarMember parent = entries[path[..slash]];
                if (parent.Kind != EntryKind.Directory)
                {
                    string what = parent.Kind == EntryKind.Symlink
                        ? $"a symbolic link to '{System.Text.Encoding.UTF8.GetString(parent.LinkTarget ?? [])}'"
                        : $"a {parent.Kind.ToString().ToLowerInvariant()}, not a directory";
                    throw new PreserveException(
                        FailureKind.Usage,
                        $"{Description}: member '{PathBytes.ToDisplay(path)}' lies below '{parent.DisplayPath}', which is {what}; a member written through a link could land outside the tree, refusing it.");
                }
            }
        }
    }

    private Dictionary<long, string> ReadAccountFile(Dictionary<byte[], TarMember> entries, string path)
    {
        if (!entries.TryGetValue(System.Text.Encoding.UTF8.GetBytes(path), out TarMember? e) || e.Kind != EntryKind.File || e.State != EntryState.Captured)
        {
            return [];
        }

        if (!_data.TryGetValue(_links.GetValueOrDefault(e) ?? e, out var d) || d.Length > AccountNames.MaxFileBytes)
        {
            return [];
        }

        byte[] content = new byte[d.Length];
        using Microsoft.Win32.SafeHandles.SafeFileHandle h = File.OpenHandle(d.File);
        int n = RandomAccess.Read(h, content, d.Offset);
        return AccountNames.Parse(content.AsSpan(0, n));
    }

    /// <summary>
    /// Reads the members of the tar file <paramref name="tar"/> into entries keyed by path, in member order
    /// (a later member of the same name replaces the earlier one, as tar -x does). Hard links are resolved
    /// against the members read so far, then against <paramref name="lower"/>.
    /// </summary>
    private protected Dictionary<byte[], TarMember> ReadMembers(string tar, string displayName, Dictionary<byte[], TarMember>? lower, CancellationToken cancellationToken)
    {
        var entries = new Dictionary<byte[], TarMember>(PathBytes.EqualityComparer);
        try
        {
            using FileStream file = File.OpenRead(tar);
            using var reader = new TarReader(file);
            long end = 0;
            while (NextEntry(reader, file, ref end, displayName) is TarEntry t)
            {
                cancellationToken.ThrowIfCancellationRequested();
                byte[] path = Normalise(t.Name);
                if (path.Length == 0 && t.EntryType != TarEntryType.Directory)
                {
                    continue;
                }

                if (path.Length > 0 && !PathBytes.IsSafeRelative(path))
                {
                    throw new PreserveException(FailureKind.Usage, $"{displayName}: member '{t.Name}' has a path that leaves the tree; refusing it.");
                }

                TarMember e = ToMember(t, path);
                switch (t.EntryType)
                {
                    case TarEntryType.HardLink:
                        byte[] target = Normalise(t.LinkName);
                        if (!(entries.TryGetValue(target, out TarMember? first) || (lower?.TryGetValue(target, out first) ?? false)) || first.Kind == EntryKind.Directory)
                        {
                            throw new PreserveException(FailureKind.Usage, $"{displayName}: member '{t.Name}' is a hard link to '{t.LinkName}', which comes nowhere before it.");
                        }

                        e.Kind = first.Kind;
                        e.Size = first.Size;
                        _links[e] = _links.GetValueOrDefault(first) ?? first;
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        _data[e] = (tar, t.DataOffset, t.Length);
                        break;
                }

                entries[path] = e;
            }
        }
        catch (InvalidDataException ex)
        {
            throw new PreserveException(FailureKind.Usage, $"{displayName}: not a valid tar archive ({ex.Message}).", ex);
        }

        return entries;
    }

    /// <summary>
    /// The next member, or null at the end. A tar that stops right after a member without the two zero
    /// blocks of the end marker (umoci writes such layers; GNU tar reads them) ends there; one that stops
    /// inside a member is truncated.
    /// </summary>
    internal static TarEntry? NextEntry(TarReader reader, FileStream file, ref long end, string displayName)
    {
        try
        {
            TarEntry? t = reader.GetNextEntry();
            if (t is not null)
            {
                if (t.DataOffset >= 0 && (t.Length < 0 || t.Length > file.Length - t.DataOffset)) // no sum: a size of 2^63 would overflow it
                {
                    throw new PreserveException(FailureKind.Usage, $"{displayName}: the tar archive is truncated after offset {file.Length}, inside member '{t.Name}'.");
                }

                end = t.DataOffset >= 0 ? t.DataOffset + ((t.Length + 511) / 512 * 512) : file.Position;
            }

            return t;
        }
        catch (EndOfStreamException e)
        {
            if (end >= file.Length)
            {
                return null;
            }

            throw new PreserveException(FailureKind.Usage, $"{displayName}: the tar archive is truncated after offset {end}.", e);
        }
        catch (ArgumentOutOfRangeException e)
        {
            // The reader seeks past a member's data by its size field: a size near 2^63 (GNU base-256) overflows it.
            throw new PreserveException(FailureKind.Usage, $"{displayName}: the member after offset {end} claims a size past the end of the file (the tar archive is truncated or forged).", e);
        }
        catch (NotSupportedException e)
        {
            // System.Formats.Tar reads no GNU sparse member (type 'S', written by `tar --sparse`): found by fuzzing.
            throw new PreserveException(FailureKind.Usage, $"{displayName}: the member after offset {end} is of a kind this tool cannot read ({e.Message}); a GNU sparse file ('tar --sparse') can be captured from the unpacked directory, or from a tarball made without --sparse.", e);
        }
        catch (Exception e) when (e is OverflowException or FormatException or ArgumentException)
        {
            // System.Formats.Tar lets these out of a header whose numeric fields do not fit (a base-256 mtime
            // beyond DateTimeOffset, a size beyond long): found by fuzzing (docs/security.md).
            throw new PreserveException(FailureKind.Usage, $"{displayName}: not a valid tar archive: the member header after offset {end} has a numeric field out of range ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Writes the regular files and symlinks whose paths <paramref name="select"/> accepts into
    /// <paramref name="directory"/> (after a walk), so that files such as etc/redhat-release or the package
    /// database can be read as they would be in an unpacked tree.
    /// </summary>
    public void ExtractTo(string directory, Func<string, bool> select)
    {
        foreach (TreeEntry e in _walked ?? throw new InvalidOperationException("Walk the tree first."))
        {
            string rel = e.DisplayPath;
            if (e.State != EntryState.Captured || !select(rel))
            {
                continue;
            }

            string target = Path.Combine(directory, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (e.Kind == EntryKind.Symlink)
            {
                File.CreateSymbolicLink(target, Path.Combine(directory, InsideRoot(rel, System.Text.Encoding.UTF8.GetString(e.LinkTarget ?? []))));
            }
            else if (e.Kind == EntryKind.File && _members.TryGetValue(e.Path, out TarMember? m) && _data.TryGetValue(_links.GetValueOrDefault(m) ?? m, out var d))
            {
                using var c = new SliceContent(File.OpenHandle(d.File), d.Offset, d.Length);
                using FileStream f = File.Create(target);
                var buffer = new byte[1 << 16];
                for (long pos = 0; pos < d.Length;)
                {
                    int n = c.Read(buffer, pos);
                    if (n == 0)
                    {
                        break;
                    }

                    f.Write(buffer, 0, n);
                    pos += n;
                }
            }
        }
    }

    /// <summary>
    /// Where the symlink <paramref name="link"/> (a path of the tree) points when the tree's root is the root, as
    /// chroot would resolve it: an absolute target starts at the tree's root and '..' never climbs above it. The
    /// extracted link points there inside the extraction directory, so that reading etc/os-release (or a link
    /// made to read /etc/shadow) reads the tree's file, never the host's.
    /// </summary>
    public static string InsideRoot(string link, string target)
    {
        var parts = new List<string>();
        if (!target.StartsWith('/'))
        {
            parts.AddRange(link.Split('/')[..^1]);
        }

        foreach (string segment in target.Split('/'))
        {
            if (segment is "" or ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }

                continue;
            }

            parts.Add(segment);
        }

        return string.Join('/', parts);
    }

    public IFileContent Open(TreeEntry entry) =>
        _members.TryGetValue(entry.Path, out TarMember? m) && _data.TryGetValue(m, out var d)
            ? new SliceContent(File.OpenHandle(d.File), d.Offset, d.Length)
            : throw new IOException($"'{entry.DisplayPath}' has no data in {Description}.");

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    protected static bool IsBelow(byte[] path, byte[] ancestor) =>
        ancestor.Length == 0 ? path.Length > 0 : path.Length > ancestor.Length && path.AsSpan().StartsWith(ancestor) && path[ancestor.Length] == '/';

    internal static byte[] Normalise(string name)
    {
        string n = name.Replace('\\', '/');
        while (n.StartsWith("./", StringComparison.Ordinal))
        {
            n = n[2..];
        }

        n = n.TrimStart('/').TrimEnd('/');
        return n is "." or "" ? [] : System.Text.Encoding.UTF8.GetBytes(n);
    }

    private static TarMember ToMember(TarEntry t, byte[] path)
    {
        var e = new TarMember
        {
            Path = path,
            Kind = t.EntryType switch
            {
                TarEntryType.Directory => EntryKind.Directory,
                TarEntryType.SymbolicLink => EntryKind.Symlink,
                TarEntryType.CharacterDevice => EntryKind.CharDevice,
                TarEntryType.BlockDevice => EntryKind.BlockDevice,
                TarEntryType.Fifo => EntryKind.Fifo,
                _ => EntryKind.File,
            },
            Mode = (int)t.Mode & 0xFFF,
            Uid = t.Uid,
            Gid = t.Gid,
            MtimeSeconds = t.ModificationTime.ToUnixTimeSeconds(),
            MtimeNanoseconds = (int)(t.ModificationTime.UtcTicks % TimeSpan.TicksPerSecond * 100),
        };
        if (t is PosixTarEntry p)
        {
            if (e.Kind is EntryKind.CharDevice or EntryKind.BlockDevice)
            {
                e.DeviceMajor = p.DeviceMajor;
                e.DeviceMinor = p.DeviceMinor;
            }
        }

        if (t is PaxTarEntry pax)
        {
            foreach ((string key, string value) in pax.ExtendedAttributes)
            {
                if (key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal))
                {
                    e.XAttrs.Add(new XAttr(System.Text.Encoding.UTF8.GetBytes(key["SCHILY.xattr.".Length..]), System.Text.Encoding.Latin1.GetBytes(value)));
                }
            }

            e.XAttrs.Sort((a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        }

        if (t.EntryType == TarEntryType.SymbolicLink)
        {
            e.LinkTarget = System.Text.Encoding.UTF8.GetBytes(t.LinkName);
            e.Size = e.LinkTarget.Length;
        }
        else if (t.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile)
        {
            e.Size = t.Length;
        }

        return e;
    }

    private sealed class SliceContent(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long length) : IFileContent
    {
        public List<(long Offset, long Length)> DataSegments(long size) => size == 0 ? [] : [(0, Math.Min(size, length))];

        public int Read(Span<byte> buffer, long position)
        {
            if (position >= length)
            {
                return 0;
            }

            int n = (int)Math.Min(buffer.Length, length - position);
            return RandomAccess.Read(handle, buffer[..n], offset + position);
        }

        public void Dispose() => handle.Dispose();
    }
}

/// <summary>
/// A tree entry while a tar-backed source is still working on it: members are replaced, deleted, excluded and
/// linked by identity across layers before the walk gives each one as an (immutable) <see cref="TreeEntry"/>.
/// </summary>
internal sealed class TarMember
{
    public required byte[] Path { get; init; }

    public EntryKind Kind { get; set; }

    public EntryState State { get; set; } = EntryState.Captured;

    public int Mode { get; init; }

    public long Uid { get; init; }

    public long Gid { get; init; }

    public string? UserName { get; set; }

    public string? GroupName { get; set; }

    public long MtimeSeconds { get; init; }

    public int MtimeNanoseconds { get; init; }

    public long Size { get; set; }

    public int DeviceMajor { get; set; }

    public int DeviceMinor { get; set; }

    public byte[]? LinkTarget { get; set; }

    public List<XAttr> XAttrs { get; } = [];

    public string? Note { get; set; }

    public string DisplayPath => PathBytes.ToDisplay(Path);

    /// <summary>The entry as the walk gives it (ids are given by <see cref="TreeOrdering.Number"/>).</summary>
    public TreeEntry ToEntry() => new()
    {
        Path = Path,
        Kind = Kind,
        State = State,
        Mode = Mode,
        Uid = Uid,
        Gid = Gid,
        UserName = UserName,
        GroupName = GroupName,
        MtimeSeconds = MtimeSeconds,
        MtimeNanoseconds = MtimeNanoseconds,
        Size = Size,
        DeviceMajor = DeviceMajor,
        DeviceMinor = DeviceMinor,
        LinkTarget = LinkTarget,
        XAttrs = XAttrs,
        Note = Note,
    };
}
