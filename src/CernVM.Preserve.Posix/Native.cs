using System.Runtime.InteropServices;

namespace CernVM.Preserve.Posix;

/// <summary>
/// The libc calls the tree walker and the restorer need, taking paths as raw NUL-terminated bytes: .NET's own
/// file APIs decode names as UTF-8 and cannot express the Latin-1 names of legacy systems (FORMAT.md §6.2).
/// Linux/glibc x86_64 and aarch64 only (glibc 2.28+ for statx).
/// </summary>
internal static unsafe partial class Native
{
    // The exact soname: "libc" sends the loader through ~160 failed probes (libc.so, liblibc.so, in every
    // library directory and hardware-capability subdirectory) at the first call of every process.
    private const string Libc = "libc.so.6";

    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_NO_AUTOMOUNT = 0x800;
    public const uint STATX_BASIC_STATS = 0x7ff;

    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_NOCTTY = 0x100;
    public const int O_TRUNC = 0x200;
    public const int O_NONBLOCK = 0x800;
    public const int O_DIRECTORY = 0x10000;
    public const int O_NOFOLLOW = 0x20000;
    public const int O_CLOEXEC = 0x80000;
    public const int O_NOATIME = 0x40000;

    public const int SEEK_DATA = 3;
    public const int SEEK_HOLE = 4;

    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int ENXIO = 6;
    public const int EACCES = 13;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int ERANGE = 34;
    public const int ENODATA = 61;
    public const int EPERM = 1;
    public const int EOPNOTSUPP = 95;
    public const int EDQUOT = 122;

    [StructLayout(LayoutKind.Sequential)]
    public struct StatxTimestamp
    {
        public long tv_sec;
        public uint tv_nsec;
        public int reserved;
    }

    // struct statx from linux/stat.h; its layout is the same on every architecture.
    [StructLayout(LayoutKind.Sequential)]
    public struct Statx
    {
        public uint stx_mask;
        public uint stx_blksize;
        public ulong stx_attributes;
        public uint stx_nlink;
        public uint stx_uid;
        public uint stx_gid;
        public ushort stx_mode;
        public ushort spare0;
        public ulong stx_ino;
        public ulong stx_size;
        public ulong stx_blocks;
        public ulong stx_attributes_mask;
        public StatxTimestamp stx_atime;
        public StatxTimestamp stx_btime;
        public StatxTimestamp stx_ctime;
        public StatxTimestamp stx_mtime;
        public uint stx_rdev_major;
        public uint stx_rdev_minor;
        public uint stx_dev_major;
        public uint stx_dev_minor;
        public fixed ulong spare2[14];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long tv_sec;
        public long tv_nsec;
    }

    public const int M_TRIM_THRESHOLD = -1;

    [LibraryImport(Libc, EntryPoint = "mallopt")]
    public static partial int Mallopt(int param, int value);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int statx(int dirfd, byte* path, int flags, uint mask, Statx* buf);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint opendir(byte* path);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint readdir(nint dir);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int closedir(nint dir);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int dirfd(nint dir);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint readlink(byte* path, byte* buf, nint size);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint llistxattr(byte* path, byte* list, nint size);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint lgetxattr(byte* path, byte* name, byte* value, nint size);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int lsetxattr(byte* path, byte* name, byte* value, nint size, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int open(byte* path, int flags, uint mode);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial long lseek(int fd, long offset, int whence);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint pread(int fd, byte* buf, nint count, long offset);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int fsync(int fd);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int syncfs(int fd);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int fdatasync(int fd);

    public const uint SYNC_FILE_RANGE_WRITE = 2;

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int sync_file_range(int fd, long offset, long nbytes, uint flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int mkdir(byte* path, uint mode);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int mknod(byte* path, uint mode, ulong dev);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int symlink(byte* target, byte* linkpath);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int link(byte* oldpath, byte* newpath);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int lchown(byte* path, uint owner, uint group);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int chmod(byte* path, uint mode);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int utimensat(int dirfd, byte* path, Timespec* times, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int fchown(int fd, uint owner, uint group);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int fchmod(int fd, uint mode);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int futimens(int fd, Timespec* times);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int fsetxattr(int fd, byte* name, byte* value, nint size, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int unlink(byte* path);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int rmdir(byte* path);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int statfs(byte* path, byte* buf);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport(Libc)]
    public static partial uint geteuid();

    [LibraryImport(Libc)]
    public static partial uint umask(uint mask);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int gethostname(byte* name, nint len);

    public static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) |
        ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
}
