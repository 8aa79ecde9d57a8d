using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace CernVM.Preserve.Curation.Boot;

/// <summary>One archive of an initrd (an initramfs may be several, concatenated).</summary>
/// <param name="Offset">Where it starts in the file.</param>
/// <param name="Compression">gzip, xz, lzma, bzip2, lz4-legacy, lz4, zstd, lzop; null when stored as is.</param>
/// <param name="Format"><c>cpio-newc</c> ("070701"), <c>cpio-crc</c> ("070702"), <c>cpio-odc</c> ("070707"), <c>cpio-bin</c> (old binary), <c>ext2</c>, <c>squashfs</c>, <c>cramfs</c>, or <c>unknown</c>.</param>
/// <param name="Entries">Number of members of an uncompressed cpio archive (the trailer not counted).</param>
/// <param name="Microcode">An uncompressed cpio holding kernel/x86/microcode/ (dracut's and initramfs-tools' early microcode).</param>
public sealed record InitrdSegment(long Offset, string? Compression, string Format, int? Entries, bool Microcode);

/// <summary>What an initrd is made of, and what could not be seen.</summary>
public sealed record InitrdInfo(IReadOnlyList<InitrdSegment> Segments, IReadOnlyList<string> Notes);

/// <summary>
/// Recognises an initrd's compression and format: initramfs cpio archives (Documentation/driver-api/
/// early-userspace/buffer-format.rst: several archives may follow each other, NUL padding between them, as
/// dracut writes an uncompressed early-microcode cpio before the compressed main one), and the older initrd
/// images (gzipped ext2 of SL4/SL5's mkinitrd, squashfs, cramfs). Uncompressed cpio archives are walked
/// header by header to their TRAILER!!!; a compressed archive is decompressed with the external tool only
/// as far as needed to see its format (<see cref="PrefixBytes"/>), so its end is not known and it is the
/// last segment looked at.
/// </summary>
public static class InitrdImage
{
    /// <summary>How much of a compressed archive is decompressed to see what it holds.</summary>
    public const int PrefixBytes = 64 * 1024;

    private const int MaxSegments = 32;

    public static InitrdInfo Inspect(string path, CancellationToken cancellationToken = default)
    {
        using FileStream f = File.OpenRead(path);
        return Inspect(f, path, cancellationToken);
    }

    public static InitrdInfo Inspect(Stream image, string what, CancellationToken cancellationToken = default)
    {
        var segments = new List<InitrdSegment>();
        var notes = new List<string>();
        long offset = 0;
        while (segments.Count < MaxSegments)
        {
            cancellationToken.ThrowIfCancellationRequested();
            offset = SkipZeros(image, offset);
            if (offset >= image.Length)
            {
                break;
            }

            byte[] head = ReadAt(image, offset, 2048);
            if (Compression.Detect(head) is string compression)
            {
                image.Position = offset;
                byte[] inner;
                try
                {
                    inner = Compression.DecompressPrefix(compression, image, PrefixBytes, $"{what} (archive at offset {offset})", cancellationToken);
                }
                catch (Core.PreserveException e)
                {
                    notes.Add(e.Message);
                    segments.Add(new InitrdSegment(offset, compression, "unknown", null, false));
                    break;
                }

                string format = DetectFormat(inner);
                if (format == "unknown")
                {
                    notes.Add($"the {compression} archive at offset {offset} holds neither a cpio archive nor a file system image");
                }

                segments.Add(new InitrdSegment(offset, compression, format, null, false));
                break;
            }

            string plain = DetectFormat(head);
            if (plain.StartsWith("cpio", StringComparison.Ordinal))
            {
                (long end, int entries, bool microcode, string? error) = WalkCpio(image, offset, plain);
                segments.Add(new InitrdSegment(offset, null, plain, entries, microcode));
                if (error is not null)
                {
                    notes.Add($"the cpio archive at offset {offset}: {error}");
                    break;
                }

                offset = end;
                continue;
            }

            segments.Add(new InitrdSegment(offset, null, plain, null, false));
            if (plain == "unknown")
            {
                notes.Add($"unrecognised data at offset {offset} (first bytes {Convert.ToHexStringLower(head.AsSpan(0, Math.Min(8, head.Length)))})");
            }

            // A file system image fills the rest of the file.
            break;
        }

        return new InitrdInfo(segments, notes);
    }

    /// <summary>The archive or file system format of data starting with <paramref name="head"/>.</summary>
    public static string DetectFormat(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("070701"u8))
        {
            return "cpio-newc";
        }

        if (head.StartsWith("070702"u8))
        {
            return "cpio-crc";
        }

        if (head.StartsWith("070707"u8))
        {
            return "cpio-odc";
        }

        if (head.Length >= 2 && (BinaryPrimitives.ReadUInt16LittleEndian(head) == 0x71C7 || BinaryPrimitives.ReadUInt16BigEndian(head) == 0x71C7))
        {
            return "cpio-bin";
        }

        if (head.StartsWith("hsqs"u8) || head.StartsWith("sqsh"u8))
        {
            return "squashfs";
        }

        if (head.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) == 0x28CD3D45)
        {
            return "cramfs";
        }

        // ext2/3/4: the superblock at 1024, its magic 0xEF53 at offset 56 in it.
        if (head.Length >= 1082 && BinaryPrimitives.ReadUInt16LittleEndian(head[1080..]) == 0xEF53)
        {
            return "ext2";
        }

        return "unknown";
    }

    /// <summary>Walks an uncompressed cpio archive's headers to its trailer; returns the offset after it.</summary>
    private static (long End, int Entries, bool Microcode, string? Error) WalkCpio(Stream image, long offset, string format)
    {
        int entries = 0;
        bool microcode = false;
        long at = offset;
        while (at < image.Length)
        {
            string name;
            long next;
            if (format is "cpio-newc" or "cpio-crc")
            {
                byte[] h = ReadAt(image, at, 110);
                if (h.Length < 110 || !(h.AsSpan().StartsWith("070701"u8) || h.AsSpan().StartsWith("070702"u8)))
                {
                    return (at, entries, microcode, $"no cpio header at offset {at}");
                }

                long fileSize = Hex(h, 54);
                long nameSize = Hex(h, 94);
                if (fileSize < 0 || nameSize <= 0 || nameSize > 4096)
                {
                    return (at, entries, microcode, $"a damaged cpio header at offset {at}");
                }

                name = Name(ReadAt(image, at + 110, (int)nameSize));
                long data = Align(at + 110 + nameSize, 4);
                next = Align(data + fileSize, 4);
            }
            else if (format == "cpio-odc")
            {
                byte[] h = ReadAt(image, at, 76);
                if (h.Length < 76 || !h.AsSpan().StartsWith("070707"u8))
                {
                    return (at, entries, microcode, $"no cpio header at offset {at}");
                }

                long nameSize = Octal(h, 59, 6);
                long fileSize = Octal(h, 65, 11);
                if (fileSize < 0 || nameSize <= 0 || nameSize > 4096)
                {
                    return (at, entries, microcode, $"a damaged cpio header at offset {at}");
                }

                name = Name(ReadAt(image, at + 76, (int)nameSize));
                next = at + 76 + nameSize + fileSize;
            }
            else
            {
                // Old binary cpio: 13 16-bit words in the writer's byte order, name and data padded to 2.
                byte[] h = ReadAt(image, at, 26);
                if (h.Length < 26)
                {
                    return (at, entries, microcode, $"no cpio header at offset {at}");
                }

                bool little = BinaryPrimitives.ReadUInt16LittleEndian(h) == 0x71C7;
                if (!little && BinaryPrimitives.ReadUInt16BigEndian(h) != 0x71C7)
                {
                    return (at, entries, microcode, $"no cpio header at offset {at}");
                }

                ushort Word(int i) => little ? BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(i * 2)) : BinaryPrimitives.ReadUInt16BigEndian(h.AsSpan(i * 2));
                long nameSize = Word(10);
                long fileSize = ((long)Word(11) << 16) | Word(12);
                name = Name(ReadAt(image, at + 26, (int)nameSize));
                next = Align(Align(at + 26 + nameSize, 2) + fileSize, 2);
            }

            if (name == "TRAILER!!!")
            {
                return (next, entries, microcode, null);
            }

            entries++;
            microcode |= name.TrimStart('.', '/').StartsWith("kernel/x86/microcode", StringComparison.Ordinal);
            at = next;
        }

        return (at, entries, microcode, "the archive ends without a TRAILER!!! entry");
    }

    private static long SkipZeros(Stream image, long offset)
    {
        byte[] buffer = new byte[4096];
        while (offset < image.Length)
        {
            byte[] chunk = ReadAt(image, offset, buffer.Length);
            int i = chunk.AsSpan().IndexOfAnyExcept((byte)0);
            if (i >= 0)
            {
                return offset + i;
            }

            offset += chunk.Length;
        }

        return offset;
    }

    private static byte[] ReadAt(Stream image, long offset, int count)
    {
        image.Position = offset;
        byte[] b = new byte[(int)Math.Max(0, Math.Min(count, image.Length - offset))];
        image.ReadExactly(b);
        return b;
    }

    private static long Align(long value, int to) => (value + to - 1) / to * to;

    private static long Hex(byte[] h, int at) =>
        long.TryParse(Encoding.ASCII.GetString(h, at, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long v) ? v : -1;

    private static long Octal(byte[] h, int at, int length)
    {
        long v = 0;
        foreach (byte b in h.AsSpan(at, length))
        {
            if (b is < (byte)'0' or > (byte)'7')
            {
                return -1;
            }

            v = (v * 8) + (b - '0');
        }

        return v;
    }

    private static string Name(byte[] bytes) => Encoding.UTF8.GetString(bytes.AsSpan(0, Math.Max(0, bytes.AsSpan().IndexOf((byte)0) is int z and >= 0 ? z : bytes.Length)));
}
