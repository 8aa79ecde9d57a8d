using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Posix;
using Microsoft.Win32.SafeHandles;

namespace CernVM.Preserve.Engine.Restorer;

/// <summary>
/// Writes file content at offsets. A file held by one extent from its first byte to its last (a "whole"
/// file) is created when its blob is read, with one open; any other file (several extents, holes, empty) is
/// created beforehand at its full size, and its extents are written into it where they belong: bytes no
/// extent covers are never written and stay holes (FORMAT.md §6.3).
/// </summary>
internal static class FilesWriter
{
    private const int NewFileMode = 0b110_000_000;

    /// <summary>Written in one piece when its only blob is read.</summary>
    public static bool IsWhole(TreeEntry e) => e.Extents.Count == 1 && e.Extents[0].Offset == 0 && e.Extents[0].Length == e.Size;

    /// <summary>Creates a file that is not whole (exclusively: nothing is overwritten, no link followed), its size set, its holes unwritten.</summary>
    public static void CreateSized(byte[] path, long size)
    {
        using SafeFileHandle h = PosixFs.CreateExclusive(path, NewFileMode);
        if (size > 0)
        {
            PosixFs.Truncate(h, size, path);
        }
    }

    /// <summary>
    /// Writes one extent's bytes at their offset. A whole file is created here (exclusively) and its open handle
    /// given to <paramref name="whileOpen"/>, so its metadata is set without another open.
    /// </summary>
    public static void Write(TreeEntry e, byte[] path, ReadOnlySpan<byte> data, long offset, Action<SafeFileHandle> whileOpen)
    {
        bool whole = IsWhole(e);
        using SafeFileHandle h = whole ? PosixFs.CreateExclusive(path, NewFileMode) : PosixFs.OpenWrite(path);
        PosixFs.WriteAt(h, data, offset);
        if (whole)
        {
            whileOpen(h);
        }
    }
}
