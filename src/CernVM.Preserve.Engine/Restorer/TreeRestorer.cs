using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Diagnostics;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Posix;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Engine.Restorer;

/// <summary>
/// Gives back the tree of a capsule version, exactly: kinds, content, modes incl. setuid/setgid/sticky, owners
/// (as root), nanosecond mtimes, xattrs, hard links, holes (FORMAT.md §6, §6.5). It walks the tree and makes
/// directories, special files, symlinks and hard links itself; content goes through <see cref="FileRestorer"/>;
/// metadata is set last, children before parents, so a directory's mode and mtime hold at the end.
/// </summary>
/// <remarks>
/// Safety: every catalog path is a plain relative path whose parent is a directory entry of the same catalog
/// (<c>TreeCatalogInvariants</c>, checked when the catalog is read), directories are made by this restore, files are created with
/// O_EXCL|O_NOFOLLOW, and symlinks are made only after all content is written, so nothing is ever written
/// outside the target and no symlink of the tree is followed.
/// </remarks>
public sealed class TreeRestorer
{
    private const int DirectoryModeWhileWriting = 0b111_000_000;
    private const int NodeModeWhileWriting = 0b110_000_000;
    private readonly Archive _archive;
    private readonly RestoreMonitor _monitor;

    public TreeRestorer(Archive archive, RestoreMonitor? monitor = null)
    {
        ArgumentNullException.ThrowIfNull(archive);
        _archive = archive;
        _monitor = monitor ?? new RestoreMonitor();
    }

    /// <summary>Loads the tree the checked manifest names, then restores it.</summary>
    public async Task<RestoreResult> RestoreAsync(LoadedManifest version, RestoreOptions options, CancellationToken cancellationToken)
    {
        LoadedTree tree = await TreeLoader.LoadAsync(_archive, version, cancellationToken).ConfigureAwait(false);
        return await RestoreAsync(tree, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Restores <paramref name="tree"/> into the new or empty directory <see cref="RestoreOptions.Target"/>.</summary>
    /// <exception cref="PreserveException">The target is not usable (Usage, Environment); the disk is full (Environment).</exception>
    public Task<RestoreResult> RestoreAsync(LoadedTree tree, RestoreOptions options, CancellationToken cancellationToken) =>
        RestoreAsync(tree, options, PosixFs.IsPrivileged, cancellationToken);

    /// <summary>
    /// As above, restoring as root would (<paramref name="privileged"/>: owners set, device nodes made, an
    /// attribute that cannot be set an error) or as any other user would (each of those a warning); the tests
    /// take the second way as root.
    /// </summary>
    internal async Task<RestoreResult> RestoreAsync(LoadedTree tree, RestoreOptions options, bool privileged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(options);
        var dropped = new List<RestoreProblem>();
        if (options.NoSetuid)
        {
            tree = WithoutPrivilegeBits(tree, dropped);
        }

        var run = new RestoreRun(tree, RestoreTarget.Prepare(options.Target), privileged, options);
        run.Problems.AddRange(dropped);

        MakeDirectoriesFilesAndNodes(run, cancellationToken);
        Timeline.Mark("restore: pass 1 (directories) done");

        await new FileRestorer(_archive.Blobs, _monitor, run, options.VerifyWrittenFiles).RestoreAsync(Math.Max(1, options.Workers), cancellationToken).ConfigureAwait(false);
        Timeline.Mark("restore: pass 2 (content) done");

        // Symlinks, then hard links: only now, so that no write above could follow a link.
        MakeSymlinks(run);
        MakeHardLinks(run, new HardLinkIndex(tree));
        Timeline.Mark("restore: pass 3 (links) done");

        SetMetadata(run, cancellationToken);
        Timeline.Mark("restore: pass 4 (metadata) done");
        return Count(run);
    }

    // Pass 1, in id order (parents first): directories, files (empty, sparse or of several extents; a file
    // written whole is created with its content), device nodes, fifos, sockets.
    internal static void MakeDirectoriesFilesAndNodes(RestoreRun run, CancellationToken cancellationToken)
    {
        foreach (TreeEntry e in run.Tree.Entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (e.Path.Length == 0)
            {
                run.Made(e); // the target itself
                continue;
            }

            if (!run.ParentMade(e) || e.HardlinkTo is not null || e.Kind == EntryKind.Symlink)
            {
                continue; // below something not made (reported there), or pass 3
            }

            try
            {
                MakeEntry(run, e);
            }
            catch (PosixException ex) when (!ex.IsNoSpace)
            {
                run.Report(ReportCode.EntryNotRestored.Code, e, ex.Message, true);
            }
            catch (PosixException ex)
            {
                throw new PreserveException(FailureKind.Environment, $"{run.Target.Text}: the disk is full ({ex.Message}).", ex);
            }
        }
    }

    private static void MakeEntry(RestoreRun run, TreeEntry e)
    {
        if (e.Kind == EntryKind.Directory)
        {
            // FORMAT.md §6.5: a directory not captured is given back empty; one that could not be read at
            // capture then looks like an empty directory that was, which the user must hear about.
            PosixFs.MakeDirectory(run.PathOf(e), DirectoryModeWhileWriting);
            run.Made(e);
            if (e.State == EntryState.Unreadable)
            {
                run.Report(ReportCode.UnreadableDirectoryRestoredEmpty.Code, e, $"restored empty: the directory could not be read at capture ({e.Note}), so what it held is not in the archive", false);
            }
        }
        else if (e.State != EntryState.Captured)
        {
            run.Report(ReportCode.NotCapturedNotRestored.Code, e, $"not restored: it was {e.State.ToString().ToLowerInvariant()} at capture ({e.Note})", false);
        }
        else if (e.Kind == EntryKind.File)
        {
            if (!FilesWriter.IsWhole(e))
            {
                FilesWriter.CreateSized(run.PathOf(e), e.Size);
            }

            run.Made(e);
        }
        else if (e.Kind is EntryKind.CharDevice or EntryKind.BlockDevice && run.NoDevices)
        {
            run.Report(ReportCode.LeftOutOnRequest.Code, e, $"device node {e.DeviceMajor}:{e.DeviceMinor} not made (--no-devices)", false);
        }
        else if (e.Kind is EntryKind.CharDevice or EntryKind.BlockDevice && !run.Privileged)
        {
            run.Report(ReportCode.DeviceNotMade.Code, e, "device node not made: only root can (restore as root to get it)", false);
        }
        else
        {
            PosixFs.MakeNode(run.PathOf(e), e.Kind, NodeModeWhileWriting, e.DeviceMajor, e.DeviceMinor);
            run.Made(e);
        }
    }

    private static void MakeSymlinks(RestoreRun run)
    {
        foreach (TreeEntry e in run.Tree.Entries)
        {
            if (e.Kind != EntryKind.Symlink || e.HardlinkTo is not null || !run.ParentMade(e))
            {
                continue;
            }

            try
            {
                PosixFs.Symlink(e.LinkTarget ?? [], run.PathOf(e));
                run.Made(e);
            }
            catch (PosixException ex)
            {
                run.Report(ReportCode.EntryNotRestored.Code, e, ex.Message, true);
            }
        }
    }

    private static void MakeHardLinks(RestoreRun run, HardLinkIndex links)
    {
        foreach ((TreeEntry link, TreeEntry first) in links.Links)
        {
            if (!run.ParentMade(link))
            {
                continue;
            }

            if (!run.IsMade(first.Id))
            {
                run.Report(ReportCode.HardLinkTargetMissing.Code, link, $"hard link to '{first.DisplayPath}', which was not restored", true);
                continue;
            }

            try
            {
                PosixFs.HardLink(run.PathOf(first), run.PathOf(link));
                run.Made(link);
            }
            catch (PosixException ex)
            {
                run.Report(ReportCode.EntryNotRestored.Code, link, ex.Message, true);
            }
        }
    }

    // Pass 4, children before parents, so a directory's mtime and mode are set after everything inside it. A
    // hard link shares its first name's metadata; a file written whole got its own when written.
    internal static void SetMetadata(RestoreRun run, CancellationToken cancellationToken)
    {
        if (!run.Privileged)
        {
            run.Report(ReportCode.OwnersNotRestored.Code, null, "not running as root: owners are not restored (files belong to the restoring user)", false);
        }
        else if (!run.RestoreOwners)
        {
            run.Report(ReportCode.LeftOutOnRequest.Code, null, "owners not set (--no-owners): files belong to the restoring user", false);
        }

        List<TreeEntry> entries = run.Tree.Entries;
        for (int i = entries.Count - 1; i >= 0; i--)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TreeEntry e = entries[i];
            if (!run.IsMade(e.Id) || e.HardlinkTo is not null || run.HasMetadata(e.Id))
            {
                continue;
            }

            try
            {
                EntryMetadata.Apply(run.PathOf(e), e, run.Privileged, run.RestoreOwners, run.Problems.Add);
            }
            catch (PosixException ex)
            {
                run.Report(ReportCode.EntryNotRestored.Code, e, ex.Message, true);
            }
        }
    }

    private const int SetuidSetgid = 0b110_000_000_000; // 06000
    private static readonly byte[] FileCapabilities = "security.capability"u8.ToArray();

    /// <summary>
    /// The tree with every setuid and setgid bit cleared and every file capability left out (--no-setuid),
    /// each entry that had one reported. The sticky bit stays: it grants nothing.
    /// </summary>
    private static LoadedTree WithoutPrivilegeBits(LoadedTree tree, List<RestoreProblem> report)
    {
        var entries = new List<TreeEntry>(tree.Entries.Count);
        foreach (TreeEntry e in tree.Entries)
        {
            bool bits = (e.Mode & SetuidSetgid) != 0 && e.Kind != EntryKind.Directory;
            bool caps = e.XAttrs.Any(x => x.Name.AsSpan().SequenceEqual(FileCapabilities));
            if (!bits && !caps)
            {
                entries.Add(e);
                continue;
            }

            entries.Add(e with
            {
                Mode = bits ? e.Mode & ~SetuidSetgid : e.Mode,
                XAttrs = caps ? [.. e.XAttrs.Where(x => !x.Name.AsSpan().SequenceEqual(FileCapabilities))] : e.XAttrs,
            });
            string what = (bits, caps) switch
            {
                (true, true) => "setuid/setgid bits and file capabilities",
                (true, false) => "setuid/setgid bits",
                _ => "file capabilities",
            };
            report.Add(new RestoreProblem(ReportCode.LeftOutOnRequest.Code, e.DisplayPath, $"{what} dropped (--no-setuid): mode {Convert.ToString(e.Mode, 8)} restored as {Convert.ToString(bits ? e.Mode & ~SetuidSetgid : e.Mode, 8)}", false));
        }

        return new LoadedTree(tree.Capsule, tree.Version, tree.Catalog, entries);
    }

    private static RestoreResult Count(RestoreRun run)
    {
        long restored = 0, files = 0, bytes = 0, excluded = 0, pseudo = 0, unreadable = 0, notRestored = 0;
        foreach (TreeEntry e in run.Tree.Entries)
        {
            switch (e.State)
            {
                case EntryState.Excluded: excluded++; continue;
                case EntryState.Pseudo: pseudo++; continue;
                case EntryState.Unreadable: unreadable++; continue;
            }

            if (!run.IsMade(e.Id))
            {
                notRestored++;
                continue;
            }

            restored++;
            if (e.Kind == EntryKind.File && e.HardlinkTo is null)
            {
                files++;
                bytes += e.Size;
            }
        }

        return new RestoreResult
        {
            Entries = run.Tree.Entries.Count,
            Restored = restored,
            Files = files,
            Bytes = bytes,
            Excluded = excluded,
            Pseudo = pseudo,
            Unreadable = unreadable,
            NotRestored = notRestored,
            Problems = run.Problems,
        };
    }
}
