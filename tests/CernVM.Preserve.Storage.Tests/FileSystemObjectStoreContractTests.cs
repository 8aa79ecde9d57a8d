using CernVM.Preserve.Core.Storage;
using Xunit;

namespace CernVM.Preserve.Storage.Tests;

public sealed class FileSystemObjectStoreContractTests : ObjectStoreContract, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cvmp-store-").FullName;

    protected override (IObjectStore Store, IObjectStore Other) CreateStores() =>
        (new FileSystemObjectStore(_root), new FileSystemObjectStore(_root));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Blob_BeforeFlush_IsNotVisibleToOthersAndNeverHalfWritten()
    {
        (IObjectStore store, IObjectStore other) = CreateStores();
        string key = "blobs/sha256/cd/cd" + new string('1', 62);
        await store.PutIfAbsentAsync(key, new byte[1 << 20], default);
        Assert.False(await other.ExistsAsync(key, default));
        Assert.False(File.Exists(Path.Combine(_root, key)));
        await store.DisposeAsync();
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "tmp")));
        Assert.False(await other.ExistsAsync(key, default));
    }

    [Fact]
    public async Task List_NeverShowsTemporaryFiles()
    {
        (IObjectStore store, _) = CreateStores();
        await store.PutIfAbsentAsync("blobs/sha256/ef/ef" + new string('2', 62), "x"u8.ToArray(), default);
        await foreach (string k in store.ListAsync("", default))
        {
            Assert.False(k.StartsWith("tmp/", StringComparison.Ordinal), k);
        }
    }
}
