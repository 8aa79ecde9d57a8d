using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Posix;
using Microsoft.Win32.SafeHandles;

namespace CernVM.Preserve.Engine.Restorer;

/// <summary>
/// Sets an entry's recorded metadata (FORMAT.md §6.5): owner (as root), mode, xattrs, mtime. chown comes
/// first: it clears setuid/setgid and file capabilities, which are set after it.
/// </summary>
internal static class EntryMetadata
{
    private const int NotSupported = 95; // EOPNOTSUPP: the target's file system has no such xattrs

    /// <summary>By path, without following symlinks.</summary>
    /// <exception cref="PosixException">The owner, mode or time could not be set.</exception>
    public static void Apply(byte[] path, TreeEntry e, bool privileged, bool owners, Action<RestoreProblem> report)
    {
        if (owners)
        {
            PosixFs.LChown(path, e.Uid, e.Gid);
        }

        if (e.Kind != EntryKind.Symlink)
        {
            PosixFs.Chmod(path, e.Mode);
        }

        foreach (XAttr x in e.XAttrs)
        {
            try
            {
                PosixFs.SetXAttr(path, x.Name, x.Value);
            }
            catch (PosixException ex) when (!privileged || ex.Errno == NotSupported)
            {
                report(XAttrNotRestored(e, ex));
            }
        }

        PosixFs.SetTimes(path, e.MtimeSeconds, e.MtimeNanoseconds);
    }

    /// <summary>Through the descriptor a file's content was just written with.</summary>
    /// <exception cref="PosixException">The owner, mode or time could not be set.</exception>
    public static void Apply(SafeFileHandle handle, byte[] path, TreeEntry e, bool privileged, bool owners, Action<RestoreProblem> report)
    {
        PosixFs.SetMetadata(handle, path, owners ? (e.Uid, e.Gid) : null, e.Mode, e.XAttrs.Select(a => (a.Name, a.Value)).ToList(), e.MtimeSeconds, e.MtimeNanoseconds, (_, ex) =>
        {
            if (privileged && ex.Errno != NotSupported)
            {
                throw ex;
            }

            report(XAttrNotRestored(e, ex));
        });
    }

    private static RestoreProblem XAttrNotRestored(TreeEntry e, PosixException ex) =>
        new(ReportCode.XattrNotRestored.Code, e.DisplayPath, $"extended attribute not restored: {ex.Message}", false);
}
