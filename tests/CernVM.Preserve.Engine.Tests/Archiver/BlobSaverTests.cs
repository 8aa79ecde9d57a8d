using System.Buffers;
using System.Threading.Channels;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Archiver;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

public class BlobSaverTests
{
    private static Bundle BundleOf(params (PendingFile File, byte[] Bytes)[] members)
    {
        var bundle = new Bundle(ArrayPool<byte>.Shared.Rent(1024));
        foreach ((PendingFile file, byte[] bytes) in members)
        {
            bytes.CopyTo(bundle.Buffer.AsSpan(bundle.Length));
            bundle.Commit(file, bytes.Length);
        }

        bundle.Seal(BlobId.Of(bundle.Buffer.AsSpan(0, bundle.Length)));
        return bundle;
    }

    private static PendingFile File(string name) => new(new TreeEntry { Id = 2, Path = System.Text.Encoding.UTF8.GetBytes(name), Kind = EntryKind.File });

    private static async Task RunAsync(BlobSaver saver, params BlobWork[] work)
    {
        var channel = Channel.CreateUnbounded<BlobWork>();
        foreach (BlobWork w in work)
        {
            channel.Writer.TryWrite(w);
        }

        channel.Writer.Complete();
        await Task.WhenAll(saver.RunAsync(channel.Reader, default), saver.RunAsync(channel.Reader, default));
    }

    [Fact]
    public async Task Run_Bundle_StoresOneBlobUnderTheIdItWasSealedWith()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var monitor = new SnapshotMonitor();
        PendingFile a = File("a"), b = File("b");

        await RunAsync(new BlobSaver(f.Archive.Blobs, monitor), BundleOf((a, "first"u8.ToArray()), (b, "second"u8.ToArray())));
        await f.Archive.Store.FlushAsync(default);

        BlobId id = BlobId.Of("firstsecond"u8);
        Assert.Equal("firstsecond"u8.ToArray(), await f.Archive.Blobs.GetAsync(id, default));
        Assert.Equal(1, monitor.NewBlobs);
        Assert.Equal(11, monitor.NewBytes);
    }

    [Fact]
    public async Task Run_BlobAlreadyInTheArchive_IsNotWrittenAgain()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        byte[] bytes = ArchiverFixture.Random(300_000, 3);
        await f.Archive.Blobs.PutAsync(bytes, default);
        await f.Archive.Store.FlushAsync(default);
        var monitor = new SnapshotMonitor();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(buffer, 0);
        string path = Path.Combine(f.Root, "archive", BlobId.Of(bytes).Key);
        DateTime written = System.IO.File.GetLastWriteTimeUtc(path);

        await RunAsync(new BlobSaver(f.Archive.Blobs, monitor), new Chunk(buffer, bytes.Length, BlobId.Of(bytes)));
        await f.Archive.Store.FlushAsync(default);

        Assert.Equal(0, monitor.NewBlobs);
        Assert.Equal(written, System.IO.File.GetLastWriteTimeUtc(path));
        Assert.Equal(bytes, await f.Archive.Blobs.GetAsync(BlobId.Of(bytes), default));
    }
}
