using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Trees;

/// <summary>
/// The tree of one capsule version, read from its verified catalog and checked for structure (FORMAT.md §6.2):
/// entries in id order, the root first, every parent a directory listed before its children.
/// </summary>
public sealed class LoadedTree
{
    private Dictionary<long, TreeEntry>? _byId;

    public LoadedTree(CapsuleName capsule, int version, BlobId catalog, List<TreeEntry> entries)
    {
        Capsule = capsule;
        Version = version;
        Catalog = catalog;
        Entries = entries;
    }

    public CapsuleName Capsule { get; }

    public int Version { get; }

    /// <summary>The blob id of the catalog the entries were read from.</summary>
    public BlobId Catalog { get; }

    /// <summary>Every entry, in id order (parents before children).</summary>
    public List<TreeEntry> Entries { get; }

    public string Name => $"{Capsule}@v{Version}";

    public TreeEntry this[long id] => (_byId ??= Entries.ToDictionary(e => e.Id))[id];

    /// <summary>The entry at <paramref name="path"/> (raw bytes, relative, the root being empty), or null.</summary>
    public TreeEntry? Find(ReadOnlySpan<byte> path)
    {
        foreach (TreeEntry e in Entries)
        {
            if (e.Path.AsSpan().SequenceEqual(path))
            {
                return e;
            }
        }

        return null;
    }

    /// <summary>The entry a user names ("/usr/bin", "usr/bin", "/"), or a NotFound failure naming the version.</summary>
    /// <exception cref="PreserveException">No such entry (kind NotFound).</exception>
    public TreeEntry Resolve(string? text)
    {
        byte[] path = TreePath.Parse(text);
        return Find(path) ?? throw new PreserveException(FailureKind.NotFound, $"{Name} has no entry '/{PathBytes.ToDisplay(path)}'.");
    }

    /// <summary>The entry holding the content and metadata of <paramref name="e"/>: its first name for a hard link.</summary>
    public TreeEntry FirstName(TreeEntry e) => e.HardlinkTo is long first ? this[first] : e;

    /// <summary>The entries directly inside the directory <paramref name="directory"/>.</summary>
    public IEnumerable<TreeEntry> Children(TreeEntry directory) => Entries.Where(e => e.ParentId == directory.Id);

    /// <summary>Every entry below the directory <paramref name="directory"/>, at any depth.</summary>
    public IEnumerable<TreeEntry> Descendants(TreeEntry directory)
    {
        byte[] prefix = directory.Path.Length == 0 ? [] : [.. directory.Path, (byte)'/'];
        return Entries.Where(e => e.Id != directory.Id && e.Path.AsSpan().StartsWith(prefix));
    }
}
