using System.Runtime.InteropServices;
using CernVM.Preserve.Core.Model;
using Microsoft.Win32.SafeHandles;

namespace CernVM.Preserve.Posix;

/// <summary>What lstat says about an entry (statx without following a final symlink).</summary>
public readonly record struct FileStatus(
    EntryKind Kind,
    int Mode,
    uint Uid,
    uint Gid,
    long Size,
    long MtimeSeconds,
    int MtimeNanoseconds,
    long CtimeSeconds,
    int CtimeNanoseconds,
    ulong Inode,
    ulong Device,
    uint LinkCount,
    uint DeviceMajor,
    uint DeviceMinor,
    long AllocatedBytes);

/// <summary>A failed system call: the operation, the path (as display text) and the errno.</summary>
public sealed class PosixException : IOException
{
    public PosixException(string operation, byte[] path, int errno)
        : base($"{operation} '{PathBytes.ToDisplay(path)}': {Marshal.GetPInvokeErrorMessage(errno)}")
    {
        Operation = operation;
        Errno = errno;
        PathBytesValue = path;
        HResult = errno;
    }

    public string Operation { get; }

    public int Errno { get; }

    public byte[] PathBytesValue { get; }

    public bool IsNoSpace => IsNoSpaceError(this);

    /// <summary>
    /// True for a full device or an exhausted quota, whether the error came from this library's calls or from .NET's
    /// own file I/O (<see cref="RandomAccess"/>, <see cref="FileStream"/>), whose <see cref="IOException"/> carries the
    /// errno as its HResult on Linux.
    /// </summary>
    public static bool IsNoSpaceError(Exception e) => e is IOException { HResult: Native.ENOSPC or Native.EDQUOT };
}

/// <summary>
/// File system access by raw byte paths, never following a final symlink unless the name says so.
/// All paths are absolute or relative to the working directory, without a trailing NUL.
/// </summary>
public static unsafe class PosixFs
{
    private static readonly Dictionary<long, string> PseudoFileSystems = new()
    {
        [0x9fa0] = "proc",
        [0x62656572] = "sysfs",
        [0x1cd1] = "devpts",
        [0x27e0eb] = "cgroup",
        [0x63677270] = "cgroup2",
        [0x73636673] = "securityfs",
        [0x64626720] = "debugfs",
        [0x74726163] = "tracefs",
        [0x6165676C] = "pstore",
        [0xcafe4a11] = "bpf",
        [0x19800202] = "mqueue",
        [unchecked((int)0x958458f6)] = "hugetlbfs",
        [0x62656570] = "configfs",
        [0x65735543] = "fusectl",
        [0x42494e4d] = "binfmt_misc",
        [0x0187] = "autofs",
        [unchecked((int)0xde5e81e4)] = "efivarfs",
        [0x6e736673] = "nsfs",
    };

    /// <summary>True when the process runs as root and so may set owners and make device nodes.</summary>
    public static bool IsPrivileged => Native.geteuid() == 0;

    public static byte[] Z(ReadOnlySpan<byte> path)
    {
        var z = new byte[path.Length + 1];
        path.CopyTo(z);
        return z;
    }

    public static byte[] FromString(string path) => System.Text.Encoding.UTF8.GetBytes(path);

    public static FileStatus LStat(byte[] path) =>
        TryLStat(path, out FileStatus st, out int errno) ? st : throw new PosixException("lstat", path, errno);

    public static bool TryLStat(byte[] path, out FileStatus status, out int errno)
    {
        byte[] z = Z(path);
        fixed (byte* p = z)
        {
            return TryLStatAt(Native.AT_FDCWD, p, path, out status, out errno);
        }
    }

    /// <summary>
    /// lstat of each name in <paramref name="directory"/>, looked up from the directory (one path component each, not
    /// the whole path: a thousand names cost a thousand short lookups); null for a name that is not there (any
    /// other failure throws). For a caller that stats every child of one directory.
    /// </summary>
    public static FileStatus?[] LStatChildren(byte[] directory, IReadOnlyList<byte[]> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        nint dir = OpenDirectory(directory);
        try
        {
            int fd = Native.dirfd(dir);
            var found = new FileStatus?[names.Count];
            for (int i = 0; i < names.Count; i++)
            {
                byte[] name = Z(names[i]);
                fixed (byte* n = name)
                {
                    if (TryLStatAt(fd, n, names[i], out FileStatus st, out int errno))
                    {
                        found[i] = st;
                    }
                    else if (errno != Native.ENOENT)
                    {
                        throw new PosixException("lstat", [.. directory, (byte)'/', .. names[i]], errno);
                    }
                }
            }

            return found;
        }
        finally
        {
            Native.closedir(dir);
        }
    }

    private static bool TryLStatAt(int dirfd, byte* path, byte[] pathForErrors, out FileStatus status, out int errno)
    {
        Native.Statx sx;
        if (Native.statx(dirfd, path, Native.AT_SYMLINK_NOFOLLOW | Native.AT_NO_AUTOMOUNT, Native.STATX_BASIC_STATS, &sx) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            status = default;
            return false;
        }

        errno = 0;
        int fmt = sx.stx_mode & 0xF000;
        EntryKind kind = fmt switch
        {
            0x4000 => EntryKind.Directory,
            0x8000 => EntryKind.File,
            0xA000 => EntryKind.Symlink,
            0x2000 => EntryKind.CharDevice,
            0x6000 => EntryKind.BlockDevice,
            0x1000 => EntryKind.Fifo,
            0xC000 => EntryKind.Socket,
            _ => throw new PosixException($"unknown file type 0{fmt:o} of", pathForErrors, Native.EINVAL),
        };
        status = new FileStatus(
            kind,
            sx.stx_mode & 0xFFF,
            sx.stx_uid,
            sx.stx_gid,
            (long)sx.stx_size,
            sx.stx_mtime.tv_sec,
            (int)sx.stx_mtime.tv_nsec,
            sx.stx_ctime.tv_sec,
            (int)sx.stx_ctime.tv_nsec,
            sx.stx_ino,
            Native.MakeDev(sx.stx_dev_major, sx.stx_dev_minor),
            sx.stx_nlink,
            sx.stx_rdev_major,
            sx.stx_rdev_minor,
            (long)sx.stx_blocks * 512);
        return true;
    }

    // opendir(3), or the error naming the directory; the caller closes it.
    private static nint OpenDirectory(byte[] path)
    {
        byte[] z = Z(path);
        nint dir;
        fixed (byte* p = z)
        {
            dir = Native.opendir(p);
        }

        return dir != 0 ? dir : throw new PosixException("opendir", path, Marshal.GetLastPInvokeError());
    }

    /// <summary>The names in a directory except "." and "..", in ordinal byte order.</summary>
    public static List<byte[]> ReadDirectory(byte[] path)
    {
        nint dir = OpenDirectory(path);
        var names = new List<byte[]>();
        try
        {
            while (true)
            {
                Marshal.SetLastPInvokeError(0);
                nint ent = Native.readdir(dir);
                if (ent == 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno != 0)
                    {
                        throw new PosixException("readdir", path, errno);
                    }

                    break;
                }

                // struct dirent (64-bit glibc): d_ino 8, d_off 8, d_reclen 2, d_type 1, then d_name.
                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)ent + 19);
                if ((name.Length == 1 && name[0] == '.') || (name.Length == 2 && name[0] == '.' && name[1] == '.'))
                {
                    continue;
                }

                names.Add(name.ToArray());
            }
        }
        finally
        {
            Native.closedir(dir);
        }

        names.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        return names;
    }

    public static byte[] ReadLink(byte[] path)
    {
        byte[] z = Z(path);
        int size = 256;
        while (true)
        {
            var buf = new byte[size];
            nint n;
            fixed (byte* p = z)
            fixed (byte* b = buf)
            {
                n = Native.readlink(p, b, size);
            }

            if (n < 0)
            {
                throw new PosixException("readlink", path, Marshal.GetLastPInvokeError());
            }

            if (n < size)
            {
                return buf.AsSpan(0, (int)n).ToArray();
            }

            size *= 4;
        }
    }

    /// <summary>Every extended attribute of an entry (not following symlinks), names in ordinal order.</summary>
    public static List<XAttr> ReadXAttrs(byte[] path)
    {
        byte[] z = Z(path);
        var result = new List<XAttr>();

        // Most entries have no extended attribute: the first try lists into the stack, so an entry without any
        // costs no buffer on the heap (the walk asks once per entry, thousands of times per snapshot).
        Span<byte> first = stackalloc byte[1024];
        byte[]? list = null;
        nint n;
        while (true)
        {
            Span<byte> buffer = list is null ? first : list;
            fixed (byte* p = z)
            fixed (byte* l = buffer)
            {
                n = Native.llistxattr(p, l, buffer.Length);
            }

            if (n >= 0)
            {
                break;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Native.ERANGE)
            {
                list = new byte[buffer.Length * 4];
                continue;
            }

            if (errno == Native.EOPNOTSUPP)
            {
                return result;
            }

            throw new PosixException("llistxattr", path, errno);
        }

        if (n == 0)
        {
            return result;
        }

        ReadOnlySpan<byte> names = list is null ? first[..(int)n] : list.AsSpan(0, (int)n);
        foreach (Range r in names.Split((byte)0))
        {
            byte[] name = names[r].ToArray();
            if (name.Length == 0)
            {
                continue;
            }

            byte[]? value = GetXAttr(z, path, name);
            if (value is not null)
            {
                result.Add(new XAttr(name, value));
            }
        }

        result.Sort((a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        return result;
    }

    private static byte[]? GetXAttr(byte[] zpath, byte[] path, byte[] name)
    {
        byte[] zname = Z(name);
        int size = 256;
        while (true)
        {
            var buf = new byte[size];
            nint n;
            fixed (byte* p = zpath)
            fixed (byte* nm = zname)
            fixed (byte* b = buf)
            {
                n = Native.lgetxattr(p, nm, b, size);
            }

            if (n >= 0)
            {
                return buf.AsSpan(0, (int)n).ToArray();
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Native.ERANGE)
            {
                size *= 4;
                continue;
            }

            if (errno == Native.ENODATA)
            {
                return null; // removed between list and get
            }

            throw new PosixException($"lgetxattr {System.Text.Encoding.UTF8.GetString(name)}", path, errno);
        }
    }

    public static void SetXAttr(byte[] path, byte[] name, byte[] value)
    {
        byte[] z = Z(path);
        byte[] zn = Z(name);
        fixed (byte* p = z)
        fixed (byte* n = zn)
        fixed (byte* v = value)
        {
            if (Native.lsetxattr(p, n, v, value.Length, 0) != 0)
            {
                throw new PosixException($"lsetxattr {System.Text.Encoding.UTF8.GetString(name)}", path, Marshal.GetLastPInvokeError());
            }
        }
    }

    /// <summary>The most one write(2) of <see cref="WriteAt"/> hands the kernel: 1 MiB.</summary>
    public const int WritePiece = 1 << 20;

    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="offset"/> in pieces of at most <see cref="WritePiece"/>, each
    /// through .NET's <see cref="RandomAccess.Write(SafeFileHandle, ReadOnlySpan{byte}, long)"/> (its errors are the same
    /// <see cref="IOException"/>s). One write of 2 MiB or more lets the kernel put the bytes in page-cache folios of
    /// 2 MiB, and on a virtual machine such blocks are the free memory handed back to the host (free page reporting
    /// works on 2 MiB blocks), which must back every page again on the first touch: 87 MB written as files of 3 MB in
    /// one write each took 317-433 ms here, in 1 MiB pieces 21-27 ms (docs/benchmarks.md). Smaller pieces gain nothing.
    /// </summary>
    public static void WriteAt(SafeFileHandle file, ReadOnlySpan<byte> data, long offset)
    {
        while (data.Length > WritePiece)
        {
            RandomAccess.Write(file, data[..WritePiece], offset);
            data = data[WritePiece..];
            offset += WritePiece;
        }

        RandomAccess.Write(file, data, offset);
    }

    /// <summary>Opens a regular file for reading without following a symlink and without updating its atime where allowed.</summary>
    public static SafeFileHandle OpenRead(byte[] path)
    {
        byte[] z = Z(path);
        fixed (byte* p = z)
        {
            int fd = Native.open(p, Native.O_RDONLY | Native.O_NOFOLLOW | Native.O_CLOEXEC | Native.O_NOCTTY | Native.O_NOATIME, 0);
            if (fd < 0 && Marshal.GetLastPInvokeError() == Native.EPERM)
            {
                fd = Native.open(p, Native.O_RDONLY | Native.O_NOFOLLOW | Native.O_CLOEXEC | Native.O_NOCTTY, 0);
            }

            if (fd < 0)
            {
                throw new PosixException("open", path, Marshal.GetLastPInvokeError());
            }

            return new SafeFileHandle(fd, ownsHandle: true);
        }
    }

    /// <summary>
    /// pread(2): up to <paramref name="buffer"/>'s length from <paramref name="offset"/>; 0 at the end of the file.
    /// .NET's <see cref="RandomAccess.Read(SafeFileHandle, Span{byte}, long)"/> first asks, once per handle, whether
    /// it can seek (an lseek each): a snapshot reads thousands of files once each.
    /// </summary>
    /// <exception cref="PosixException">The read failed (<paramref name="path"/> names the file).</exception>
    public static int ReadAt(SafeFileHandle file, Span<byte> buffer, long offset, byte[] path)
    {
        bool added = false;
        file.DangerousAddRef(ref added);
        try
        {
            int fd = (int)file.DangerousGetHandle();
            fixed (byte* b = buffer)
            {
                while (true)
                {
                    nint n = Native.pread(fd, b, buffer.Length, offset);
                    if (n >= 0)
                    {
                        return (int)n;
                    }

                    int errno = Marshal.GetLastPInvokeError();
                    if (errno != Native.EINTR)
                    {
                        throw new PosixException("read", path, errno);
                    }
                }
            }
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>Creates a new regular file for writing; fails if the name exists (never follows or replaces).</summary>
    public static SafeFileHandle CreateExclusive(byte[] path, int mode)
    {
        byte[] z = Z(path);
        fixed (byte* p = z)
        {
            int fd = Native.open(p, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL | Native.O_NOFOLLOW | Native.O_CLOEXEC, (uint)mode);
            if (fd < 0)
            {
                throw new PosixException("create", path, Marshal.GetLastPInvokeError());
            }

            return new SafeFileHandle(fd, ownsHandle: true);
        }
    }

    /// <summary>Opens an existing regular file for writing, refusing a symlink.</summary>
    public static SafeFileHandle OpenWrite(byte[] path)
    {
        byte[] z = Z(path);
        fixed (byte* p = z)
        {
            int fd = Native.open(p, Native.O_WRONLY | Native.O_NOFOLLOW | Native.O_CLOEXEC, 0);
            if (fd < 0)
            {
                throw new PosixException("open", path, Marshal.GetLastPInvokeError());
            }

            return new SafeFileHandle(fd, ownsHandle: true);
        }
    }

    /// <summary>
    /// The stretches of a file that hold data (SEEK_DATA/SEEK_HOLE); a file system without hole support
    /// reports the whole file as one stretch.
    /// </summary>
    public static List<(long Offset, long Length)> DataSegments(SafeFileHandle file, long size, byte[] pathForErrors)
    {
        var segments = new List<(long, long)>();
        int fd = (int)file.DangerousGetHandle();
        long pos = 0;
        while (pos < size)
        {
            long data = Native.lseek(fd, pos, Native.SEEK_DATA);
            if (data < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Native.ENXIO)
                {
                    break; // only a hole remains
                }

                if (errno == Native.EINVAL && pos == 0)
                {
                    segments.Add((0, size));
                    return segments;
                }

                throw new PosixException("lseek SEEK_DATA", pathForErrors, errno);
            }

            if (data >= size)
            {
                break;
            }

            long hole = Native.lseek(fd, data, Native.SEEK_HOLE);
            if (hole < 0)
            {
                throw new PosixException("lseek SEEK_HOLE", pathForErrors, Marshal.GetLastPInvokeError());
            }

            hole = Math.Min(hole, size);
            segments.Add((data, hole - data));
            pos = hole;
        }

        return segments;
    }

    public static void Truncate(SafeFileHandle file, long size, byte[] pathForErrors)
    {
        if (Native.ftruncate((int)file.DangerousGetHandle(), size) != 0)
        {
            throw new PosixException("ftruncate", pathForErrors, Marshal.GetLastPInvokeError());
        }
    }

    public static void Fsync(SafeFileHandle file, byte[] pathForErrors)
    {
        if (Native.fsync((int)file.DangerousGetHandle()) != 0)
        {
            throw new PosixException("fsync", pathForErrors, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Makes a file's bytes durable, and what reading them back needs (fdatasync(2)), not its times.</summary>
    public static void DataSync(SafeFileHandle file, byte[] pathForErrors)
    {
        if (Native.fdatasync((int)file.DangerousGetHandle()) != 0)
        {
            throw new PosixException("fdatasync", pathForErrors, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>
    /// Starts writing a file's dirty pages to disk without waiting (sync_file_range WRITE), so that a later
    /// fsync or syncfs has little left to do. Only a hint: errors are ignored.
    /// </summary>
    public static void StartWriteback(SafeFileHandle file) =>
        _ = Native.sync_file_range((int)file.DangerousGetHandle(), 0, 0, Native.SYNC_FILE_RANGE_WRITE);

    /// <summary>fsync of a directory, so that the names created in it survive a crash.</summary>
    public static void FsyncDirectory(byte[] path) => OnDirectory(path, "fsync directory", fd => Native.fsync(fd));

    /// <summary>Flushes every dirty page of the file system holding <paramref name="path"/> (syncfs(2)).</summary>
    public static void SyncFileSystem(byte[] path) => OnDirectory(path, "syncfs", fd => Native.syncfs(fd));

    /// <summary>Opens a directory, runs <paramref name="call"/> on its descriptor (non-zero: failure, errno set), closes it.</summary>
    private static void OnDirectory(byte[] path, string operation, Func<int, int> call)
    {
        byte[] z = Z(path);
        int fd;
        fixed (byte* p = z)
        {
            fd = Native.open(p, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_CLOEXEC, 0);
        }

        if (fd < 0)
        {
            throw new PosixException("open directory", path, Marshal.GetLastPInvokeError());
        }

        try
        {
            if (call(fd) != 0)
            {
                throw new PosixException(operation, path, Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            Native.close(fd);
        }
    }

    public static void MakeDirectory(byte[] path, int mode) =>
        Check(path, "mkdir", p => Native.mkdir(p, (uint)mode));

    /// <summary>Makes a device node, fifo or socket node.</summary>
    public static void MakeNode(byte[] path, EntryKind kind, int mode, int major, int minor)
    {
        uint type = kind switch
        {
            EntryKind.CharDevice => 0x2000,
            EntryKind.BlockDevice => 0x6000,
            EntryKind.Fifo => 0x1000,
            EntryKind.Socket => 0xC000,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        ulong dev = kind is EntryKind.CharDevice or EntryKind.BlockDevice ? Native.MakeDev((uint)major, (uint)minor) : 0;
        Check(path, "mknod", p => Native.mknod(p, type | (uint)(mode & 0xFFF), dev));
    }

    public static void Symlink(byte[] target, byte[] path)
    {
        byte[] zt = Z(target);
        fixed (byte* t = zt)
        {
            byte* tp = t;
            Check(path, "symlink", p => Native.symlink(tp, p));
        }
    }

    /// <summary>A new name for an existing inode; does not follow <paramref name="existing"/> if it is a symlink.</summary>
    public static void HardLink(byte[] existing, byte[] path)
    {
        byte[] ze = Z(existing);
        fixed (byte* e = ze)
        {
            byte* ep = e;
            Check(path, "link", p => Native.link(ep, p));
        }
    }

    public static void LChown(byte[] path, long uid, long gid) =>
        Check(path, "lchown", p => Native.lchown(p, (uint)uid, (uint)gid));

    public static void Chmod(byte[] path, int mode) =>
        Check(path, "chmod", p => Native.chmod(p, (uint)mode));

    /// <summary>Sets atime and mtime of an entry (not following a symlink) to the given instant.</summary>
    public static void SetTimes(byte[] path, long seconds, int nanoseconds)
    {
        Native.Timespec* times = stackalloc Native.Timespec[2];
        times[0] = new Native.Timespec { tv_sec = seconds, tv_nsec = nanoseconds };
        times[1] = times[0];
        Native.Timespec* tp = times;
        Check(path, "utimensat", p => Native.utimensat(Native.AT_FDCWD, p, tp, Native.AT_SYMLINK_NOFOLLOW));
    }

    /// <summary>
    /// Sets owner (when <paramref name="owner"/> is given), mode, extended attributes and times of an open
    /// regular file through its descriptor, in that order: chown clears setuid, setgid and file capabilities,
    /// which the later calls set. No path lookup, so it is cheap from any thread. <paramref name="path"/> only
    /// names the file in errors. An extended attribute that fails goes to <paramref name="onXAttrFailure"/>.
    /// </summary>
    public static void SetMetadata(SafeFileHandle handle, byte[] path, (long Uid, long Gid)? owner, int mode, IReadOnlyList<(byte[] Name, byte[] Value)> xattrs, long seconds, int nanoseconds, Action<byte[], PosixException> onXAttrFailure)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(xattrs);
        ArgumentNullException.ThrowIfNull(onXAttrFailure);
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            int fd = (int)handle.DangerousGetHandle();
            if (owner is (long uid, long gid) && Native.fchown(fd, (uint)uid, (uint)gid) != 0)
            {
                throw new PosixException("fchown", path, Marshal.GetLastPInvokeError());
            }

            if (Native.fchmod(fd, (uint)mode) != 0)
            {
                throw new PosixException("fchmod", path, Marshal.GetLastPInvokeError());
            }

            foreach ((byte[] name, byte[] value) in xattrs)
            {
                byte[] zn = Z(name);
                fixed (byte* n = zn)
                fixed (byte* v = value)
                {
                    if (Native.fsetxattr(fd, n, v, value.Length, 0) != 0)
                    {
                        onXAttrFailure(name, new PosixException($"fsetxattr {System.Text.Encoding.UTF8.GetString(name)}", path, Marshal.GetLastPInvokeError()));
                    }
                }
            }

            Native.Timespec* times = stackalloc Native.Timespec[2];
            times[0] = new Native.Timespec { tv_sec = seconds, tv_nsec = nanoseconds };
            times[1] = times[0];
            if (Native.futimens(fd, times) != 0)
            {
                throw new PosixException("futimens", path, Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    public static void Unlink(byte[] path) => Check(path, "unlink", p => Native.unlink(p));

    public static void RemoveDirectory(byte[] path) => Check(path, "rmdir", p => Native.rmdir(p));

    /// <summary>The name of the pseudo file system mounted at <paramref name="path"/>, or null for a real one.</summary>
    public static string? PseudoFileSystemType(byte[] path)
    {
        byte[] z = Z(path);
        byte* buf = stackalloc byte[256];
        fixed (byte* p = z)
        {
            if (Native.statfs(p, buf) != 0)
            {
                return null;
            }
        }

        long type = *(long*)buf;
        return PseudoFileSystems.TryGetValue(type, out string? name) ? name : null;
    }

    /// <summary>
    /// Tells glibc's allocator to keep freed memory instead of returning it to the kernel at once. A command
    /// is one bounded batch; SQLite building a catalog of thousands of rows freed and re-touched the same
    /// pages, each time faulted in and zeroed again (a fifth of a snapshot's catalog time). Without glibc
    /// (another libc), nothing happens.
    /// </summary>
    public static void KeepFreedHeap()
    {
        try
        {
            Native.Mallopt(Native.M_TRIM_THRESHOLD, 512 * 1024 * 1024);
        }
        catch (EntryPointNotFoundException)
        {
        }
        catch (DllNotFoundException)
        {
        }
    }

    public static string HostName()
    {
        byte* buf = stackalloc byte[256];
        return Native.gethostname(buf, 255) == 0 ? Marshal.PtrToStringUTF8((nint)buf) ?? "" : "";
    }

    private delegate int PathCall(byte* path);

    private static void Check(byte[] path, string op, PathCall call)
    {
        byte[] z = Z(path);
        fixed (byte* p = z)
        {
            if (call(p) != 0)
            {
                throw new PosixException(op, path, Marshal.GetLastPInvokeError());
            }
        }
    }
}
