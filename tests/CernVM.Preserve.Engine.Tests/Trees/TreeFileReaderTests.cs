using System.Text;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Trees;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Trees;

public sealed class TreeFileReaderTests
{
    private static async Task<(TestArchive Archive, LoadedTree Tree)> CommitAsync(TreeBuilder b)
    {
        TestArchive a = await TestArchive.CreateAsync();
        return (a, await TreeLoader.LoadAsync(a.Archive, await a.CommitAsync(b), default));
    }

    [Fact]
    public async Task CopyToAsync_BundledFile_GivesItsOwnBytesOnly()
    {
        var b = new TreeBuilder();
        b.Bundle(("a", "hello"), ("b", "world"));
        (TestArchive a, LoadedTree tree) = await CommitAsync(b);
        await using (a)
        {
            using var output = new MemoryStream();
            long n = await new TreeFileReader(a.Archive).CopyToAsync(tree, tree.Resolve("/b"), output, default);

            Assert.Equal(5, n);
            Assert.Equal("world", Encoding.UTF8.GetString(output.ToArray()));
        }
    }

    [Fact]
    public async Task CopyToAsync_SparseFile_GivesHolesAndTheZeroTailAsZeros()
    {
        byte[] head = [1, 2, 3], middle = [9, 9];
        var b = new TreeBuilder();
        b.Sparse("disk.img", 200_000, (0, head), (100_000, middle));
        (TestArchive a, LoadedTree tree) = await CommitAsync(b);
        await using (a)
        {
            using var output = new MemoryStream();
            await new TreeFileReader(a.Archive).CopyToAsync(tree, tree.Resolve("disk.img"), output, default);

            byte[] expected = new byte[200_000];
            head.CopyTo(expected, 0);
            middle.CopyTo(expected, 100_000);
            Assert.Equal(expected, output.ToArray());
        }
    }

    [Fact]
    public async Task CopyToAsync_HardLink_GivesTheFirstNamesContent()
    {
        var b = new TreeBuilder();
        b.File("first", "shared");
        b.HardLink("second", "first");
        (TestArchive a, LoadedTree tree) = await CommitAsync(b);
        await using (a)
        {
            using var output = new MemoryStream();
            await new TreeFileReader(a.Archive).CopyToAsync(tree, tree.Resolve("second"), output, default);

            Assert.Equal("shared", Encoding.UTF8.GetString(output.ToArray()));
        }
    }

    [Fact]
    public async Task CopyToAsync_RecordedHashDisagrees_IsAnIntegrityFailure()
    {
        var b = new TreeBuilder();
        b.Bundle(("a", "hello"), ("b", "world"));
        b.RecordContent("b", BlobId.Of("WORLD"u8));
        (TestArchive a, LoadedTree tree) = await CommitAsync(b);
        await using (a)
        {
            PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => new TreeFileReader(a.Archive).CopyToAsync(tree, tree.Resolve("b"), Stream.Null, default));

            Assert.Equal(FailureKind.Integrity, e.Kind);
            Assert.Contains("'/b'", e.Message);
        }
    }

    [Fact]
    public async Task CopyToAsync_DirectoryOrExcludedFile_IsRefusedBeforeWritingAnything()
    {
        var b = new TreeBuilder();
        b.Dir("etc");
        b.NotCaptured("secret", EntryKind.File, EntryState.Excluded, "--exclude /secret");
        (TestArchive a, LoadedTree tree) = await CommitAsync(b);
        await using (a)
        {
            using var output = new MemoryStream();
            var reader = new TreeFileReader(a.Archive);
            PreserveException dir = await Assert.ThrowsAsync<PreserveException>(() => reader.CopyToAsync(tree, tree.Resolve("etc"), output, default));
            PreserveException excluded = await Assert.ThrowsAsync<PreserveException>(() => reader.CopyToAsync(tree, tree.Resolve("secret"), output, default));

            Assert.Equal(FailureKind.Usage, dir.Kind);
            Assert.Contains("is a dir, not a regular file", dir.Message);
            Assert.Equal(FailureKind.NotFound, excluded.Kind);
            Assert.Contains("excluded at capture (--exclude /secret)", excluded.Message);
            Assert.Equal(0, output.Length);
        }
    }
    // A tree as given, its catalog's checks not applied: what a hostile or damaged catalog could say.
    private static LoadedTree AsGiven(TreeBuilder b) => new(CapsuleName.Parse("t"), 1, BlobId.Of([1]), b.Entries);

    [Fact]
    public async Task CopyToAsync_SymlinkOrDirectory_IsRefusedSayingWhatItIs()
    {
        var b = new TreeBuilder();
        b.Dir("etc");
        b.Symlink("hosts", "etc/hosts");
        (TestArchive a, LoadedTree tree) = await CommitAsync(b);
        await using (a)
        {
            var reader = new TreeFileReader(a.Archive);
            PreserveException link = await Assert.ThrowsAsync<PreserveException>(() => reader.CopyToAsync(tree, tree.Resolve("hosts"), Stream.Null, default));
            PreserveException dir = await Assert.ThrowsAsync<PreserveException>(() => reader.CopyToAsync(tree, tree.Resolve("etc"), Stream.Null, default));

            Assert.Equal(FailureKind.Usage, link.Kind);
            Assert.Equal("'/hosts' is a symlink, not a regular file (it points to 'etc/hosts').", link.Message);
            Assert.Equal("'/etc' is a dir, not a regular file.", dir.Message);
        }
    }

    [Fact]
    public async Task CopyToAsync_SparseFileWithAZeroTail_GivesItsWholeSize()
    {
        var b = new TreeBuilder();
        b.Sparse("disk.img", 150_000, (10, [1, 2, 3]));
        (TestArchive a, LoadedTree tree) = await CommitAsync(b);
        await using (a)
        {
            using var output = new MemoryStream();
            long n = await new TreeFileReader(a.Archive).CopyToAsync(tree, tree.Resolve("disk.img"), output, default);

            Assert.Equal(150_000, n);
            Assert.Equal(150_000, output.Length);
        }
    }

    [Fact]
    public async Task CopyToAsync_BufferedDestination_IsFlushed()
    {
        var b = new TreeBuilder();
        b.File("f", "all of it");
        (TestArchive a, LoadedTree tree) = await CommitAsync(b);
        await using (a)
        {
            using var inner = new MemoryStream();
            using var buffered = new BufferedStream(inner, 4096);
            await new TreeFileReader(a.Archive).CopyToAsync(tree, tree.Resolve("f"), buffered, default);

            Assert.Equal("all of it", Encoding.UTF8.GetString(inner.ToArray()));
        }
    }

    [Fact]
    public async Task CopyToAsync_EmptyExtent_IsNoDamage()
    {
        var b = new TreeBuilder();
        TreeEntry f = b.File("f", "abc");
        b.Change("f", e => e with { Extents = [new Extent(0, 0, f.Extents[0].Blob, 3), .. e.Extents] });
        (TestArchive a, _) = await CommitAsync(new TreeBuilder());
        await using (a)
        {
            await a.Archive.Blobs.PutAsync("abc"u8.ToArray(), default);
            await a.Archive.Store.FlushAsync(default);
            LoadedTree tree = AsGiven(b);
            using var output = new MemoryStream();
            long n = await new TreeFileReader(a.Archive).CopyToAsync(tree, tree.Resolve("f"), output, default);

            Assert.Equal(3, n);
            Assert.Equal("abc", Encoding.UTF8.GetString(output.ToArray()));
        }
    }

    [Theory]
    [InlineData(-1, 2)] // before the blob
    [InlineData(3, 5)] // past its end, though not past twice its length
    [InlineData(0, 6)] // longer than the blob
    public async Task CopyToAsync_ExtentOutsideItsBlob_IsAnIntegrityFailure(long blobOffset, long length)
    {
        var b = new TreeBuilder();
        TreeEntry f = b.File("f", "hello");
        b.Change("f", e => e with { Size = length, Extents = [new Extent(0, length, f.Extents[0].Blob, blobOffset)] });
        (TestArchive a, _) = await CommitAsync(new TreeBuilder());
        await using (a)
        {
            await a.Archive.Blobs.PutAsync("hello"u8.ToArray(), default);
            await a.Archive.Store.FlushAsync(default);
            LoadedTree tree = AsGiven(b);

            PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => new TreeFileReader(a.Archive).CopyToAsync(tree, tree.Resolve("f"), Stream.Null, default));

            Assert.Equal(FailureKind.Integrity, e.Kind);
            Assert.Equal($"'/f': the catalog's extent reaches past the end of blob {f.Extents[0].Blob}.", e.Message);
        }
    }

    [Fact]
    public async Task ReaderAndCopy_NullArguments_AreRefused()
    {
        var b = new TreeBuilder();
        b.File("f", "x");
        (TestArchive a, LoadedTree tree) = await CommitAsync(b);
        await using (a)
        {
            Assert.Equal("archive", Assert.Throws<ArgumentNullException>(() => new TreeFileReader(null!)).ParamName);
            Assert.Equal("tree", Assert.Throws<ArgumentNullException>(() => TreeFileReader.ContentEntry(null!, tree.Resolve("f"))).ParamName);
            Assert.Equal("destination", (await Assert.ThrowsAsync<ArgumentNullException>(() => new TreeFileReader(a.Archive).CopyToAsync(tree, tree.Resolve("f"), null!, default))).ParamName);
        }
    }
}
