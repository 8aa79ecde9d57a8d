using System.Text;

namespace CernVM.Preserve.Replay.Boot;

/// <summary>
/// Writes an uncompressed cpio archive in the "newc" format (the one the kernel unpacks as an initramfs):
/// directories and regular files, owned by root, with one fixed time so the same content gives the same
/// bytes. The replay appends one to the carrier's initramfs to hand the guest its job.
/// </summary>
public sealed class NewcArchive
{
    private readonly MemoryStream _bytes = new();
    private int _inode = 1;

    /// <summary>Adds a directory (mode 0755).</summary>
    public void AddDirectory(string path) => Add(path, 0x4000 | 0x1ed, []);

    /// <summary>Adds a regular file.</summary>
    public void AddFile(string path, ReadOnlySpan<byte> content, int mode = 0x1a4) => Add(path, 0x8000 | mode, content);

    /// <summary>The archive with its trailer.</summary>
    public byte[] ToArray()
    {
        var copy = new MemoryStream();
        _bytes.Position = 0;
        _bytes.CopyTo(copy);
        Write(copy, "TRAILER!!!", 0, [], 0);
        return copy.ToArray();
    }

    private void Add(string path, int mode, ReadOnlySpan<byte> content)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Write(_bytes, path.TrimStart('/'), mode, content, _inode++);
    }

    private static void Write(Stream s, string name, int mode, ReadOnlySpan<byte> content, int inode)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        // newc header: magic and 13 fields of 8 hex digits (ino, mode, uid, gid, nlink, mtime, filesize,
        // devmajor, devminor, rdevmajor, rdevminor, namesize, check); name and data each padded to 4 bytes.
        string header = "070701" + string.Concat(new long[] { inode, mode, 0, 0, 1, 0, content.Length, 0, 0, 0, 0, nameBytes.Length, 0 }.Select(v => v.ToString("x8", System.Globalization.CultureInfo.InvariantCulture)));
        s.Write(Encoding.ASCII.GetBytes(header));
        s.Write(nameBytes);
        Pad(s);
        s.Write(content);
        Pad(s);
    }

    private static void Pad(Stream s)
    {
        while (s.Position % 4 != 0)
        {
            s.WriteByte(0);
        }
    }
}
