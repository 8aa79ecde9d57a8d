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
}
