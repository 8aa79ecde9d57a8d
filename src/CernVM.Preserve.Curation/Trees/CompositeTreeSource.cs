using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine;

namespace CernVM.Preserve.Curation.Trees;

/// <summary>A tree mounted into a composite tree at a path ("/aleph/alpha", "/cvmfs/sft.cern.ch").</summary>
public sealed record TreeLayer(string MountPoint, ITreeSource Source, string Name);

/// <summary>
/// One tree made of a base (the OS root) and layers mounted at paths (software, CernVM-FS revisions), the
/// way the environment looked when it ran. A layer replaces whatever the base held at and below its mount
/// point (reported as CAP005); missing parent directories of a mount point are made (CAP006).
/// </summary>
public sealed class CompositeTreeSource : ITreeSource
{
    private readonly ITreeSource _base;
    private readonly IReadOnlyList<TreeLayer> _layers;
    // By path in the composed tree: each entry's source and its entry there, to open a file.
    private readonly Dictionary<byte[], (ITreeSource Source, TreeEntry Original)> _origin = new(PathBytes.EqualityComparer);
    private readonly List<CaptureWarning> _warnings = [];

    public CompositeTreeSource(ITreeSource baseTree, IReadOnlyList<TreeLayer> layers)
    {
        _base = baseTree;
        _layers = layers;
        foreach (TreeLayer l in layers)
        {
            if (!l.MountPoint.StartsWith('/') || !PathBytes.IsSafeRelative(System.Text.Encoding.UTF8.GetBytes(l.MountPoint.Trim('/'))) || l.MountPoint.Trim('/').Length == 0)
            {
                throw new Core.PreserveException(Core.FailureKind.Usage, $"layer '{l.Name}': mount point '{l.MountPoint}' is not an absolute path below '/'.");
            }
        }
    }

    public string Description => _layers.Count == 0 ? _base.Description : $"{_base.Description} + " + string.Join(" + ", _layers.Select(l => $"{l.Name} at {l.MountPoint}"));

    public IReadOnlyList<CaptureWarning> Warnings => _warnings;

    /// <summary>How many entries each layer contributed, after a walk.</summary>
    public Dictionary<string, (long Entries, long Bytes)> LayerCounts { get; } = [];

    public List<TreeEntry> Walk(CancellationToken cancellationToken)
    {
        var result = new List<TreeEntry>();
        var links = new Dictionary<TreeEntry, TreeEntry>(ReferenceEqualityComparer.Instance);
        List<TreeEntry> baseEntries = _base.Walk(cancellationToken);
        _warnings.AddRange(_base.Warnings);
        var mounts = _layers.Select(l => System.Text.Encoding.UTF8.GetBytes(l.MountPoint.Trim('/'))).ToList();

        bool Shadowed(byte[] path) => mounts.Any(m => path.AsSpan().SequenceEqual(m) || (path.Length > m.Length && path.AsSpan().StartsWith(m) && path[m.Length] == '/'));

        var shadowCount = new int[_layers.Count];
        Add(baseEntries, _base, [], e =>
        {
            for (int i = 0; i < mounts.Count; i++)
            {
                byte[] m = mounts[i];
                if (e.Path.AsSpan().SequenceEqual(m) || (e.Path.Length > m.Length && e.Path.AsSpan().StartsWith(m) && e.Path[m.Length] == '/'))
                {
                    shadowCount[i]++;
                }
            }

            return !Shadowed(e.Path);
        });

        var present = new HashSet<byte[]>(result.Select(e => e.Path), PathBytes.EqualityComparer);
        for (int i = 0; i < _layers.Count; i++)
        {
            TreeLayer layer = _layers[i];
            List<TreeEntry> layerEntries = layer.Source.Walk(cancellationToken);
            _warnings.AddRange(layer.Source.Warnings);
            if (shadowCount[i] > 0)
            {
                _warnings.Add(CaptureWarning.For(ReportCode.LayerReplacesTree, layer.MountPoint.TrimStart('/'), $"layer '{layer.Name}' replaces {shadowCount[i]} entries the base tree held at and below its mount point"));
            }

            // Parents of the mount point that the base lacks become plain directories.
            byte[] mount = mounts[i];
            TreeEntry? layerRoot = layerEntries.FirstOrDefault(e => e.Path.Length == 0);
            for (int slash = mount.AsSpan().IndexOf((byte)'/'); slash >= 0; slash = NextSlash(mount, slash))
            {
                byte[] parent = mount[..slash];
                if (present.Add(parent))
                {
                    result.Add(new TreeEntry
                    {
                        Path = parent,
                        Kind = EntryKind.Directory,
                        Mode = 0x1ED,
                        MtimeSeconds = layerRoot?.MtimeSeconds ?? 0,
                        MtimeNanoseconds = layerRoot?.MtimeNanoseconds ?? 0,
                    });
                    _warnings.Add(CaptureWarning.For(ReportCode.MountPointDirectoryMade, PathBytes.ToDisplay(parent), $"made as a directory to hold the mount point of layer '{layer.Name}'"));
                }
            }

            // A base directory on the way that was not captured (excluded, a pseudo file system's mount point,
            // unreadable) becomes a plain captured directory: nothing is listed below a directory that was not
            // captured (FORMAT.md §6.2 state), and the layer is.
            for (int end = 0; end >= 0; end = NextSlash(mount, end))
            {
                byte[] parent = mount[..end];
                int at = result.FindIndex(e => e.Path.AsSpan().SequenceEqual(parent));
                if (at >= 0 && result[at].Kind == EntryKind.Directory && result[at].State != EntryState.Captured)
                {
                    _warnings.Add(CaptureWarning.For(ReportCode.MountPointDirectoryMade, PathBytes.ToDisplay(parent), $"recorded as a captured directory, not as {result[at].State.ToString().ToLowerInvariant()} ({result[at].Note}), to hold the mount point of layer '{layer.Name}'"));
                    result[at] = result[at] with { State = EntryState.Captured, Note = null };
                }
            }

            long before = result.Count;
            long bytes = 0;
            Add(layerEntries, layer.Source, mount, e =>
            {
                bytes += e.Kind == EntryKind.File && e.HardlinkTo is null ? e.Size : 0;
                return true;
            });
            LayerCounts[layer.Name] = (result.Count - before, bytes);
            foreach (TreeEntry e in result.Skip((int)before))
            {
                present.Add(e.Path);
            }
        }

        // Owner names come from the base tree's account files: a layer is seen through the OS it ran on.
        var users = new Dictionary<long, string>();
        var groups = new Dictionary<long, string>();
        foreach (TreeEntry e in result)
        {
            if (e.UserName is not null)
            {
                users.TryAdd(e.Uid, e.UserName);
            }

            if (e.GroupName is not null)
            {
                groups.TryAdd(e.Gid, e.GroupName);
            }
        }

        List<TreeEntry> numbered = TreeOrdering.Number(result, links);
        for (int i = 0; i < numbered.Count; i++)
        {
            TreeEntry e = numbered[i];
            string? user = e.UserName ?? users.GetValueOrDefault(e.Uid);
            string? group = e.GroupName ?? groups.GetValueOrDefault(e.Gid);
            if (!ReferenceEquals(user, e.UserName) || !ReferenceEquals(group, e.GroupName))
            {
                numbered[i] = e with { UserName = user, GroupName = group };
            }
        }

        return numbered;

        void Add(List<TreeEntry> entries, ITreeSource source, byte[] prefix, Func<TreeEntry, bool> keep)
        {
            var byId = entries.ToDictionary(e => e.Id);
            var copies = new Dictionary<long, TreeEntry>();
            foreach (TreeEntry e in entries)
            {
                if (!keep(e))
                {
                    continue;
                }

                TreeEntry copy = Copy(e, prefix.Length == 0 ? e.Path : e.Path.Length == 0 ? prefix : PathBytes.Join(prefix, e.Path));
                copies[e.Id] = copy;
                _origin[copy.Path] = (source, e);
                result.Add(copy);
                if (e.HardlinkTo is long h && copies.TryGetValue(h, out TreeEntry? first))
                {
                    links[copy] = first;
                }
            }
        }
    }

    public IFileContent Open(TreeEntry entry) =>
        _origin.TryGetValue(entry.Path, out var o) ? o.Source.Open(o.Original) : throw new IOException($"'{entry.DisplayPath}' is not an entry of this tree.");

    private static int NextSlash(byte[] path, int slash)
    {
        int next = path.AsSpan(slash + 1).IndexOf((byte)'/');
        return next < 0 ? -1 : slash + 1 + next;
    }

    // A layer's entry at its place in the composed tree; ids and hard links are the composed tree's own.
    private static TreeEntry Copy(TreeEntry e, byte[] path) => e with { Path = path, Id = 0, ParentId = null, HardlinkTo = null };
}
