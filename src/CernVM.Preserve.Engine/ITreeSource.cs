using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine;

/// <summary>
/// A tree to capture: a directory, an image, a CernVM-FS revision, or several of them composed. The
/// snapshotter needs only its entries and a way to read a regular file.
/// </summary>
public interface ITreeSource
{
    /// <summary>What the tree is, for the manifest and for messages.</summary>
    string Description { get; }

    /// <summary>Warnings met while walking (FORMAT.md §5.2 codes).</summary>
    IReadOnlyList<CaptureWarning> Warnings { get; }

    /// <summary>
    /// Every entry, paths relative to the tree's root (the root being the empty path), ids 1..n depth-first
    /// in ordinal name order (parents before children), hard links pointing to smaller ids.
    /// </summary>
    List<TreeEntry> Walk(CancellationToken cancellationToken);

    /// <summary>
    /// Walks like <see cref="Walk(CancellationToken)"/> and hands every entry to <paramref name="onEntry"/>, in id
    /// order, once the walk will not change it again: a snapshot reads files while the walk goes on. By
    /// default, after the whole walk.
    /// </summary>
    List<TreeEntry> Walk(CancellationToken cancellationToken, Action<TreeEntry> onEntry)
    {
        List<TreeEntry> entries = Walk(cancellationToken);
        foreach (TreeEntry e in entries)
        {
            onEntry(e);
        }

        return entries;
    }

    /// <summary>Opens a regular file of this tree for reading.</summary>
    /// <exception cref="IOException">The file cannot be read; the snapshot records it as unreadable.</exception>
    IFileContent Open(TreeEntry entry);
}

/// <summary>An opened regular file of a tree source.</summary>
public interface IFileContent : IDisposable
{
    /// <summary>The stretches holding data; holes of a sparse file are left out.</summary>
    List<(long Offset, long Length)> DataSegments(long size);

    /// <summary>Reads at <paramref name="offset"/>; returns 0 at the end.</summary>
    int Read(Span<byte> buffer, long offset);
}
