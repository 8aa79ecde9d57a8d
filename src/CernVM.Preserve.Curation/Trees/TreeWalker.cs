using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Posix;

namespace CernVM.Preserve.Curation.Trees;

/// <summary>
/// Walks a directory tree and records every entry with full POSIX metadata (FORMAT.md §6.2), without reading
/// file content. Ids are assigned depth-first in ordinal name order, so parents come before children and the
/// same tree gives the same ids.
/// </summary>
public sealed class TreeWalker
{
    private readonly byte[] _root;
    private readonly IReadOnlyList<ExclusionPattern> _exclusions;
    private readonly IReadOnlyList<byte[]> _excludedAbsolute;

    public TreeWalker(string root, IReadOnlyList<ExclusionPattern> exclusions, IReadOnlyList<string>? excludedAbsolutePaths = null)
    {
        _root = PosixFs.FromString(Path.GetFullPath(root).TrimEnd('/') is { Length: > 0 } r ? r : "/");
        _exclusions = exclusions;
        _excludedAbsolute = (excludedAbsolutePaths ?? []).Select(p => PosixFs.FromString(Path.GetFullPath(p).TrimEnd('/'))).ToList();
    }

    public List<CaptureWarning> Warnings { get; } = [];

    /// <summary>The absolute path of an entry of this tree.</summary>
    public byte[] AbsolutePath(byte[] relative)
    {
        if (relative.Length == 0)
        {
            return _root;
        }

        return _root is [(byte)'/'] ? [(byte)'/', .. relative] : PathBytes.Join(_root, relative);
    }

    /// <exception cref="Core.PreserveException">The root is missing or not a directory (kind Usage).</exception>
    public List<TreeEntry> Walk(CancellationToken cancellationToken) => Walk(cancellationToken, null);

    /// <summary>
    /// Walks, handing each entry to <paramref name="onEntry"/> once it is final: when the walk moves on to
    /// the next one (nothing of an entry is changed after its own step).
    /// </summary>
    /// <exception cref="Core.PreserveException">The root is missing or not a directory (kind Usage).</exception>
    public List<TreeEntry> Walk(CancellationToken cancellationToken, Action<TreeEntry>? onEntry)
    {
        if (!PosixFs.TryLStat(_root, out FileStatus rootStatus, out int errno))
        {
            throw new Core.PreserveException(Core.FailureKind.Usage, $"{PathBytes.ToDisplay(_root)}: cannot read the tree to snapshot ({System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}).");
        }

        if (rootStatus.Kind != EntryKind.Directory)
        {
            throw new Core.PreserveException(Core.FailureKind.Usage, $"{PathBytes.ToDisplay(_root)} is not a directory; --rootfs names the root directory of a tree.");
        }

        (Dictionary<long, string> users, Dictionary<long, string> groups) = ReadOwnerNames();
        var entries = new List<TreeEntry>();
        var inodes = new Dictionary<(ulong Dev, ulong Ino), (long Id, long Size)>();
        var stack = new Stack<(byte[] Path, long? Parent, ulong ParentDev)>();
        int handedOut = 0;
        stack.Push(([], null, rootStatus.Device));
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            HandOut();
            (byte[] rel, long? parent, ulong parentDev) = stack.Pop();
            byte[] abs = AbsolutePath(rel);
            if (!PosixFs.TryLStat(abs, out FileStatus st, out errno))
            {
                Warnings.Add(CaptureWarning.For(ReportCode.EntryVanished, PathBytes.ToDisplay(rel), $"vanished or unreadable while walking: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}"));
                continue;
            }

            // Everything of this step is found out first, then the entry is made once (entries are immutable).
            long id = entries.Count + 1;
            IReadOnlyList<XAttr> xattrs = [];
            try
            {
                xattrs = PosixFs.ReadXAttrs(abs);
            }
            catch (PosixException ex)
            {
                Warnings.Add(CaptureWarning.For(ReportCode.XattrsUnreadable, PathBytes.ToDisplay(rel), $"extended attributes not readable: {ex.Message}"));
            }

            long size = st.Kind == EntryKind.File ? st.Size : 0;
            byte[]? target = null;
            EntryState state = EntryState.Captured;
            string? note = null;
            if (st.Kind == EntryKind.Symlink)
            {
                try
                {
                    target = PosixFs.ReadLink(abs);
                    size = target.Length;
                }
                catch (PosixException ex)
                {
                    (state, note) = Unreadable(PathBytes.ToDisplay(rel), ex.Message);
                    target = [];
                }
            }

            long? hardlinkTo = null;
            bool descend = false;
            if (rel.Length > 0 && IsExcluded(rel, abs, out string? why))
            {
                (state, note) = (EntryState.Excluded, why);
            }
            else if (st.Kind != EntryKind.Directory && st.LinkCount > 1)
            {
                if (inodes.TryGetValue((st.Device, st.Inode), out (long Id, long Size) first))
                {
                    hardlinkTo = first.Id;
                    size = first.Size;
                }
                else
                {
                    inodes[(st.Device, st.Inode)] = (id, size);
                }
            }
            else if (st.Kind == EntryKind.Directory)
            {
                if (rel.Length > 0 && st.Device != parentDev && PosixFs.PseudoFileSystemType(abs) is string fs)
                {
                    (state, note) = (EntryState.Pseudo, fs);
                }
                else
                {
                    descend = true;
                }
            }

            var e = new TreeEntry
            {
                Id = id,
                ParentId = parent,
                Path = rel,
                Kind = st.Kind,
                State = state,
                Mode = st.Mode,
                Uid = st.Uid,
                Gid = st.Gid,
                UserName = users.GetValueOrDefault(st.Uid),
                GroupName = groups.GetValueOrDefault(st.Gid),
                MtimeSeconds = st.MtimeSeconds,
                MtimeNanoseconds = st.MtimeNanoseconds,
                Size = size,
                DeviceMajor = st.Kind is EntryKind.CharDevice or EntryKind.BlockDevice ? (int)st.DeviceMajor : 0,
                DeviceMinor = st.Kind is EntryKind.CharDevice or EntryKind.BlockDevice ? (int)st.DeviceMinor : 0,
                LinkTarget = target,
                HardlinkTo = hardlinkTo,
                XAttrs = xattrs,
                Note = note,
                Observed = new SourceObservation((long)st.Device, (long)st.Inode, st.CtimeSeconds, st.CtimeNanoseconds),
            };
            entries.Add(e);
            if (!descend)
            {
                continue;
            }

            List<byte[]> names;
            try
            {
                names = PosixFs.ReadDirectory(abs);
            }
            catch (PosixException ex)
            {
                // Not handed out yet: the entry is still this step's to replace.
                (EntryState unreadable, string reason) = Unreadable(e.DisplayPath, ex.Message);
                entries[^1] = e with { State = unreadable, Note = reason };
                continue;
            }

            // Push in reverse so that the smallest name is walked first (ids in ordinal order).
            for (int i = names.Count - 1; i >= 0; i--)
            {
                stack.Push((PathBytes.Join(rel, names[i]), e.Id, st.Device));
            }
        }

        HandOut();
        return entries;

        // Every entry recorded by the steps before this one is final.
        void HandOut()
        {
            while (onEntry is not null && handedOut < entries.Count)
            {
                onEntry(entries[handedOut++]);
            }
        }
    }

    private (EntryState, string) Unreadable(string display, string why)
    {
        Warnings.Add(CaptureWarning.For(ReportCode.EntryUnreadable, display, $"unreadable, recorded without content: {why}"));
        return (EntryState.Unreadable, why);
    }

    private bool IsExcluded(byte[] rel, byte[] abs, out string? why)
    {
        foreach (byte[] a in _excludedAbsolute)
        {
            if (abs.AsSpan().SequenceEqual(a))
            {
                why = "the archive itself";
                return true;
            }
        }

        if (_exclusions.Count > 0)
        {
            string display = PathBytes.ToDisplay(rel);
            foreach (ExclusionPattern p in _exclusions)
            {
                if (p.IsMatch(display))
                {
                    why = $"--exclude {p.Text}";
                    return true;
                }
            }
        }

        why = null;
        return false;
    }

    // Owner names come from the tree's own account files, not the host's: the host may not know them.
    private (Dictionary<long, string> Users, Dictionary<long, string> Groups) ReadOwnerNames() =>
        (ReadIdFile("etc/passwd"), ReadIdFile("etc/group"));

    private Dictionary<long, string> ReadIdFile(string relative)
    {
        var map = new Dictionary<long, string>();
        byte[] abs = AbsolutePath(PosixFs.FromString(relative));
        if (!PosixFs.TryLStat(abs, out FileStatus st, out _) || st.Kind != EntryKind.File || st.Size > AccountNames.MaxFileBytes)
        {
            return map;
        }

        try
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle h = PosixFs.OpenRead(abs);
            var buf = new byte[st.Size];
            int n = RandomAccess.Read(h, buf, 0);
            map = AccountNames.Parse(buf.AsSpan(0, n));
        }
        catch (IOException)
        {
            // Names are a convenience; numeric ids are always recorded.
        }

        return map;
    }
}
