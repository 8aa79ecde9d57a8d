using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;
using Xunit;

namespace CernVM.Preserve.Storage.Tests;

public sealed class BlobStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cvmp-blobs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    // Both read paths: a fresh array, and a lease on a pooled buffer.
    private static async Task<byte[]> ReadAsync(BlobStore blobs, BlobId id, bool leased)
    {
        if (!leased)
        {
            return await blobs.GetAsync(id, default);
        }

        using RentedBytes lease = await blobs.GetLeaseAsync(id, default);
        return lease.Span.ToArray();
    }

    [FsCheck.Xunit.Property(MaxTest = 50)]
    public bool PutThenGet_GivesBackTheBytes(byte[] content)
    {
        using var blobs = new BlobStore(new FileSystemObjectStore(_root));
        (BlobId id, _) = blobs.PutAsync(content, default).GetAwaiter().GetResult();
        return id == BlobId.Of(content)
            && ReadAsync(blobs, id, leased: false).GetAwaiter().GetResult().AsSpan().SequenceEqual(content)
            && ReadAsync(blobs, id, leased: true).GetAwaiter().GetResult().AsSpan().SequenceEqual(content);
    }

    [Fact]
    public async Task Put_SameContentTwice_WritesOnce()
    {
        using var blobs = new BlobStore(new FileSystemObjectStore(_root));
        (BlobId id, long first) = await blobs.PutAsync(new byte[100_000], default);
        (_, long second) = await blobs.PutAsync(new byte[100_000], default);
        Assert.True(first > 0);
        Assert.Equal(0, second);
        await blobs.Store.FlushAsync(default);
        Assert.True(File.Exists(Path.Combine(_root, id.Key)));
    }

    /// <summary>
    /// A zstd frame of 21 bytes whose header claims 2^40 bytes of content (a raw block of 5 bytes follows):
    /// refused by the claim, before any buffer of that size is made (docs/security.md, "Limits").
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_FrameClaimingATebibyte_IsCorruptWithoutAllocatingIt(bool leased)
    {
        BlobId id = BlobId.Of("hello"u8);
        byte[] frame = [0x28, 0xB5, 0x2F, 0xFD, 0xE0, 0, 0, 0, 0, 0, 1, 0, 0, 0x29, 0, 0, .. "hello"u8];
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_root, id.Key))!);
        await File.WriteAllBytesAsync(Path.Combine(_root, id.Key), frame);
        using var blobs = new BlobStore(new FileSystemObjectStore(_root));
        long before = GC.GetAllocatedBytesForCurrentThread();

        BlobCorruptException e = await Assert.ThrowsAsync<BlobCorruptException>(() => ReadAsync(blobs, id, leased));

        Assert.Contains(id.Key, e.Message);
        Assert.Contains("the zstd frame claims 1099511627776 bytes, more than a blob may hold", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < BlobStore.MaxBlobSize);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_ObjectThatIsNotZstd_IsCorruptNamingTheKey(bool leased)
    {
        BlobId id = BlobId.Of("real content"u8);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_root, id.Key))!);
        await File.WriteAllTextAsync(Path.Combine(_root, id.Key), "garbage");
        using var blobs = new BlobStore(new FileSystemObjectStore(_root));
        BlobCorruptException e = await Assert.ThrowsAsync<BlobCorruptException>(() => ReadAsync(blobs, id, leased));
        Assert.Contains(id.Key, e.Message);
        Assert.Equal(FailureKind.Integrity, e.Kind);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_ValidFrameOfOtherContent_IsCorrupt(bool leased)
    {
        using var blobs = new BlobStore(new FileSystemObjectStore(_root));
        (BlobId other, _) = await blobs.PutAsync("other content"u8.ToArray(), default);
        await blobs.Store.FlushAsync(default);
        BlobId claimed = BlobId.Of("claimed content"u8);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_root, claimed.Key))!);
        File.Copy(Path.Combine(_root, other.Key), Path.Combine(_root, claimed.Key));
        BlobCorruptException e = await Assert.ThrowsAsync<BlobCorruptException>(() => ReadAsync(blobs, claimed, leased));
        Assert.Contains("SHA-256", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_Missing_NamesTheKey(bool leased)
    {
        using var blobs = new BlobStore(new FileSystemObjectStore(_root));
        BlobId id = BlobId.Of("absent"u8);
        BlobMissingException e = await Assert.ThrowsAsync<BlobMissingException>(() => ReadAsync(blobs, id, leased));
        Assert.Contains(id.Key, e.Message);
    }

    // Readers skip the frame's own XXH64 (the SHA-256 covers every byte): a damaged frame must still be
    // refused, wherever the damage is, and stored frames keep their checksum for standard tools.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_AnyByteOfTheFrameFlipped_IsCorrupt(bool leased)
    {
        var content = new byte[200_000];
        new Random(7).NextBytes(content.AsSpan(0, 100_000)); // half random, half zeros: literals and matches
        using var blobs = new BlobStore(new FileSystemObjectStore(_root));
        (BlobId id, _) = await blobs.PutAsync(content, default);
        await blobs.Store.FlushAsync(default);
        string path = Path.Combine(_root, id.Key);
        byte[] frame = await File.ReadAllBytesAsync(path);
        Assert.Equal(0x04, frame[4] & 0x04); // Frame_Header_Descriptor: Content_Checksum_flag set
        File.SetAttributes(path, FileAttributes.Normal);
        for (int at = 0; at < frame.Length; at += Math.Max(1, frame.Length / 97))
        {
            byte[] damaged = (byte[])frame.Clone();
            damaged[at] ^= 0x20;
            File.Delete(path);
            await File.WriteAllBytesAsync(path, damaged);
            using var fresh = new BlobStore(new FileSystemObjectStore(_root));
            await Assert.ThrowsAsync<BlobCorruptException>(() => ReadAsync(fresh, id, leased));
        }
    }
}
