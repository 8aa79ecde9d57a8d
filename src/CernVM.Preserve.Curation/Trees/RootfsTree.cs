using CernVM.Preserve.Core;
using CernVM.Preserve.Engine;

namespace CernVM.Preserve.Curation.Trees;

/// <summary>
/// Chooses the tree source for a root file system (FORMAT.md §5.3, <c>os.rootfs</c>), the one way every
/// capture does: an OCI image layout directory, a plain directory, or a file — a container image archive
/// (docker save, OCI layout as tar) when its members say so, else a tarball (compressed or not, by content).
/// </summary>
public static class RootfsTree
{
    /// <summary>Opens the tree at <paramref name="rootfs"/>.</summary>
    /// <param name="rootfs">The absolute path of the root.</param>
    /// <param name="exclude">The curator's exclusion patterns.</param>
    /// <param name="excludeAbsolute">Absolute paths never captured (the archive, when it lies inside a directory tree).</param>
    /// <param name="label">How messages name the root (the spec's field, or the quick form's option).</param>
    /// <param name="resources">Receives what must be disposed once the snapshot is over (an opened tarball, its source).</param>
    /// <param name="cancellationToken">Stops the reading of a tarball's index.</param>
    /// <exception cref="PreserveException">Nothing is at <paramref name="rootfs"/> (kind Usage); a file is no tar archive.</exception>
    public static ITreeSource Open(
        string rootfs,
        IReadOnlyList<string> exclude,
        IReadOnlyList<string> excludeAbsolute,
        string label,
        ICollection<IDisposable> resources,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resources);
        if (Directory.Exists(rootfs))
        {
            if (!ImageTreeSource.IsImageLayout(rootfs))
            {
                return new DirectoryTreeSource(rootfs, exclude, excludeAbsolute);
            }

            var layout = new ImageTreeSource(rootfs, exclude);
            resources.Add(layout);
            return layout;
        }

        if (File.Exists(rootfs))
        {
            LocalTar tar = LocalTar.Open(rootfs, cancellationToken);
            resources.Add(tar);
            TarBackedTreeSource archived = ImageTreeSource.IsImageArchive(tar.MemberNames()) ? new ImageTreeSource(tar, exclude) : new TarTreeSource(tar, exclude);
            resources.Add(archived);
            return archived;
        }

        throw new PreserveException(FailureKind.Usage, $"{label} ({rootfs}) does not exist.");
    }
}
