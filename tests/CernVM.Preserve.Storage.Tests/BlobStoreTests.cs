using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;
using Xunit;
using ZstdNet;

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

    // Both writes: the put of the snapshot's pipeline, and the put a caller waits for (the catalog), which must
    // keep the same rules: the size limit, one question to the store, nothing written twice.
    private static Task<(BlobId Id, long WrittenBytes)> PutAsync(BlobStore blobs, byte[] content, bool waitedFor) =>
        waitedFor ? blobs.PutWaitedForAsync(content, default) : blobs.PutAsync(content, default);

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
    /// The put a caller waits for (a snapshot's catalog): hashed beside its compression, at another level. It
    /// names the blob as a put does, stores the format's frame (content size and checksum flags, FORMAT.md §4.1)
    /// that reads back, and writes nothing for a blob that is already there, whichever put stored it.
    /// </summary>
    [Fact]
    public async Task PutWaitedFor_SameIdAndFrameRulesAsPut_AndWritesAnExistingBlobOnce()
    {
        byte[] content = new byte[3_000_000];
        new Random(7).NextBytes(content.AsSpan(0, 1_000_000));
        using var blobs = new BlobStore(new FileSystemObjectStore(_root));

        (BlobId id, long written) = await blobs.PutWaitedForAsync(content, default);
        Assert.Equal(BlobId.Of(content), id);
        Assert.InRange(written, 1_000_000, 1_100_000);
        Assert.Equal(content, await ReadAsync(blobs, id, leased: false));
        await blobs.Store.FlushAsync(default);
        byte[] frame = await File.ReadAllBytesAsync(Path.Combine(_root, id.Key));
        Assert.Equal(frame.Length, written);
        Assert.Equal((ulong)content.Length, Decompressor.GetDecompressedSize(frame));
        Assert.Equal(0x04, frame[4] & 0x04); // Content_Checksum_flag of the frame header descriptor

        Assert.Equal((id, 0L), await blobs.PutWaitedForAsync(content, default));
        Assert.Equal((id, 0L), await blobs.PutAsync(content, default));
        byte[] other = [.. content.AsSpan(1)];
        (BlobId otherId, long otherWritten) = await blobs.PutAsync(other, default);
        Assert.Equal((otherId, 0L), await blobs.PutWaitedForAsync(other, default));
        Assert.True(otherWritten > 0);
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

    /// <summary>A frame whose header is sound (it claims its size) and whose blocks end early: zstd refuses it, and so does the read, by name.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_FrameCutShortAfterItsHeader_IsCorruptSayingItIsNotAValidFrame(bool leased)
    {
        byte[] content = [.. Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7 % 251))];
        BlobId id = BlobId.Of(content);
        byte[] frame;
        using (var compressor = new Compressor(new CompressionOptions(3)))
        {
            frame = compressor.Wrap(content);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_root, id.Key))!);
        await File.WriteAllBytesAsync(Path.Combine(_root, id.Key), frame.AsSpan(0, frame.Length / 2).ToArray());
        using var blobs = new BlobStore(new FileSystemObjectStore(_root));

        BlobCorruptException e = await Assert.ThrowsAsync<BlobCorruptException>(() => ReadAsync(blobs, id, leased));

        Assert.Contains(id.Key, e.Message);
        Assert.Contains(": not a valid zstd frame (", e.Message);
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

    [Fact]
    public async Task GetLeases_TwoBlobsOfAnySizes_GivesEachItsOwnBytes()
    {
        using var blobs = new BlobStore(new FileSystemObjectStore(_root));
        var random = new Random(31);
        foreach ((int a, int b) in new[] { (0, 0), (1, 100_000), (300_000, 64), (65, 65), (1_000_000, 999_999) })
        {
            byte[] first = new byte[a];
            byte[] second = new byte[b];
            random.NextBytes(first);
            random.NextBytes(second);
            (BlobId idA, _) = await blobs.PutAsync(first, default);
            (BlobId idB, _) = await blobs.PutAsync(second, default);
            (BlobLease leaseA, BlobLease leaseB) = await blobs.GetLeasesAsync(idA, idB, default);
            using (leaseA.Content)
            using (leaseB.Content)
            {
                Assert.Equal(first, leaseA.Content!.Span.ToArray());
                Assert.Equal(second, leaseB.Content!.Span.ToArray());
                Assert.Null(leaseA.Failure);
                Assert.Null(leaseB.Failure);
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task GetLeases_OneMissingOrCorrupt_IsThatOnesFailure_AndTheOtherIsGiven(int bad)
    {
        using var blobs = new BlobStore(new FileSystemObjectStore(_root));
        byte[] good = new byte[200_000];
        new Random(5).NextBytes(good);
        (BlobId goodId, _) = await blobs.PutAsync(good, default);
        (BlobId other, _) = await blobs.PutAsync("other content"u8.ToArray(), default);
        await blobs.Store.FlushAsync(default);
        BlobId corrupt = BlobId.Of("claimed content"u8);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_root, corrupt.Key))!);
        File.Copy(Path.Combine(_root, other.Key), Path.Combine(_root, corrupt.Key));
        BlobId missing = BlobId.Of("absent"u8);

        foreach ((BlobId wrong, Type expected) in new[] { (missing, typeof(BlobMissingException)), (corrupt, typeof(BlobCorruptException)) })
        {
            (BlobLease a, BlobLease b) = bad == 0
                ? await blobs.GetLeasesAsync(wrong, goodId, default)
                : await blobs.GetLeasesAsync(goodId, wrong, default);
            (BlobLease failed, BlobLease given) = bad == 0 ? (a, b) : (b, a);
            using (given.Content)
            {
                Assert.Null(failed.Content);
                Assert.IsType(expected, failed.Failure);
                Assert.Contains(wrong.Key, failed.Failure!.Message);
                Assert.Null(given.Failure);
                Assert.Equal(good, given.Content!.Span.ToArray());
            }
        }

        (BlobLease both1, BlobLease both2) = await blobs.GetLeasesAsync(corrupt, missing, default);
        Assert.IsType<BlobCorruptException>(both1.Failure);
        Assert.IsType<BlobMissingException>(both2.Failure);
    }

    // Readers skip the frame's own XXH64 (the SHA-256 covers every byte): a damaged frame must still be
    // refused, wherever the damage is, and stored frames keep their checksum for standard tools.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_AnyByteOfTheFrameButItsChecksumFlipped_IsCorrupt(bool leased)
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
        // Every byte but the last four, the frame's own XXH64, whose damage alone leaves the content whole (the
        // test below): the header, every block, and the last byte before the checksum.
        int checksum = frame.Length - 4;
        var places = Enumerable.Range(0, 97).Select(i => (int)((long)i * checksum / 97)).Append(checksum - 1).Distinct();
        foreach (int at in places)
        {
            byte[] damaged = (byte[])frame.Clone();
            damaged[at] ^= 0x20;
            File.Delete(path);
            await File.WriteAllBytesAsync(path, damaged);
            using var fresh = new BlobStore(new FileSystemObjectStore(_root));
            await Assert.ThrowsAsync<BlobCorruptException>(() => ReadAsync(fresh, id, leased));
        }
    }

    // FORMAT.md §4.1: the SHA-256 of the content is authoritative; the frame's XXH64 serves standard tools and
    // readers need not check it. Damage confined to that checksum leaves the content whole.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_FrameChecksumDamagedButContentIntact_StillReads(bool leased)
    {
        var content = new byte[200_000];
        new Random(11).NextBytes(content.AsSpan(0, 100_000));
        using var blobs = new BlobStore(new FileSystemObjectStore(_root));
        (BlobId id, _) = await blobs.PutAsync(content, default);
        await blobs.Store.FlushAsync(default);
        string path = Path.Combine(_root, id.Key);
        byte[] frame = await File.ReadAllBytesAsync(path);
        Assert.Equal(0x04, frame[4] & 0x04); // Content_Checksum_flag: the frame ends with 4 bytes of XXH64
        frame[^1] ^= 0xFF;
        File.Delete(path);
        await File.WriteAllBytesAsync(path, frame);
        using (var checking = new Decompressor())
        {
            Assert.Throws<ZstdException>(() => checking.Unwrap(frame)); // the damage is real for a reader that checks it
        }

        using var fresh = new BlobStore(new FileSystemObjectStore(_root));
        Assert.Equal(content, await ReadAsync(fresh, id, leased));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
public async Task Put_ExactlyMaxBlobSize_IsStoredAndItsFrameReadsBack(bool leased, bool waitedFor)
    {
        var content = new byte[BlobStore.MaxBlobSize];
        new Random(64).NextBytes(content.AsSpan(0, 1 << 20)); // literals, then zeros: the frame stays small
        content[^1] = 0x5A;
        using var blobs = new BlobStore(new FileSystemObjectStore(_root));
        (BlobId id, long written) = await PutAsync(blobs, content, waitedFor);
        await blobs.Store.FlushAsync(default);
        byte[] frame = await File.ReadAllBytesAsync(Path.Combine(_root, id.Key));
        Assert.Equal(frame.Length, written);
        Assert.Equal((ulong)BlobStore.MaxBlobSize, Decompressor.GetDecompressedSize(frame));

        using var fresh = new BlobStore(new FileSystemObjectStore(_root));
        if (leased)
        {
            using RentedBytes lease = await fresh.GetLeaseAsync(id, default);
            Assert.True(lease.Span.SequenceEqual(content), "the lease holds other bytes");
        }
        else
        {
            Assert.True((await fresh.GetAsync(id, default)).AsSpan().SequenceEqual(content), "the read gave other bytes");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Put_OneByteOverMaxBlobSize_IsRefusedAndWritesNothing(bool waitedFor)
    {
        var log = new List<StoreCall>();
        using var blobs = new BlobStore(new FaultingStore(new FileSystemObjectStore(_root), log));

        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => PutAsync(blobs, new byte[BlobStore.MaxBlobSize + 1], waitedFor));

        Assert.Equal("content", e.ParamName);
        Assert.Contains($"A blob holds at most {BlobStore.MaxBlobSize} bytes", e.Message);
        Assert.Empty(log);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public async Task Put_NewBlob_ReturnsTheSizeOfTheFrameItStored()
    {
        using var blobs = new BlobStore(new FileSystemObjectStore(_root));

        (BlobId id, long written) = await blobs.PutAsync(new byte[100_000], default);

        await blobs.Store.FlushAsync(default);
        Assert.Equal(new FileInfo(Path.Combine(_root, id.Key)).Length, written);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Put_SameContentTwice_AsksTheStoreOnceAndWritesOnce(bool waitedFor)
    {
        var log = new List<StoreCall>();
        using var blobs = new BlobStore(new FaultingStore(new FileSystemObjectStore(_root), log));

        (BlobId id, long first) = await PutAsync(blobs, "stored twice"u8.ToArray(), waitedFor);
        Assert.Equal(new (StoreOp, string, bool?)[] { (StoreOp.Exists, id.Key, null), (StoreOp.Put, id.Key, true) }, log.Select(c => (c.Op, c.Key, c.Created)));
        (_, long second) = await PutAsync(blobs, "stored twice"u8.ToArray(), waitedFor);

        Assert.True(first > 0);
        Assert.Equal(0, second);
        Assert.Equal(2, log.Count); // the second put asked the store nothing
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Put_BlobAnotherWriterStored_IsNotWrittenAgainAndReturnsZero(bool waitedFor)
    {
        byte[] content = "stored by another writer"u8.ToArray();
        using (var other = new BlobStore(new FileSystemObjectStore(_root)))
        {
            await other.PutAsync(content, default);
            await other.Store.FlushAsync(default);
        }

        var log = new List<StoreCall>();
        using var blobs = new BlobStore(new FaultingStore(new FileSystemObjectStore(_root), log));

        (BlobId id, long written) = await PutAsync(blobs, content, waitedFor);
        (_, long again) = await PutAsync(blobs, content, waitedFor);

        Assert.Equal((0L, 0L), (written, again));
        Assert.Equal(new (StoreOp, string)[] { (StoreOp.Exists, id.Key) }, log.Select(c => (c.Op, c.Key)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Put_AnotherWriterStoresItBetweenExistsAndPut_ReturnsZeroWritten(bool waitedFor)
    {
        byte[] content = "raced for"u8.ToArray();
        using (var other = new BlobStore(new FileSystemObjectStore(_root)))
        {
            await other.PutAsync(content, default);
            await other.Store.FlushAsync(default);
        }

        // Our Exists was answered before the other writer's put landed; our put then finds the key taken.
        var log = new List<StoreCall>();
        using var blobs = new BlobStore(new FaultingStore(new AnsweringStore(new FileSystemObjectStore(_root)) { ExistsAnswer = _ => false }, log));

        (BlobId id, long written) = await PutAsync(blobs, content, waitedFor);

        Assert.Equal(0, written);
        Assert.Equal(new (StoreOp, string, bool?)[] { (StoreOp.Exists, id.Key, null), (StoreOp.Put, id.Key, false) }, log.Select(c => (c.Op, c.Key, c.Created)));
        Assert.True(await blobs.ExistsAsync(id, default));
        Assert.Equal(2, log.Count); // known present since the put: not asked again
        Assert.Equal(content, await blobs.GetAsync(id, default));
    }

    [Fact]
    public async Task Exists_BlobInTheStore_IsTrueAndAskedOnce()
    {
        BlobId id;
        using (var other = new BlobStore(new FileSystemObjectStore(_root)))
        {
            (id, _) = await other.PutAsync("present"u8.ToArray(), default);
            await other.Store.FlushAsync(default);
        }

        var log = new List<StoreCall>();
        using var blobs = new BlobStore(new FaultingStore(new FileSystemObjectStore(_root), log));

        Assert.True(await blobs.ExistsAsync(id, default));
        Assert.True(await blobs.ExistsAsync(id, default));
        Assert.Equal(new (StoreOp, string)[] { (StoreOp.Exists, id.Key) }, log.Select(c => (c.Op, c.Key)));
    }

    [Fact]
    public async Task Exists_UnknownId_IsFalseAndAskedEachTime()
    {
        var log = new List<StoreCall>();
        using var blobs = new BlobStore(new FaultingStore(new FileSystemObjectStore(_root), log));
        BlobId id = BlobId.Of("never stored"u8);

        Assert.False(await blobs.ExistsAsync(id, default));
        Assert.False(await blobs.ExistsAsync(id, default));
        Assert.Equal(new (StoreOp, string)[] { (StoreOp.Exists, id.Key), (StoreOp.Exists, id.Key) }, log.Select(c => (c.Op, c.Key)));
    }

    [Fact]
    public async Task Exists_AfterAPut_IsTrueWithoutAskingTheStoreAgain()
    {
        var log = new List<StoreCall>();
        using var blobs = new BlobStore(new FaultingStore(new FileSystemObjectStore(_root), log));
        (BlobId id, _) = await blobs.PutAsync("just stored"u8.ToArray(), default);
        int calls = log.Count;

        Assert.True(await blobs.ExistsAsync(id, default));
        Assert.Equal(calls, log.Count);
    }
}
