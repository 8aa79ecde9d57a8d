using System.Text;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Tests;

/// <summary>
/// Builds a tree as a snapshot records it (FORMAT.md §6.2), with the blobs its files' extents name: the one
/// place the tests make catalog entries. Entries must be added parents first; ids follow the order of adding.
/// </summary>
public sealed class TreeBuilder
{
    private readonly Dictionary<string, TreeEntry> _byPath = new(StringComparer.Ordinal);

    public TreeBuilder(int rootMode = 0b111_101_101)
    {
        Add(new TreeEntry { Path = [], Kind = EntryKind.Directory, Mode = rootMode, MtimeSeconds = 1_000_000_000 });
    }

    public List<TreeEntry> Entries { get; } = [];

    /// <summary>Blobs by id, as the archive must hold them.</summary>
    public Dictionary<BlobId, byte[]> Blobs { get; } = [];

    public static int Octal(string mode) => Convert.ToInt32(mode, 8);

    public TreeEntry this[string path] => _byPath[path];

    public TreeEntry Dir(string path, string mode = "755", EntryState state = EntryState.Captured, string? note = null) =>
        Add(new TreeEntry { Path = Bytes(path), ParentId = ParentOf(path), Kind = EntryKind.Directory, Mode = Octal(mode), State = state, Note = note, MtimeSeconds = 1_100_000_000, MtimeNanoseconds = 123_456_789 });

    /// <summary>A file held whole by one blob of its own.</summary>
    public TreeEntry File(string path, string content, string mode = "644") => File(path, Encoding.UTF8.GetBytes(content), mode);

    public TreeEntry File(string path, byte[] content, string mode = "644")
    {
        List<Extent> extents = content.Length == 0 ? [] : [new Extent(0, content.Length, PutBlob(content), 0)];
        return Add(new TreeEntry
        {
            Path = Bytes(path), ParentId = ParentOf(path), Kind = EntryKind.File, Mode = Octal(mode), Size = content.Length,
            Content = BlobId.Of(content), Extents = extents, MtimeSeconds = 1_200_000_000, MtimeNanoseconds = 5,
        });
    }

    /// <summary>Several small files packed into one bundle blob, as the writer does below its threshold (FORMAT.md §4.2).</summary>
    public IReadOnlyList<TreeEntry> Bundle(params (string Path, string Content)[] files)
    {
        byte[] bundle = Encoding.UTF8.GetBytes(string.Concat(files.Select(f => f.Content)));
        BlobId id = PutBlob(bundle);
        var made = new List<TreeEntry>();
        long offset = 0;
        foreach ((string path, string content) in files)
        {
            byte[] c = Encoding.UTF8.GetBytes(content);
            made.Add(Add(new TreeEntry
            {
                Path = Bytes(path), ParentId = ParentOf(path), Kind = EntryKind.File, Mode = Octal("644"), Size = c.Length,
                Content = BlobId.Of(c), Extents = [new Extent(0, c.Length, id, offset)], MtimeSeconds = 1_200_000_000,
            }));
            offset += c.Length;
        }

        return made;
    }

    /// <summary>A sparse file of <paramref name="size"/> bytes: each piece in a blob of its own, zeros (holes) elsewhere.</summary>
    public TreeEntry Sparse(string path, long size, params (long Offset, byte[] Data)[] pieces)
    {
        byte[] whole = new byte[size];
        var extents = new List<Extent>();
        foreach ((long offset, byte[] data) in pieces)
        {
            data.CopyTo(whole, offset);
            extents.Add(new Extent(offset, data.Length, PutBlob(data), 0));
        }

        return Add(new TreeEntry
        {
            Path = Bytes(path), ParentId = ParentOf(path), Kind = EntryKind.File, Mode = Octal("600"), Size = size,
            Content = BlobId.Of(whole), Extents = extents, MtimeSeconds = 1_300_000_000,
        });
    }

    public TreeEntry Symlink(string path, string target) =>
        Add(new TreeEntry { Path = Bytes(path), ParentId = ParentOf(path), Kind = EntryKind.Symlink, Mode = Octal("777"), LinkTarget = Bytes(target), Size = Bytes(target).Length, MtimeSeconds = 1_400_000_000 });

    public TreeEntry HardLink(string path, string first) =>
        Add(new TreeEntry { Path = Bytes(path), ParentId = ParentOf(path), Kind = _byPath[first].Kind, Mode = _byPath[first].Mode, HardlinkTo = _byPath[first].Id, Size = _byPath[first].Size });

    public TreeEntry Fifo(string path) =>
        Add(new TreeEntry { Path = Bytes(path), ParentId = ParentOf(path), Kind = EntryKind.Fifo, Mode = Octal("640"), MtimeSeconds = 1_500_000_000 });

    public TreeEntry Device(string path, int major, int minor, string mode = "660") =>
        Add(new TreeEntry { Path = Bytes(path), ParentId = ParentOf(path), Kind = EntryKind.CharDevice, Mode = Octal(mode), DeviceMajor = major, DeviceMinor = minor, MtimeSeconds = 1_500_000_000 });

    /// <summary>Gives a file an extended attribute (xattrs are kept in name order, FORMAT.md §6.4).</summary>
    public void AddXAttr(string path, string name, byte[] value) =>
        Replace(path, e => e with { XAttrs = [.. e.XAttrs.Append(new XAttr(Bytes(name), value)).OrderBy(x => x.Name, Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b)))] });

    /// <summary>An entry recorded without its content: excluded, pseudo or unreadable at capture.</summary>
    public TreeEntry NotCaptured(string path, EntryKind kind, EntryState state, string note, string mode = "644") =>
        Add(new TreeEntry { Path = Bytes(path), ParentId = ParentOf(path), Kind = kind, State = state, Note = note, Mode = Octal(mode) });

    /// <summary>An entry exactly as given (tests of damaged or hostile catalogs); its id is assigned here.</summary>
    public TreeEntry Raw(string path, EntryKind kind, long? parentId, long? hardlinkTo = null) =>
        Add(new TreeEntry { Path = Bytes(path), ParentId = parentId, Kind = kind, Mode = Octal("644"), HardlinkTo = hardlinkTo });

    /// <summary>Records another content hash for a file than its extents give (a defect of a writer).</summary>
    public void RecordContent(string path, BlobId content) => Replace(path, e => e with { Content = content });

    public void Change(string path, Func<TreeEntry, TreeEntry> change) => Replace(path, change);

    public void ChangeOwnerAndMode(string path, long uid, string mode) => Replace(path, e => e with { Uid = uid, Mode = Octal(mode) });

    private void Replace(string path, Func<TreeEntry, TreeEntry> change)
    {
        TreeEntry old = _byPath[path];
        TreeEntry changed = change(old);
        Entries[Entries.FindIndex(e => ReferenceEquals(e, old))] = changed;
        _byPath[path] = changed;
    }

    public void Remove(string path)
    {
        Entries.Remove(_byPath[path]);
        _byPath.Remove(path);
    }

    private TreeEntry Add(TreeEntry e)
    {
        e = e with { Id = Entries.Count + 1 };
        Entries.Add(e);
        _byPath[Encoding.UTF8.GetString(e.Path)] = e;
        return e;
    }

    private BlobId PutBlob(byte[] content)
    {
        BlobId id = BlobId.Of(content);
        Blobs[id] = content;
        return id;
    }

    private long? ParentOf(string path)
    {
        int slash = path.LastIndexOf('/');
        return _byPath[slash < 0 ? "" : path[..slash]].Id;
    }

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);
}
