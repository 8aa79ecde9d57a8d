using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine;
using CernVM.Preserve.Posix;
using Microsoft.Win32.SafeHandles;

namespace CernVM.Preserve.Curation.Trees;

/// <summary>A directory of the local file system, walked with full POSIX fidelity (<see cref="TreeWalker"/>).</summary>
public sealed class DirectoryTreeSource : ITreeSource
{
    private readonly TreeWalker _walker;

    public DirectoryTreeSource(string root, IReadOnlyList<string> exclusions, IReadOnlyList<string>? excludedAbsolutePaths = null)
    {
        Root = Path.GetFullPath(root);
        _walker = new TreeWalker(root, exclusions.Select(x => new ExclusionPattern(x)).ToList(), excludedAbsolutePaths);
    }

    public string Root { get; }

    public string Description => Root;

    public IReadOnlyList<CaptureWarning> Warnings => _walker.Warnings;

    public List<TreeEntry> Walk(CancellationToken cancellationToken) => _walker.Walk(cancellationToken);

    public List<TreeEntry> Walk(CancellationToken cancellationToken, Action<TreeEntry> onEntry) => _walker.Walk(cancellationToken, onEntry);

    public IFileContent Open(TreeEntry entry)
    {
        byte[] abs = _walker.AbsolutePath(entry.Path);
        return new PosixFileContent(PosixFs.OpenRead(abs), abs);
    }

    private sealed class PosixFileContent(SafeFileHandle handle, byte[] path) : IFileContent
    {
        public List<(long Offset, long Length)> DataSegments(long size) => PosixFs.DataSegments(handle, size, path);

        public int Read(Span<byte> buffer, long offset) => PosixFs.ReadAt(handle, buffer, offset, path);

        public void Dispose() => handle.Dispose();
    }
}
