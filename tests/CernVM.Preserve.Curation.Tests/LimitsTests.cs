using System.Buffers.Binary;
using CernVM.Preserve.Core;
using CernVM.Preserve.Curation.Boot;
using CernVM.Preserve.Curation.Packages;
using CernVM.Preserve.Curation.Tests.Boot;
using CernVM.Preserve.Curation.Tests.Packages;
using CernVM.Preserve.Curation.Trees;
using Xunit;

namespace CernVM.Preserve.Curation.Tests;

/// <summary>
/// Inputs that claim absurd sizes, or expand to them: each reader ends on a clear error naming the file (or
/// reads what is there), with memory and disk bounded by the input or a documented limit (docs/security.md,
/// "Limits"), never by what the input claims.
/// </summary>
public sealed class LimitsTests : IDisposable
{
    private readonly TemporaryDirectory _work = new();

    public void Dispose() => _work.Dispose();

    /// <summary>256 MiB of zeros in a tar, zstd-compressed to a few kilobytes: stopped at the room given, the temporary file removed.</summary>
    [Fact]
    public void LocalTar_DecompressionBomb_StoppedAtTheTemporarySpaceWithAClearError()
    {
        Shell.Require("tar", "zstd", "truncate");
        Shell.Run("truncate -s 256M zeros && tar -cf - zeros | zstd -q -19 -c > bomb.tar.zst && rm zeros", _work.Path);
        string bomb = Path.Combine(_work.Path, "bomb.tar.zst");
        Assert.True(new FileInfo(bomb).Length < 64 * 1024);
        // A temporary directory of its own: tests running beside this one decompress tars into the shared one.
        string temporary = Directory.CreateDirectory(Path.Combine(_work.Path, "tmp")).FullName;

        PreserveException e = Assert.Throws<PreserveException>(() => LocalTar.Open(bomb, CancellationToken.None, 16 * 1024 * 1024, temporary));

        Assert.Equal(FailureKind.Environment, e.Kind);
        Assert.Contains($"{bomb}: {new FileInfo(bomb).Length} bytes of zstd expand past 16777216 bytes", e.Message, StringComparison.Ordinal);
        Assert.Contains("decompression bomb", e.Message, StringComparison.Ordinal);
        Assert.Contains("TMPDIR", e.Message, StringComparison.Ordinal);
        Assert.Contains($"the free space of {temporary}", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temporary));
    }

    /// <summary>The default room is the free space of the temporary directory less 1 GiB: never the whole disk.</summary>
    [Fact]
    public void TemporarySpace_IsTheFreeSpaceLessTheReserve()
    {
        long free = new DriveInfo(Path.GetTempPath()).AvailableFreeSpace;
        long room = Compression.TemporarySpace(Path.GetTempPath());

        Assert.InRange(room, Math.Max(0, free - Compression.TemporarySpaceReserve - (64L << 20)), Math.Max(0, free - Compression.TemporarySpaceReserve + (64L << 20)));
    }

    /// <summary>A gzip of a few bytes whose trailer claims 4 GiB - 1: the claim is never believed; the tool's verdict names the file.</summary>
    [Fact]
    public void LocalTar_GzipClaimingGigabytes_ClearErrorNamingTheFile()
    {
        Shell.Require("gzip");
        Shell.Run("printf 'not much' | gzip -c > claim.gz", _work.Path);
        string claim = Path.Combine(_work.Path, "claim.gz");
        byte[] bytes = File.ReadAllBytes(claim);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), uint.MaxValue); // ISIZE
        File.WriteAllBytes(claim, bytes);

        PreserveException e = Assert.Throws<PreserveException>(() => LocalTar.Open(claim, CancellationToken.None));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains($"{claim}: gzip could not decompress it", e.Message, StringComparison.Ordinal);

        // An initrd reader looks at a bounded prefix only, whatever the trailer says.
        InitrdInfo initrd = InitrdImage.Inspect(claim);
        Assert.Equal("gzip", Assert.Single(initrd.Segments).Compression);
    }

    /// <summary>A tar member whose size field (GNU base-256) says 2^63 - 1 bytes, in a file of 1 KiB: truncated, named.</summary>
    [Fact]
    public void TarTreeSource_MemberOf2To63Bytes_RefusedAsTruncated()
    {
        byte[] header = new byte[512];
        "big"u8.CopyTo(header);
        "0000644\0"u8.CopyTo(header.AsSpan(100));
        "0000000\0"u8.CopyTo(header.AsSpan(108));
        "0000000\0"u8.CopyTo(header.AsSpan(116));
        header[124] = 0x80; // base-256: the remaining 11 bytes, big-endian
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(128), long.MaxValue);
        "14000000000\0"u8.CopyTo(header.AsSpan(136));
        header[156] = (byte)'0';
        "ustar  \0"u8.CopyTo(header.AsSpan(257));
        "        "u8.CopyTo(header.AsSpan(148));
        int sum = header.Sum(b => b);
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header, 148);
        string tar = Path.Combine(_work.Path, "huge-member.tar");
        File.WriteAllBytes(tar, [.. header, .. new byte[512]]);
        using var source = new TarTreeSource(tar);

        PreserveException e = Assert.Throws<PreserveException>(() => source.Walk(CancellationToken.None));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains($"{tar}: the member after offset 0 claims a size past the end of the file", e.Message, StringComparison.Ordinal);
    }

    /// <summary>newc and odc members that claim 4 GiB and 8 GiB in an image of a few hundred bytes: the walk stops at the end of the file.</summary>
    [Theory]
    [InlineData("070701" + "00000001" + "000081a4" + "00000000" + "00000000" + "00000001" + "00000000" + "ffffffff" + "00000000" + "00000000" + "00000000" + "00000000" + "00000004" + "00000000", 110)]
    [InlineData("070707" + "000000" + "000001" + "100644" + "000000" + "000000" + "000001" + "000000" + "00000000000" + "000004" + "77777777777", 76)]
    public void InitrdImage_CpioMemberClaimingGigabytes_InspectedWithinTheFile(string header, int headerLength)
    {
        Assert.Equal(headerLength, header.Length);
        string image = Path.Combine(_work.Path, "initrd.img");
        File.WriteAllBytes(image, [.. System.Text.Encoding.ASCII.GetBytes(header), .. "big\0"u8, .. new byte[300]]);

        InitrdInfo info = InitrdImage.Inspect(image);

        Assert.StartsWith("cpio", info.Segments[0].Format, StringComparison.Ordinal);
        Assert.True(info.Segments.Count <= 2);
    }

    /// <summary>A bucket whose first page lies far past the end of the file (and a last page claiming 2^32): refused naming the page.</summary>
    [Fact]
    public void BerkeleyDb_PagePointerOutOfTheFile_RefusedNamingThePage()
    {
        string path = Path.Combine(_work.Path, "Packages");
        byte[] bytes = File.ReadAllBytes(Path.Combine(RealData.RpmDb("el8-libuuid-bdb"), "Packages"));
        Assert.Equal(0x061561u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(32), uint.MaxValue - 1); // last page
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(96), 0x7fff_0000); // spares[0]: bucket 0's first page
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<PackageDatabaseException>(() => RpmBerkeleyDbReader.Read(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("is outside the database", e.Message, StringComparison.Ordinal);
    }
}
