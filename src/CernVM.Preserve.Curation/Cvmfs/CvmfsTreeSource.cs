using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Engine;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// A CernVM-FS revision as a tree to capture: the entries of its catalogs (optionally cut by a shrinkwrap
/// spec), with the catalogs' modes, owners, times, symlink targets, hard-link groups and xattrs, and file
/// content reassembled from verified objects.
/// </summary>
public sealed class CvmfsTreeSource : ITreeSource
{
    private readonly CvmfsRepository _repository;
    private readonly ShrinkwrapSpec? _spec;
    private readonly Dictionary<byte[], CvmfsEntry> _files = new(PathBytes.EqualityComparer);
    private readonly List<CaptureWarning> _warnings = [];

    public CvmfsTreeSource(CvmfsRepository repository, string description, ShrinkwrapSpec? spec = null)
    {
        _repository = repository;
        _spec = spec;
        Description = description;
    }

    public string Description { get; }

    public IReadOnlyList<CaptureWarning> Warnings => _warnings;

    public List<TreeEntry> Walk(CancellationToken cancellationToken)
    {
        try
        {
            return WalkCore(cancellationToken);
        }
        catch (CvmfsIntegrityException e)
        {
            throw new Core.PreserveException(Core.FailureKind.Integrity, $"{Description}: {e.Message}", e);
        }
        catch (CvmfsFormatException e)
        {
            throw new Core.PreserveException(Core.FailureKind.Integrity, $"{Description}: {e.Message}", e);
        }
        catch (CvmfsSourceException e)
        {
            throw new Core.PreserveException(Core.FailureKind.Environment, $"{Description}: {e.Message}", e);
        }
    }

    private List<TreeEntry> WalkCore(CancellationToken cancellationToken)
    {
        var entries = new List<TreeEntry>();
        var groups = new Dictionary<HardlinkGroupKey, (TreeEntry Entry, CvmfsEntry Source)>();
        var links = new Dictionary<TreeEntry, TreeEntry>(ReferenceEqualityComparer.Instance);
        foreach (CvmfsEntry c in _repository.WalkAsync(cancellationToken).ToBlockingEnumerable(cancellationToken))
        {
            if (c.Path.Length > 0 && _spec is not null && !_spec.IsMatching(c.Path))
            {
                continue;
            }

            if (c.IsHidden)
            {
                continue; // /.cvmfs: the client's own virtual directory, not content
            }

            byte[]? target = c.Kind == CvmfsEntryKind.Symlink ? System.Text.Encoding.UTF8.GetBytes(c.SymlinkTarget ?? "") : null;
            bool external = c.Kind == CvmfsEntryKind.File && c.IsExternal;
            var e = new TreeEntry
            {
                Path = c.Path.Length == 0 ? [] : System.Text.Encoding.UTF8.GetBytes(c.Path.TrimStart('/')),
                Kind = KindOf(c),
                State = external ? EntryState.Unreadable : EntryState.Captured,
                Mode = (int)(c.Mode & 0xFFF),
                Uid = c.Uid ?? 0,
                Gid = c.Gid ?? 0,
                MtimeSeconds = c.MtimeSeconds,
                MtimeNanoseconds = c.MtimeNanoseconds,
                Size = target?.Length ?? (c.Kind == CvmfsEntryKind.File ? c.Size : 0),
                LinkTarget = target,
                XAttrs = c.Xattrs.Select(x => new XAttr(System.Text.Encoding.UTF8.GetBytes(x.Key), x.Value)).ToList(),
                Note = external ? "external file: its content is not stored in the repository" : null,
            };
            if (external)
            {
                _warnings.Add(CaptureWarning.For(ReportCode.EntryUnreadable, e.DisplayPath, e.Note!));
            }

            if (c.HardlinkGroup > 0 && c.Kind != CvmfsEntryKind.Directory)
            {
                // docs/CVMFS.md §4.4: a group number names one inode only within one directory of one catalog
                // (cvmfs/catalog_mgr_rw.cc AddHardlinkGroup); the same number elsewhere is another inode.
                var key = new HardlinkGroupKey(c.Catalog, c.Path[..c.Path.LastIndexOf('/')], c.HardlinkGroup);
                if (!groups.TryGetValue(key, out (TreeEntry Entry, CvmfsEntry Source) first))
                {
                    groups[key] = (e, c);
                }
                else if (SameInode(first.Source, c))
                {
                    links[e] = first.Entry;
                }
                else
                {
                    // One inode cannot be two things: the catalog contradicts itself. Each name keeps what the
                    // catalog says of it, as a separate entry, rather than one name's content under the other.
                    _warnings.Add(CaptureWarning.For(ReportCode.CvmfsRemark, e.DisplayPath, $"{Description}: hard-link group {c.HardlinkGroup} of {key.Directory}/ in catalog {c.Catalog.ObjectName} joins '{first.Source.Path}' and '{c.Path}', which differ ({Difference(first.Source, c)}); recorded as separate entries"));
                }
            }

            if (c.Kind == CvmfsEntryKind.File)
            {
                _files[e.Path] = c;
            }

            entries.Add(e);
        }

        // A shrinkwrap spec may keep an entry whose parent it does not name: keep the parents too.
        var present = new HashSet<byte[]>(entries.Select(e => e.Path), PathBytes.EqualityComparer);
        foreach (TreeEntry e in entries.ToList())
        {
            for (int slash = e.Path.AsSpan().LastIndexOf((byte)'/'); slash > 0; slash = e.Path.AsSpan(0, slash).LastIndexOf((byte)'/'))
            {
                byte[] parent = e.Path[..slash];
                if (present.Add(parent))
                {
                    entries.Add(new TreeEntry { Path = parent, Kind = EntryKind.Directory, Mode = 0x1ED, MtimeSeconds = e.MtimeSeconds });
                }
            }
        }

        return TreeOrdering.Number(entries, links);
    }

    public IFileContent Open(TreeEntry entry)
    {
        if (!_files.TryGetValue(entry.Path, out CvmfsEntry? c))
        {
            throw new IOException($"'{entry.DisplayPath}' is not a regular file of {Description}.");
        }

        try
        {
            Stream s = _repository.OpenContentAsync(c).GetAwaiter().GetResult();
            return new StreamContent(s);
        }
        catch (CvmfsIntegrityException e)
        {
            // A missing or corrupt object must fail the capture, not become an unreadable entry.
            throw new Core.PreserveException(Core.FailureKind.Integrity, $"{Description}: {c.Path}: {e.Message}", e);
        }
        catch (CvmfsSourceException e)
        {
            throw new Core.PreserveException(Core.FailureKind.Environment, $"{Description}: {c.Path}: {e.Message}", e);
        }
    }

    /// <summary>Whether two names of one hard-link group can be one inode: same kind, size, content and target.</summary>
    private static bool SameInode(CvmfsEntry a, CvmfsEntry b) => Difference(a, b) is null;

    private static string? Difference(CvmfsEntry a, CvmfsEntry b) =>
        a.Kind != b.Kind || (a.Mode & 0xF000) != (b.Mode & 0xF000) ? $"a {a.Kind.ToString().ToLowerInvariant()} and a {b.Kind.ToString().ToLowerInvariant()}"
        : a.Size != b.Size ? $"{a.Size} and {b.Size} bytes"
        : !Nullable.Equals(a.ContentHash, b.ContentHash) || !a.Chunks.SequenceEqual(b.Chunks) || a.IsExternal != b.IsExternal ? "different content"
        : a.SymlinkTarget != b.SymlinkTarget ? "different link targets"
        : null;

    private static EntryKind KindOf(CvmfsEntry c) => c.Kind switch
    {
        CvmfsEntryKind.Directory => EntryKind.Directory,
        CvmfsEntryKind.File => EntryKind.File,
        CvmfsEntryKind.Symlink => EntryKind.Symlink,
        _ => (c.Mode & 0xF000) switch
        {
            0x2000 => EntryKind.CharDevice,
            0x6000 => EntryKind.BlockDevice,
            0x1000 => EntryKind.Fifo,
            _ => EntryKind.Socket,
        },
    };

    /// <summary>Where a hard-link group number is meaningful: one directory of one catalog (docs/CVMFS.md §4.4).</summary>
    private readonly record struct HardlinkGroupKey(ContentHash Catalog, string Directory, long Group);

    private sealed class StreamContent(Stream stream) : IFileContent
    {
        public List<(long Offset, long Length)> DataSegments(long size) => size == 0 ? [] : [(0, size)];

        public int Read(Span<byte> buffer, long offset)
        {
            if (stream.Position != offset)
            {
                stream.Position = offset;
            }

            return stream.Read(buffer);
        }

        public void Dispose() => stream.Dispose();
    }
}
