using System.Buffers.Binary;
using System.Text;

namespace CernVM.Preserve.Curation.Boot;

/// <summary>What a kernel image says about itself (FORMAT.md §5.3, boot.kernel).</summary>
/// <param name="Format"><c>bzImage</c> (x86 boot protocol), <c>elf</c> (vmlinux), <c>arm64-image</c>, or <c>unknown</c>.</param>
/// <param name="Version">The full version string (bzImage header's kernel_version, or the "Linux version …" banner after its first two words).</param>
/// <param name="Release">The release (<c>uname -r</c>): the version string's first word.</param>
/// <param name="Architecture">Kernel architecture (Debian/uname names: x86_64, i386, aarch64, …), when the image says.</param>
/// <param name="BootProtocol">x86 boot protocol version ("2.15"), bzImage only.</param>
/// <param name="Compression">Compression of the bzImage payload or of the whole file (gzip, xz, lz4-legacy, …).</param>
/// <param name="Note">Why something could not be read, when that is so.</param>
public sealed record KernelImageInfo(string Format, string? Version, string? Release, string? Architecture, string? BootProtocol, string? Compression, string? Note);

/// <summary>
/// Reads a kernel image's identity from the image itself: the x86 boot-protocol header of a bzImage
/// (Documentation/arch/x86/boot.rst: "HdrS" at 0x202, protocol version at 0x206, kernel_version pointer at
/// 0x20E, xloadflags at 0x236 from 2.12, payload_offset/length at 0x248 from 2.08), ELF headers of a
/// vmlinux (e_machine and the "Linux version" banner), the arm64 Image header ("ARM\x64" at 0x38), and any
/// of them compressed as a whole (vmlinuz.gz of other architectures). A compressed bzImage payload is
/// decompressed only as far as its ELF header, to confirm the architecture.
/// </summary>
public static class KernelImage
{
    private const int MaxBannerScan = 512 << 20;
    private static readonly byte[] Banner = "Linux version "u8.ToArray();

    /// <summary>Reads the image at <paramref name="path"/>; never throws for a file that is not a kernel (Format <c>unknown</c>).</summary>
    public static KernelImageInfo Read(string path, CancellationToken cancellationToken = default)
    {
        using FileStream f = File.OpenRead(path);
        return Read(f, path, cancellationToken);
    }

    public static KernelImageInfo Read(Stream image, string what, CancellationToken cancellationToken = default)
    {
        byte[] head = new byte[64 * 1024];
        int n = image.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        ReadOnlySpan<byte> h = head.AsSpan(0, n);
        if (n >= 0x210 && h.Slice(0x202, 4).SequenceEqual("HdrS"u8))
        {
            return ReadBzImage(image, h, what, cancellationToken);
        }

        if (Elf.TryReadMachine(h, out ushort machine))
        {
            image.Position = 0;
            (string? version, string? release) = FindBanner(image, cancellationToken);
            return new KernelImageInfo("elf", version, release, Elf.MachineName(machine), null, null, version is null ? "no \"Linux version\" banner in the image" : null);
        }

        if (n >= 0x40 && BinaryPrimitives.ReadUInt32LittleEndian(h[0x38..]) == 0x644D5241)
        {
            image.Position = 0;
            (string? version, string? release) = FindBanner(image, cancellationToken);
            return new KernelImageInfo("arm64-image", version, release, "aarch64", null, null, null);
        }

        if (Compression.Detect(h) is string compression)
        {
            // A whole-file compressed kernel (vmlinuz.gz of arm64, ppc64 …): look at what it holds.
            image.Position = 0;
            using var inner = new MemoryStream();
            try
            {
                Compression.Decompress(compression, image, inner, what, MaxBannerScan, null, cancellationToken);
            }
            catch (Core.PreserveException e)
            {
                return new KernelImageInfo("unknown", null, null, null, null, compression, e.Message);
            }

            inner.Position = 0;
            KernelImageInfo i = Read(inner, what, cancellationToken);
            return i with { Compression = compression };
        }

        return new KernelImageInfo("unknown", null, null, null, null, null, "neither an x86 bzImage, an ELF vmlinux nor an arm64 Image");
    }

    private static KernelImageInfo ReadBzImage(Stream image, ReadOnlySpan<byte> h, string what, CancellationToken cancellationToken)
    {
        ushort protocol = BinaryPrimitives.ReadUInt16LittleEndian(h[0x206..]);
        string bootProtocol = $"{protocol >> 8}.{protocol & 0xFF:D2}";
        string? version = null;
        int pointer = BinaryPrimitives.ReadUInt16LittleEndian(h[0x20E..]);
        if (protocol >= 0x0200 && pointer != 0 && pointer + 0x200 < h.Length)
        {
            ReadOnlySpan<byte> s = h[(pointer + 0x200)..];
            int end = s.IndexOf((byte)0);
            version = end > 0 ? Encoding.ASCII.GetString(s[..end]) : null;
        }

        string? architecture = null;
        string? note = null;

        // xloadflags (2.12+): XLF_KERNEL_64 says the kernel has a 64-bit entry point, i.e. is x86_64.
        if (protocol >= 0x020C && h.Length > 0x237)
        {
            architecture = (BinaryPrimitives.ReadUInt16LittleEndian(h[0x236..]) & 1) != 0 ? "x86_64" : "i386";
        }

        // The payload (2.08+) is the compressed ELF vmlinux: its header settles the architecture.
        string? compression = null;
        int setupSectors = h[0x1F1] == 0 ? 4 : h[0x1F1];
        long payload = -1;
        long payloadLength = 0;
        if (protocol >= 0x0208 && h.Length >= 0x250)
        {
            payload = ((setupSectors + 1) * 512L) + BinaryPrimitives.ReadUInt32LittleEndian(h[0x248..]);
            payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(h[0x24C..]);
        }
        else
        {
            // Older kernels (SL4/SL5's 2.6.9 and 2.6.18) carry a gzip stream after the 32-bit decompressor.
            payload = FindGzip(image, (setupSectors + 1) * 512L);
            payloadLength = payload < 0 ? 0 : image.Length - payload;
        }

        if (payload >= 0 && payload + 8 <= image.Length)
        {
            byte[] magic = new byte[8];
            image.Position = payload;
            image.ReadExactly(magic);
            compression = Compression.Detect(magic) ?? (Elf.TryReadMachine(magic, out _) ? "none" : null);
            if (compression is not null and not "none")
            {
                image.Position = payload;
                try
                {
                    using var window = new StreamWindow(image, payload, payloadLength, ownsInner: false);
                    byte[] elf = Compression.DecompressPrefix(compression, window, 64, what, cancellationToken);
                    if (Elf.TryReadMachine(elf, out ushort machine))
                    {
                        architecture = Elf.MachineName(machine);
                    }
                    else if (protocol < 0x0208)
                    {
                        note = $"boot protocol {bootProtocol} predates xloadflags, and its payload is a raw binary: the architecture is not written in the image";
                    }
                }
                catch (Core.PreserveException e)
                {
                    note = e.Message;
                }
            }
        }

        string? release = version?.Split(' ', 2)[0];
        return new KernelImageInfo("bzImage", version, release, architecture, bootProtocol, compression, note);
    }

    private static long FindGzip(Stream image, long from)
    {
        byte[] buffer = new byte[Math.Min(image.Length, 4 << 20)];
        image.Position = Math.Min(from, image.Length);
        int n = image.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        int i = buffer.AsSpan(0, n).IndexOf((ReadOnlySpan<byte>)[0x1F, 0x8B, 0x08]);
        return i < 0 ? -1 : image.Position - n + i;
    }

    /// <summary>The "Linux version …" banner of an uncompressed kernel, scanned in bounded chunks.</summary>
    private static (string? Version, string? Release) FindBanner(Stream image, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[(1 << 20) + 512];
        string? fallback = null;
        int carry = 0;
        long scanned = 0;
        while (scanned < MaxBannerScan)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = image.ReadAtLeast(buffer.AsSpan(carry), buffer.Length - carry, throwOnEndOfStream: false);
            int length = carry + n;
            Span<byte> span = buffer.AsSpan(0, length);
            for (int at = span.IndexOf(Banner); at >= 0;)
            {
                int start = at + Banner.Length;
                int end = span[start..].IndexOfAny((byte)0, (byte)'\n');
                if (end < 0 && n > 0)
                {
                    break;
                }

                string text = Encoding.ASCII.GetString(span.Slice(start, end < 0 ? span.Length - start : end));

                // The format string of the banner ("%s version %s") is not it; of the copies, the one with
                // its build number ("#1 SMP …") is linux_banner itself.
                if (text.Length > 0 && text[0] != '%')
                {
                    int hash = text.IndexOf('#');
                    if (hash >= 0 && hash + 1 < text.Length && char.IsAsciiDigit(text[hash + 1]))
                    {
                        return (text, text.Split(' ', 2)[0]);
                    }

                    fallback ??= text;
                }

                int next = span[(start)..].IndexOf(Banner);
                at = next < 0 ? -1 : start + next;
            }

            if (n == 0)
            {
                break;
            }

            // Keep the tail, in case a banner straddles two chunks.
            carry = Math.Min(512, length);
            span[(length - carry)..].CopyTo(buffer);
            scanned += n;
        }

        return (fallback, fallback?.Split(' ', 2)[0]);
    }
}
