using CernVM.Preserve.Curation.Boot;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Boot;

/// <summary>
/// Initrds built here with the real tools the distributions use: cpio archives (newc as initramfs-tools and
/// dracut write them, crc, odc, old binary), every compression the kernel accepts, dracut's concatenation of
/// an uncompressed early-microcode cpio and a compressed main one, and a gzipped ext2 image as old mkinitrd
/// made them.
/// </summary>
public sealed class InitrdImageTests : IDisposable
{
    private readonly Packages.TemporaryDirectory _work = new();

    public InitrdImageTests()
    {
        Shell.Require("cpio", "gzip", "xz", "zstd", "lz4", "bzip2", "mke2fs");

        // A small initramfs tree: /init, a busybox-like binary, a symlink, a module directory.
        Shell.Run("""
            mkdir -p root/bin root/lib/modules/6.1.0 root/etc
            printf '#!/bin/sh\nexec /bin/sh\n' > root/init && chmod 755 root/init
            head -c 300000 /dev/urandom > root/bin/busybox
            ln -s busybox root/bin/sh
            echo 'root:x:0:0::/root:/bin/sh' > root/etc/passwd
            """, _work.Path);
    }

    public void Dispose() => _work.Dispose();

    private string Make(string script)
    {
        string name = $"initrd-{Guid.NewGuid():N}.img";
        Shell.Run(script.Replace("OUT", name, StringComparison.Ordinal), _work.Path);
        return Path.Combine(_work.Path, name);
    }

    private int EntryCount() => int.Parse(Shell.Run("cd root && find . | wc -l", _work.Path).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("gzip -9", "gzip")]
    [InlineData("xz --check=crc32", "xz")]
    [InlineData("xz --format=lzma", "lzma")]
    [InlineData("bzip2", "bzip2")]
    [InlineData("lz4 -l", "lz4-legacy")]
    [InlineData("lz4", "lz4")]
    [InlineData("zstd -q -19", "zstd")]
    public void Inspect_CompressedNewcCpio_CompressionAndInnerFormat(string compressor, string compression)
    {
        string image = Make($"(cd root && find . | cpio -o -H newc --quiet) | {compressor} -c > OUT");

        InitrdInfo info = InitrdImage.Inspect(image);

        InitrdSegment s = Assert.Single(info.Segments);
        Assert.Equal((0L, compression, "cpio-newc"), (s.Offset, s.Compression, s.Format));
        Assert.Empty(info.Notes);
    }

    [Theory]
    [InlineData("newc", "cpio-newc")]
    [InlineData("crc", "cpio-crc")]
    [InlineData("odc", "cpio-odc")]
    [InlineData("bin", "cpio-bin")]
    public void Inspect_UncompressedCpio_EveryHeaderWalkedToTheTrailer(string format, string expected)
    {
        string image = Make($"(cd root && find . | cpio -o -H {format} --quiet) > OUT");

        InitrdInfo info = InitrdImage.Inspect(image);

        InitrdSegment s = Assert.Single(info.Segments);
        Assert.Equal(expected, s.Format);
        Assert.Null(s.Compression);
        Assert.Equal(EntryCount(), s.Entries);
        Assert.False(s.Microcode);
        Assert.Empty(info.Notes);
    }

    [Fact]
    public void Inspect_DracutStyleEarlyMicrocodeThenZstdMain_BothSegments()
    {
        // dracut: an uncompressed newc archive with kernel/x86/microcode/GenuineIntel.bin, then the main
        // archive compressed (here zstd); initramfs-tools does the same with its early cpio.
        string image = Make("""
            mkdir -p early/kernel/x86/microcode
            head -c 5000 /dev/urandom > early/kernel/x86/microcode/GenuineIntel.bin
            (cd early && find . | cpio -o -H newc --quiet) > OUT
            (cd root && find . | cpio -o -H newc --quiet) | zstd -q -c >> OUT
            """);
        long earlySize = Shell.Run("cd early && find . | cpio -o -H newc --quiet | wc -c", _work.Path).Trim() is string n ? long.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : 0;

        InitrdInfo info = InitrdImage.Inspect(image);

        Assert.Equal(2, info.Segments.Count);
        Assert.Equal(("cpio-newc", (string?)null, 5, true), (info.Segments[0].Format, info.Segments[0].Compression, info.Segments[0].Entries ?? -1, info.Segments[0].Microcode));
        Assert.Equal((earlySize, "zstd", "cpio-newc"), (info.Segments[1].Offset, info.Segments[1].Compression, info.Segments[1].Format));
        Assert.Empty(info.Notes);
    }

    [Fact]
    public void Inspect_ZeroPaddingBetweenArchives_Skipped()
    {
        string image = Make("""
            (cd root && find . | cpio -o -H newc --quiet) > OUT
            head -c 1000 /dev/zero >> OUT
            (cd root && find . | cpio -o -H newc --quiet) | gzip -c >> OUT
            """);

        InitrdInfo info = InitrdImage.Inspect(image);

        Assert.Equal(["cpio-newc", "cpio-newc"], info.Segments.Select(s => s.Format));
        Assert.Equal([null, "gzip"], info.Segments.Select(s => s.Compression));
    }

    [Fact]
    public void Inspect_GzippedExt2Image_AsOldMkinitrdMadeThem()
    {
        string image = Make("mke2fs -q -t ext2 -m 0 -d root ext2.img 4M && gzip -9 -c ext2.img > OUT");

        InitrdInfo info = InitrdImage.Inspect(image);

        InitrdSegment s = Assert.Single(info.Segments);
        Assert.Equal(("gzip", "ext2"), (s.Compression, s.Format));
    }

    [Fact]
    public void Inspect_UnknownContent_NoteSaysWhatWasFound()
    {
        string image = Make("printf 'MZ not an initrd at all' > OUT");

        InitrdInfo info = InitrdImage.Inspect(image);

        Assert.Equal("unknown", Assert.Single(info.Segments).Format);
        Assert.Contains(info.Notes, n => n.Contains("4d5a", StringComparison.Ordinal));
    }

    [Fact]
    public void Inspect_TruncatedCpio_NoteNamesTheOffset()
    {
        string image = Make("(cd root && find . | cpio -o -H newc --quiet) > OUT && truncate -s 200000 OUT");

        InitrdInfo info = InitrdImage.Inspect(image);

        Assert.Equal("cpio-newc", Assert.Single(info.Segments).Format);
        Assert.Single(info.Notes);
    }
}
