using System.Text;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Tests.Archiver;

/// <summary>
/// A tree held in memory: a root and regular files directly below it, whose reads a test controls (how many
/// bytes one read gives at most, the data segments a sparse file reports, content that differs from what the
/// walk saw, a read that fails). Every read is recorded.
/// </summary>
internal sealed class MemoryTree : ITreeSource
{
    private readonly SortedDictionary<string, MemoryFile> _files = new(StringComparer.Ordinal);

    public string Description => "memory";

    /// <summary>What the walk reports (the snapshot puts them after the caller's, before the reading's).</summary>
    public List<CaptureWarning> WalkWarnings { get; } = [];

    public IReadOnlyList<CaptureWarning> Warnings => WalkWarnings;

    /// <summary>Every read: the file, the offset asked for, the bytes asked for and the bytes given.</summary>
    public List<(string Path, long Offset, int Asked, int Given)> Reads { get; } = [];

    public MemoryFile this[string path] => _files[path];

    /// <summary>Called when the walk starts.</summary>
    public Action? Walking { get; init; }

    /// <summary>What the walk throws (a root that cannot be read); null when it succeeds.</summary>
    public Exception? WalkError { get; init; }

    /// <summary>The walk goes on until it is cancelled (a large tree), and then throws the cancellation.</summary>
    public bool WalkUntilCancelled { get; init; }

    /// <summary>Called with the path of each file opened, before it is.</summary>
    public Action<string>? Opening { get; init; }

    /// <summary>A file of <paramref name="content"/>, walked at its length unless <paramref name="walkedSize"/> says otherwise.</summary>
    public MemoryFile Add(string path, byte[] content, long? walkedSize = null)
    {
        var file = new MemoryFile(path, content, walkedSize ?? content.Length);
        _files.Add(path, file);
        return file;
    }

    public MemoryFile Add(string path, string content) => Add(path, Encoding.UTF8.GetBytes(content));

    /// <summary>The file's entry as the walk gives it.</summary>
    public TreeEntry Entry(string path)
    {
        int id = 2 + _files.Keys.ToList().IndexOf(path);
        MemoryFile f = _files[path];
        return new TreeEntry
        {
            Id = id, ParentId = 1, Path = Encoding.UTF8.GetBytes(path), Kind = EntryKind.File, Mode = 0b110_100_100,
            Size = f.WalkedSize, MtimeSeconds = 1_700_000_000,
        };
    }

    public List<TreeEntry> Walk(CancellationToken cancellationToken)
    {
        Walking?.Invoke();
        if (WalkError is not null)
        {
            throw WalkError;
        }

        if (WalkUntilCancelled)
        {
            cancellationToken.WaitHandle.WaitOne();
            cancellationToken.ThrowIfCancellationRequested();
        }

        List<TreeEntry> all = [new TreeEntry { Id = 1, Path = [], Kind = EntryKind.Directory, Mode = 0b111_101_101, MtimeSeconds = 1_700_000_000 }];
        all.AddRange(_files.Keys.Select(Entry));
        return all;
    }

    public IFileContent Open(TreeEntry entry)
    {
        MemoryFile f = _files[PathBytes.ToDisplay(entry.Path)];
        Opening?.Invoke(f.Path);
        return f.OpenError is Exception e ? throw e : new Handle(this, f);
    }

    private sealed class Handle(MemoryTree tree, MemoryFile file) : IFileContent
    {
        private int _reads;

        public List<(long Offset, long Length)> DataSegments(long size) =>
            file.Segments ?? (size == 0 ? [] : [(0, size)]);

        public int Read(Span<byte> buffer, long offset)
        {
            _reads++;
            if (file.FailAtRead == _reads)
            {
                throw new IOException("input/output error");
            }

            int n = offset >= file.Content.Length ? 0 : (int)Math.Min(Math.Min(buffer.Length, file.Content.Length - offset), file.ReadLimit);
            file.Content.AsSpan((int)Math.Min(offset, file.Content.Length), n).CopyTo(buffer);
            lock (tree.Reads)
            {
                tree.Reads.Add((file.Path, offset, buffer.Length, n));
            }

            return n;
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>A file of a <see cref="MemoryTree"/>: <see cref="Content"/> is what reading gives, holes as zeros.</summary>
internal sealed class MemoryFile(string path, byte[] content, long walkedSize)
{
    public string Path { get; } = path;

    public byte[] Content { get; } = content;

    public long WalkedSize { get; } = walkedSize;

    /// <summary>The data segments the file reports (FORMAT.md §6.3, holes left out); null for one segment, the whole file.</summary>
    public List<(long Offset, long Length)>? Segments { get; set; }

    /// <summary>The most bytes one read gives.</summary>
    public int ReadLimit { get; set; } = int.MaxValue;

    /// <summary>The read (1 for the first) that fails with an I/O error; 0 for none.</summary>
    public int FailAtRead { get; set; }

    /// <summary>What opening throws (an <see cref="IOException"/> when the file vanished after the walk); null when it opens.</summary>
    public Exception? OpenError { get; set; }
}
