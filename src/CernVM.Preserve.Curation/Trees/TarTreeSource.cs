using System.Diagnostics;
using System.Formats.Tar;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Curation.Trees;

/// <summary>
/// A root file system given as a tarball (tar, tar.gz, tar.xz, tar.zst, tar.bz2; recognised by content,
/// not by name). The archive is decompressed once into a private temporary file, then read in place: entry
/// metadata from the headers (PAX and GNU included: nanosecond times, long names, xattrs), file content
/// from its offset. Limits: names are taken as UTF-8 by the tar reader, so a non-UTF-8 name is not kept byte
/// for byte (capture such a tree from a directory instead); sparse members are read as plain files.
/// </summary>
public sealed class TarTreeSource : ITreeSource, IDisposable
{
    private readonly string _path;
    private readonly List<CaptureWarning> _warnings = [];
    private readonly Dictionary<TreeEntry, (long Offset, long Length)> _data = new(ReferenceEqualityComparer.Instance);
    private string? _tar;
    private bool _ownsTar;

    private readonly IReadOnlyList<ExclusionPattern> _exclusions;
    private List<TreeEntry>? _walked;

    public TarTreeSource(string path, IReadOnlyList<string>? exclusions = null)
    {
        _path = Path.GetFullPath(path);
        _exclusions = (exclusions ?? []).Select(x => new ExclusionPattern(x)).ToList();
    }

    public string Description => _path;

    public IReadOnlyList<CaptureWarning> Warnings => _warnings;

    public List<TreeEntry> Walk(CancellationToken cancellationToken)
    {
        _tar ??= Decompress(cancellationToken);
        _data.Clear();
        var entries = new Dictionary<byte[], TreeEntry>(PathBytes.EqualityComparer)
        {
            [[]] = new TreeEntry { Path = [], Kind = EntryKind.Directory, Mode = 0x1ED },
        };
        var links = new Dictionary<TreeEntry, TreeEntry>(ReferenceEqualityComparer.Instance);
        try
        {
            using FileStream file = File.OpenRead(_tar);
            using var reader = new TarReader(file);
            while (reader.GetNextEntry() is TarEntry t)
            {
                cancellationToken.ThrowIfCancellationRequested();
                byte[] path = Normalise(t.Name);
                if (path.Length == 0 && t.EntryType != TarEntryType.Directory)
                {
                    continue;
                }

                if (!PathBytes.IsSafeRelative(path))
                {
                    throw new PreserveException(FailureKind.Usage, $"{_path}: member '{t.Name}' has a path that leaves the tree; refusing the tarball.");
                }

                var e = new TreeEntry
                {
                    Path = path,
                    Kind = KindOf(t.EntryType),
                    Mode = (int)t.Mode & 0xFFF,
                    Uid = t.Uid,
                    Gid = t.Gid,
                    MtimeSeconds = t.ModificationTime.ToUnixTimeSeconds(),
                    MtimeNanoseconds = (int)(t.ModificationTime.UtcTicks % TimeSpan.TicksPerSecond * 100),
                };
                if (t is PosixTarEntry p)
                {
                    e.UserName = string.IsNullOrEmpty(p.UserName) ? null : p.UserName;
                    e.GroupName = string.IsNullOrEmpty(p.GroupName) ? null : p.GroupName;
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

                switch (t.EntryType)
                {
                    case TarEntryType.SymbolicLink:
                        e.LinkTarget = System.Text.Encoding.UTF8.GetBytes(t.LinkName);
                        e.Size = e.LinkTarget.Length;
                        break;
                    case TarEntryType.HardLink:
                        if (!entries.TryGetValue(Normalise(t.LinkName), out TreeEntry? first) || first.Kind == EntryKind.Directory)
                        {
                            throw new PreserveException(FailureKind.Usage, $"{_path}: member '{t.Name}' is a hard link to '{t.LinkName}', which comes nowhere before it.");
                        }

                        e.Kind = first.Kind;
                        e.Size = first.Size;
                        links[e] = first;
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        e.Size = t.Length;
                        _data[e] = (t.DataOffset, t.Length);
                        break;
                }

                // A later member of the same name replaces the earlier one, as tar -x does.
                entries[path] = e;
            }
        }
        catch (InvalidDataException ex)
        {
            throw new PreserveException(FailureKind.Usage, $"{_path}: not a valid tar archive ({ex.Message}).", ex);
        }

        // Parents that the tarball does not list become plain directories.
        foreach (byte[] path in entries.Keys.ToList())
        {
            for (int slash = path.AsSpan().LastIndexOf((byte)'/'); slash > 0; slash = path.AsSpan(0, slash).LastIndexOf((byte)'/'))
            {
                byte[] parent = path[..slash];
                if (!entries.ContainsKey(parent))
                {
                    entries[parent] = new TreeEntry { Path = parent, Kind = EntryKind.Directory, Mode = 0x1ED };
                }
            }
        }

        // Exclusions as for a directory: the entry is recorded as excluded, nothing below or inside it kept.
        var excluded = new List<byte[]>();
        foreach (TreeEntry e in entries.Values.OrderBy(e => e.Path, Comparer<byte[]>.Create(TreeOrdering.Compare)))
        {
            if (e.Path.Length == 0 || excluded.Any(x => e.Path.Length > x.Length && e.Path.AsSpan().StartsWith(x) && e.Path[x.Length] == '/'))
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

        List<TreeEntry> list = [.. entries.Values.Where(e => !excluded.Any(x => e.Path.Length > x.Length && e.Path.AsSpan().StartsWith(x) && e.Path[x.Length] == '/'))];
        foreach (TreeEntry e in list.Where(e => links.TryGetValue(e, out TreeEntry? f) && f.State != EntryState.Captured).ToList())
        {
            links.Remove(e);
            _data.Remove(e);
            e.State = EntryState.Excluded;
            e.Note = "hard link to an excluded entry";
        }

        TreeOrdering.Number(list, links);
        _walked = list;
        return list;
    }

    /// <summary>
    /// Writes the regular files and symlinks whose paths <paramref name="select"/> accepts into
    /// <paramref name="directory"/> (after a walk), so that files such as etc/redhat-release or the package
    /// database can be read as they would be in an unpacked tree.
    /// </summary>
    public void ExtractTo(string directory, Func<string, bool> select)
    {
        foreach (TreeEntry e in _walked ?? throw new InvalidOperationException("Walk the tarball first."))
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
                File.CreateSymbolicLink(target, System.Text.Encoding.UTF8.GetString(e.LinkTarget ?? []));
            }
            else if (e.Kind == EntryKind.File && _data.TryGetValue(e, out var d))
            {
                using IFileContent c = Open(e);
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

    public IFileContent Open(TreeEntry entry) =>
        _data.TryGetValue(entry, out var d) && _tar is not null
            ? new SliceContent(File.OpenHandle(_tar), d.Offset, d.Length)
            : throw new IOException($"'{entry.DisplayPath}' has no data in {_path}.");

    public void Dispose()
    {
        if (_ownsTar && _tar is not null)
        {
            File.Delete(_tar);
        }
    }

    private static byte[] Normalise(string name)
    {
        string n = name.Replace('\\', '/');
        while (n.StartsWith("./", StringComparison.Ordinal))
        {
            n = n[2..];
        }

        n = n.TrimStart('/').TrimEnd('/');
        return n is "." or "" ? [] : System.Text.Encoding.UTF8.GetBytes(n);
    }

    private static EntryKind KindOf(TarEntryType type) => type switch
    {
        TarEntryType.Directory => EntryKind.Directory,
        TarEntryType.SymbolicLink => EntryKind.Symlink,
        TarEntryType.CharacterDevice => EntryKind.CharDevice,
        TarEntryType.BlockDevice => EntryKind.BlockDevice,
        TarEntryType.Fifo => EntryKind.Fifo,
        _ => EntryKind.File,
    };

    /// <summary>Decompresses by content into a temporary tar file; a plain tar is read where it is.</summary>
    private string Decompress(CancellationToken cancellationToken)
    {
        byte[] magic = new byte[6];
        using (FileStream f = File.OpenRead(_path))
        {
            f.ReadExactly(magic, 0, (int)Math.Min(6, f.Length));
        }

        string? tool = magic switch
        {
            [0x1F, 0x8B, ..] => "gzip",
            [0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00] => "xz",
            [0x28, 0xB5, 0x2F, 0xFD, ..] => "zstd",
            [(byte)'B', (byte)'Z', (byte)'h', ..] => "bzip2",
            _ => null,
        };
        if (tool is null)
        {
            return _path;
        }

        string temp = Path.Combine(Path.GetTempPath(), $"cvmpreserve-tar-{Guid.NewGuid():N}.tar");
        _ownsTar = true;
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-dc");
        psi.ArgumentList.Add(_path);
        try
        {
            using Process p = Process.Start(psi)!;
            Task<string> err = p.StandardError.ReadToEndAsync(cancellationToken);
            using (FileStream output = File.Create(temp))
            {
                p.StandardOutput.BaseStream.CopyTo(output);
            }

            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                throw new PreserveException(FailureKind.Usage, $"{_path}: {tool} could not decompress it: {err.Result.Trim()}");
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new PreserveException(FailureKind.Environment, $"{_path} is {tool}-compressed, and '{tool}' is not installed.", e);
        }

        return temp;
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
