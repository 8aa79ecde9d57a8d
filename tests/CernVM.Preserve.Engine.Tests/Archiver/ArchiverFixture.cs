using System.Threading.Channels;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Engine.Archiver;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Engine.Tests.Archiver;

/// <summary>A temporary directory holding a tree to capture and a real directory archive beside it.</summary>
internal sealed class ArchiverFixture : IAsyncDisposable
{
    private ArchiverFixture(string root, Archive archive)
    {
        Root = root;
        Archive = archive;
    }

    public string Root { get; }

    public string Tree => Path.Combine(Root, "tree");

    public Archive Archive { get; }

    public static async Task<ArchiverFixture> CreateAsync()
    {
        string root = Directory.CreateTempSubdirectory("cvmp-archiver-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "tree"));
        Archive archive = await Archive.InitAsync(new FileSystemObjectStore(Path.Combine(root, "archive")), null, default);
        return new ArchiverFixture(root, archive);
    }

    /// <summary>Writes a file of the tree (parents made as needed) and returns its path.</summary>
    public string Write(string relative, byte[] content)
    {
        string path = Path.Combine(Tree, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    public DirectoryTreeSource Source(params string[] exclude) => new(Tree, exclude);

    /// <summary>Bytes that do not compress and do not repeat.</summary>
    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Walks the tree with the scanner and returns every entry and the pending files it handed out.</summary>
    public (List<TreeEntry> Entries, List<PendingFile> Files) Scan(ITreeSource source, SnapshotMonitor? monitor = null)
    {
        var files = Channel.CreateUnbounded<PendingFile>();
        var rows = Channel.CreateUnbounded<(TreeEntry, PendingFile?)>();
        List<TreeEntry> entries = new Scanner(source, monitor ?? new SnapshotMonitor()).Run(files.Writer, rows.Writer, default);
        var pending = new List<PendingFile>();
        while (files.Reader.TryRead(out PendingFile? f))
        {
            pending.Add(f);
        }

        return (entries, pending);
    }

    /// <summary>Saves every file with a file saver and as many blob savers as asked, as a snapshot does.</summary>
    public async Task<FileSaver> SaveAsync(ITreeSource source, IReadOnlyList<PendingFile> files, IReadOnlyList<TreeEntry> previous, SnapshotMonitor monitor, int blobSavers = 2)
    {
        var saver = new FileSaver(source, Archive.Descriptor.Chunking, monitor, new UnchangedFiles(previous));
        var work = Channel.CreateBounded<BlobWork>(4);
        var blobs = new BlobSaver(Archive.Blobs, monitor);
        Task[] consumers = Enumerable.Range(0, blobSavers).Select(_ => Task.Run(() => blobs.RunAsync(work.Reader, default))).ToArray();
        var input = Channel.CreateUnbounded<PendingFile>();
        foreach (PendingFile f in files)
        {
            input.Writer.TryWrite(f);
        }

        input.Writer.Complete();
        await saver.RunAsync(input.Reader, work.Writer, default);
        work.Writer.Complete();
        await Task.WhenAll(consumers);
        await Task.WhenAll(files.Select(f => f.Done)).WaitAsync(TimeSpan.FromSeconds(30));
        return saver;
    }

    public async ValueTask DisposeAsync()
    {
        await Archive.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }
}
