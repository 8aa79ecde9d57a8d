using CernVM.Preserve.Curation.Boot;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Boot;

/// <summary>Kernel identity read from the image itself: the Debian 12 kernel as bzImage, and its payload as the ELF vmlinux.</summary>
public sealed class KernelImageTests
{
    [Fact]
    public void Read_DebianBzImage_VersionProtocolArchitectureAndPayloadCompression()
    {
        string vmlinuz = DebianKernel.Path;
        string release = Path.GetFileName(vmlinuz)["vmlinuz-".Length..];

        KernelImageInfo k = KernelImage.Read(vmlinuz);

        Assert.Equal("bzImage", k.Format);
        Assert.Equal(release, k.Release);
        Assert.StartsWith(release + " (debian-kernel@lists.debian.org) #1 SMP", k.Version, StringComparison.Ordinal);
        Assert.Equal("x86_64", k.Architecture);
        Assert.Null(k.Note);

        // What `file` says about the same image (it reads the same header fields).
        string file = Shell.Run($"file -b '{vmlinuz}'");
        Assert.Contains($"version {release}", file, StringComparison.Ordinal);
        Assert.Matches(@"^2\.1[0-9]$", k.BootProtocol);

        // Debian's kernels are compressed with lz4 (CONFIG_KERNEL_LZ4, the config shipped beside the image).
        string config = File.ReadAllText(Path.Combine(Path.GetDirectoryName(vmlinuz)!, "config-" + release));
        string expected = config.Contains("CONFIG_KERNEL_LZ4=y", StringComparison.Ordinal) ? "lz4-legacy" : config.Contains("CONFIG_KERNEL_XZ=y", StringComparison.Ordinal) ? "xz" : "gzip";
        Assert.Equal(expected, k.Compression);
    }

    [Fact]
    public void Read_VmlinuxFromTheDebianPayload_ElfMachineAndLinuxVersionBanner()
    {
        Shell.Require("lz4", "file");
        string vmlinuz = DebianKernel.Path;
        string release = Path.GetFileName(vmlinuz)["vmlinuz-".Length..];
        using var t = new Packages.TemporaryDirectory();
        string vmlinux = Path.Combine(t.Path, "vmlinux");

        // The payload (boot protocol 2.08+: payload_offset/length at 0x248) is the compressed ELF vmlinux;
        // lz4 reports the legacy stream's trailing size word as an error after writing everything.
        byte[] image = File.ReadAllBytes(vmlinuz);
        int start = ((image[0x1F1] + 1) * 512) + BitConverter.ToInt32(image, 0x248);
        File.WriteAllBytes(Path.Combine(t.Path, "payload"), image.AsSpan(start, BitConverter.ToInt32(image, 0x24C)).ToArray());
        Shell.Run($"lz4 -dc '{t.Path}/payload' > '{vmlinux}' 2>/dev/null || test -s '{vmlinux}'");
        Assert.Contains("ELF 64-bit LSB executable, x86-64", Shell.Run($"file -b '{vmlinux}'"), StringComparison.Ordinal);

        KernelImageInfo k = KernelImage.Read(vmlinux);

        Assert.Equal("elf", k.Format);
        Assert.Equal("x86_64", k.Architecture);
        Assert.Equal(release, k.Release);
        string banner = Shell.Run($"strings '{vmlinux}' | grep -m1 '^Linux version {release} .*#1 SMP'").Trim();
        Assert.Equal(banner["Linux version ".Length..], k.Version);

        // The same vmlinux gzipped as a whole, as other architectures ship vmlinuz: looked through.
        Shell.Run($"gzip -1 -c '{vmlinux}' > '{vmlinux}.gz'");
        KernelImageInfo gz = KernelImage.Read(vmlinux + ".gz");
        Assert.Equal(("elf", "x86_64", release, "gzip"), (gz.Format, gz.Architecture, gz.Release, gz.Compression));
    }

    [Fact]
    public void Read_Protocol203HeaderAsSl4Kernels_VersionAndGzipPayloadButNoArchitectureClaimed()
    {
        // The header fields of a 2.6.9 bzImage (boot protocol 2.03, Documentation/i386/boot.txt of that
        // kernel): no xloadflags, no payload_offset; the gzip stream follows the 32-bit decompressor, and
        // holds a raw binary, not an ELF file. Only the fields the reader needs are filled in.
        using var t = new Packages.TemporaryDirectory();
        string raw = Path.Combine(t.Path, "vmlinux.bin");
        File.WriteAllBytes(raw, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray());
        Shell.Run($"gzip -9 -c '{raw}' > '{raw}.gz'");
        byte[] image = new byte[(5 * 512) + 1000];
        image[0x1F1] = 4;
        "HdrS"u8.CopyTo(image.AsSpan(0x202));
        BitConverter.GetBytes((ushort)0x0203).CopyTo(image, 0x206);
        BitConverter.GetBytes((ushort)0x400).CopyTo(image, 0x20E);
        "2.6.9-78.0.1.ELsmp (bhcompile@x86-011.build.bos.redhat.com) #1 SMP Tue Aug 5 10:56:31 EDT 2008\0"u8.CopyTo(image.AsSpan(0x600));
        string kernel = Path.Combine(t.Path, "vmlinuz-2.6.9-78.0.1.ELsmp");
        File.WriteAllBytes(kernel, [.. image, .. File.ReadAllBytes(raw + ".gz")]);

        KernelImageInfo k = KernelImage.Read(kernel);

        Assert.Equal(("bzImage", "2.03", "2.6.9-78.0.1.ELsmp", "gzip"), (k.Format, k.BootProtocol, k.Release, k.Compression));
        Assert.StartsWith("2.6.9-78.0.1.ELsmp (bhcompile@", k.Version, StringComparison.Ordinal);
        Assert.Null(k.Architecture);
        Assert.Contains("predates xloadflags", k.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NotAKernel_UnknownWithNote()
    {
        using var t = new Packages.TemporaryDirectory();
        string f = Path.Combine(t.Path, "notes.txt");
        File.WriteAllText(f, "just text, not a kernel\n");

        KernelImageInfo k = KernelImage.Read(f);

        Assert.Equal("unknown", k.Format);
        Assert.NotNull(k.Note);
    }
}
