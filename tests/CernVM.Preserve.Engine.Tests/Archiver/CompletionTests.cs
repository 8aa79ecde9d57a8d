using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Archiver;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

public class CompletionTests
{
    [Fact]
    public void Release_LastOfParentAndChildren_RunsTheActionOnceThen()
    {
        int runs = 0;
        var c = new Completion(() => runs++);
        c.Add();
        c.Add();
        c.Release();
        c.Release();
        Assert.Equal(0, runs);

        c.Release();

        Assert.Equal(1, runs);
    }

    [Fact]
    public void Release_ChildrenCompletingBeforeTheParentIsDone_WaitsForTheParent()
    {
        int runs = 0;
        var c = new Completion(() => runs++);
        c.Add();
        c.Release();
        Assert.Equal(0, runs);
        c.Release();
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task Release_FromManyThreads_RunsTheActionExactlyOnce()
    {
        int runs = 0;
        var c = new Completion(() => Interlocked.Increment(ref runs));
        for (int i = 0; i < 1000; i++)
        {
            c.Add();
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 250; i++)
            {
                c.Release();
            }
        })));
        Assert.Equal(0, runs);
        c.Release();
        Assert.Equal(1, runs);
    }
}

public class PendingFileTests
{
    private static TreeEntry File(long size) => new() { Id = 2, ParentId = 1, Path = "f"u8.ToArray(), Kind = EntryKind.File, Size = size };

    [Fact]
    public void Done_LargeFile_CompletesWhenTheLastChunkIsStoredWithExtentsInFileOrder()
    {
        var file = new PendingFile(File(30));
        ChunkSlot first = file.AddChunk(0, 10);
        ChunkSlot second = file.AddChunk(10, 20);
        file.ChunksDispatched();
        second.Stored(BlobId.Of("second"u8));
        Assert.False(file.Done.IsCompleted);

        first.Stored(BlobId.Of("first"u8));

        Assert.True(file.Done.IsCompleted);
        Assert.Equal(new[] { new Extent(0, 10, BlobId.Of("first"u8), 0), new Extent(10, 20, BlobId.Of("second"u8), 0) }, file.Entry.Extents);
    }

    [Fact]
    public void Done_ChunksStoredBeforeCuttingEnds_WaitsForChunksDispatched()
    {
        var file = new PendingFile(File(10));
        file.AddChunk(0, 10).Stored(BlobId.Of("x"u8));
        Assert.False(file.Done.IsCompleted);
        file.ChunksDispatched();
        Assert.True(file.Done.IsCompleted);
    }

    [Fact]
    public void Fail_WithChunksInFlight_CompletesAfterThemUnreadableWithoutContent()
    {
        var file = new PendingFile(File(10));
        ChunkSlot slot = file.AddChunk(0, 10);
        file.SetContent(BlobId.Of("x"u8), 10);
        file.Fail("I/O error");
        Assert.False(file.Done.IsCompleted);

        slot.Stored(BlobId.Of("x"u8));

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
        ChunkSlot slot = source.AddChunk(0, 10);
        source.ChunksDispatched();
        Assert.False(copy.Done.IsCompleted);

        slot.Stored(BlobId.Of("x"u8));

        await copy.Done.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(source.Entry.Extents, copy.Entry.Extents);
    }
}
