using System.Diagnostics;
using System.Globalization;

namespace CernVM.Preserve.Replay.Images;

/// <summary>A read-only disk image of a capsule's tree, and what building it took.</summary>
/// <param name="Path">The image file.</param>
/// <param name="FileSystem">Its file system as the guest mounts it (<c>ext4</c>).</param>
/// <param name="TreeBytes">Bytes of file content in the tree.</param>
/// <param name="Entries">Entries of the tree.</param>
/// <param name="RestoreTime">Time to reconstitute the tree from the archive (every blob verified).</param>
/// <param name="ImageTime">Time to make the file system from it.</param>
/// <param name="Notes">What the image could not keep (restore problems, such as device nodes made as a non-root user).</param>
public sealed record TreeImage(string Path, string FileSystem, long TreeBytes, long Entries, TimeSpan RestoreTime, TimeSpan ImageTime, IReadOnlyList<string> Notes);

/// <summary>
/// Builds the read-only disk image a replay boots: the capsule's tree reconstituted from the archive (every
/// blob checked against its SHA-256, FORMAT.md §4) and made into an ext4 file system by <c>mke2fs -d</c>, which
/// needs no loop mount and no root, and keeps owners, modes, device nodes, symlinks, hard links and extended
/// attributes as the tree holds them. ext4 was chosen by measurement over squashfs (docs/benchmarks.md): the
/// carrier's kernel has it built in, and mke2fs writes the image several times faster than mksquashfs
/// compresses it. The image has no journal: it is only ever mounted read-only.
/// </summary>
public static class TreeImageBuilder
{
    /// <summary>Writes the image of a reconstituted tree to <paramref name="imagePath"/>.</summary>
    /// <exception cref="PreserveException">Environment: mke2fs is missing or failed.</exception>
    public static async Task<TreeImage> BuildAsync(ReconstitutedTree tree, string imagePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tree);

        // Room for the content, one block per entry (small files, directories, inodes' overflow), and slack for
        // the file system's own tables; the file is sparse, so unused room costs nothing on the host.
        long bytes = tree.Bytes + (tree.Entries * 4096) + (32L << 20);
        long megabytes = (long)Math.Ceiling(bytes * 1.15 / (1 << 20));
        var clock = Stopwatch.StartNew();
        await ExternalProgram.RunAsync(
            "mke2fs",
            "e2fsprogs",
            ["-q", "-F", "-t", "ext4", "-O", "^has_journal", "-m", "0", "-N", (tree.Entries + 1024).ToString(CultureInfo.InvariantCulture), "-L", "capsule", "-d", tree.Directory, imagePath, megabytes.ToString(CultureInfo.InvariantCulture) + "M"],
            cancellationToken).ConfigureAwait(false);
        return new TreeImage(imagePath, "ext4", tree.Bytes, tree.Entries, tree.Elapsed, clock.Elapsed, tree.Notes);
    }
}
