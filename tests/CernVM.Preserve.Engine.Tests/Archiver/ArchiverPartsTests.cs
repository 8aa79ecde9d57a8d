using System.Buffers;
using System.Threading.Channels;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Archiver;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

/// <summary>The archiver's small parts, each field they give checked on its own.</summary>
public sealed class ArchiverPartsTests
{
    [Fact]
    public void ProducerInfo_NamesTheSoftwareItsVersionWithoutBuildMetadataTheHostAndTheUser()
    {
        Core.Format.Producer p = ProducerInfo.Current;

        Assert.Equal("cvmpreserve", p.Software);
        Assert.Equal(typeof(ProducerInfo).Assembly.GetName().Version!.ToString(3), p.SoftwareVersion);
        Assert.Equal(Environment.MachineName, p.Host);
        Assert.Equal(Environment.UserName, p.User);
    }

    [Fact]
    public void SnapshotMonitor_CountsWhatItIsTold()
    {
        var m = new SnapshotMonitor();

        m.AddScanned(0, 0);
        m.AddScanned(1, 100);
        m.AddScanned(0, 55); // not a file to read: its bytes are not to read either
        m.AddScanned(1, 20);
        m.AddToRead(1, 100);
        m.AddToRead(1, 20);
        m.AddDone(1, 100);
        m.AddDone(0, 7);
        m.AddNewBlob(100, 40);
        m.AddNewBlob(27, 30);

        Assert.Equal((4L, 2L, 120L), (m.ScannedEntries, m.ScannedFiles, m.ScannedBytes));
        Assert.False(m.ScanComplete);
        Assert.Equal((2L, 120L, 1L, 107L), (m.FilesToRead, m.BytesToRead, m.FilesDone, m.BytesDone));
        Assert.Equal((2L, 127L, 70L), (m.NewBlobs, m.NewBytes, m.NewCompressedBytes));

        m.ScanFinished(4);
        m.Phase = "reading";

        Assert.Equal((4L, true, "reading"), (m.Entries, m.ScanComplete, m.Phase));
    }

    [Fact]
    public void TreeCounts_ToSummary_EachCountInItsField()
    {
        var counts = new TreeCounts(Entries: 55, Directories: 1, Files: 2, Symlinks: 3, Hardlinks: 4, Specials: 5, Excluded: 6, Pseudo: 7, Unreadable: 8, Bytes: 9, Blobs: 10);
        BlobId catalog = BlobId.Of("catalog"u8);

        Core.Format.TreeSummary s = counts.ToSummary(catalog, 11, "/srv/root");

        Assert.Equal((catalog.ToString(), 11L, "/srv/root"), (s.Catalog, s.CatalogBytes, s.Source));
        Assert.Equal(
            (55L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L),
            (s.Entries, s.Directories, s.Files, s.Symlinks, s.Hardlinks, s.Specials, s.Excluded, s.Pseudo, s.Unreadable, s.Bytes, s.Blobs));
    }

    [Fact]
    public void TreeCounts_Of_NoEntries_Refused() =>
        Assert.Equal("entries", Assert.Throws<ArgumentNullException>(() => TreeCounts.Of(null!)).ParamName);

    [Fact]
    public void TreeCounts_Of_PseudoSpecialsAndUnreadableApartAndBlobsCountedOnce()
    {
        BlobId x = BlobId.Of("x"u8), y = BlobId.Of("y"u8);
        TreeEntry E(string path, EntryKind kind, EntryState state = EntryState.Captured, long size = 0, params Extent[] extents) =>
            new() { Path = System.Text.Encoding.UTF8.GetBytes(path), Kind = kind, State = state, Size = size, Extents = extents };
        List<TreeEntry> entries =
        [
            E("", EntryKind.Directory),
            E("proc", EntryKind.Directory, EntryState.Pseudo),
            E("dev/null", EntryKind.CharDevice),
            E("dev/sda", EntryKind.BlockDevice),
            E("run/fifo", EntryKind.Fifo),
            E("run/socket", EntryKind.Socket),
            E("secret", EntryKind.File, EntryState.Unreadable, size: 1000),
            E("a", EntryKind.File, EntryState.Captured, 3, new Extent(0, 3, x, 0)),
            E("b", EntryKind.File, EntryState.Captured, 5, new Extent(0, 2, x, 3), new Extent(2, 3, y, 0)),
        ];

        Assert.Equal(
            new TreeCounts(Entries: 9, Directories: 1, Files: 2, Symlinks: 0, Hardlinks: 0, Specials: 4, Excluded: 0, Pseudo: 1, Unreadable: 1, Bytes: 8, Blobs: 2),
            TreeCounts.Of(entries));
    }

    [Fact]
    public async Task BlobSaver_NewBlob_CountsItsBytesAndWhatItTakesStored()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        var monitor = new SnapshotMonitor();
        byte[] bytes = new byte[100_000]; // zeros: compress to far less
        byte[] buffer = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(buffer, 0);
        var work = Channel.CreateUnbounded<BlobWork>();
        work.Writer.TryWrite(new Chunk(buffer, bytes.Length, BlobId.Of(bytes)));
        work.Writer.Complete();

        await new BlobSaver(f.Archive.Blobs, monitor).RunAsync(work.Reader, default);
        await f.Archive.Store.FlushAsync(default);

        long stored = new FileInfo(Path.Combine(f.Root, "archive", BlobId.Of(bytes).Key)).Length;
        Assert.Equal((1L, 100_000L, stored), (monitor.NewBlobs, monitor.NewBytes, monitor.NewCompressedBytes));
        Assert.InRange(stored, 1, 1000);
    }
}
