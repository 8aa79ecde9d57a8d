using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Archiver;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

public class PendingFileTests
{
    private static TreeEntry File(long size) => new() { Id = 2, ParentId = 1, Path = "f"u8.ToArray(), Kind = EntryKind.File, Size = size };

    [Fact]
    public void Done_LargeFile_FinalWhenCuttingEndsWithItsChunksAsExtentsInFileOrder()
    {
        var file = new PendingFile(File(30));
        file.SetContent(BlobId.Of("whole"u8), 30);
        file.AddChunk(0, 10, BlobId.Of("first"u8));
        file.AddChunk(10, 20, BlobId.Of("second"u8));
        Assert.False(file.Done.IsCompleted);
        Assert.Same(file.Walked, file.Entry);

        file.ChunksDispatched();

        Assert.True(file.Done.IsCompleted);
        Assert.Equal(new[] { new Extent(0, 10, BlobId.Of("first"u8), 0), new Extent(10, 20, BlobId.Of("second"u8), 0) }, file.Entry.Extents);
        Assert.Equal(BlobId.Of("whole"u8), file.Entry.Content);
    }

    [Fact]
    public void CompleteIn_BundleMember_FinalAtOnceAsOneStretchOfTheBundle()
    {
        var file = new PendingFile(File(5));
        file.SetContent(BlobId.Of("alpha"u8), 5);

        file.CompleteIn(BlobId.Of("bundle"u8), 7, 5);

        Assert.True(file.Done.IsCompleted);
        Assert.Equal(new Extent(0, 5, BlobId.Of("bundle"u8), 7), file.Entry.Extents.Single());
    }

    [Fact]
    public void Fail_WithChunksHandedOut_FinalAtOnceUnreadableWithoutContentOrExtents()
    {
        var file = new PendingFile(File(10));
        file.AddChunk(0, 10, BlobId.Of("x"u8));
        file.SetContent(BlobId.Of("x"u8), 10);

        file.Fail("I/O error");

        Assert.True(file.Done.IsCompleted);
        Assert.Empty(file.Entry.Extents);
        Assert.Null(file.Entry.Content);
        Assert.Equal(EntryState.Unreadable, file.Entry.State);
        Assert.Equal("I/O error", file.Entry.Note);
        Assert.Equal(EntryState.Captured, file.Walked.State);
    }

    [Fact]
    public async Task CopyExtentsOf_SourceNotYetFinal_TakesItsExtentsWhenItIs()
    {
        var source = new PendingFile(File(10));
        var copy = new PendingFile(File(10));
        copy.CopyExtentsOf(source);
        source.AddChunk(0, 10, BlobId.Of("x"u8));
        Assert.False(copy.Done.IsCompleted);

        source.ChunksDispatched();

        await copy.Done.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(source.Entry.Extents, copy.Entry.Extents);
    }
}
