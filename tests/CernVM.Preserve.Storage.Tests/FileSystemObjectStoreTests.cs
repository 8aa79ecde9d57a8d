using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Storage;
using Xunit;

namespace CernVM.Preserve.Storage.Tests;

/// <summary>
/// The directory store's own rules, beside the contract every store follows: which keys it refuses, how a
/// read that meets something other than a file fails, what it leaves in <c>tmp/</c>, and a key staged here
/// that another writer published meanwhile.
/// </summary>
public sealed class FileSystemObjectStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cvmp-store-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string BlobKey(char c) => $"blobs/sha256/{c}{c}/" + new string(c, 64);

    private static async Task<List<string>> AllAsync(IAsyncEnumerable<string> keys)
    {
        var list = new List<string>();
        await foreach (string k in keys)
        {
            list.Add(k);
        }

        return list;
    }

    [Fact]
    public async Task Flush_FanOutDirectoryCannotBeMade_FailsWithTheStoreErrorNamingItAndPublishesNothing()
    {
        // The flush makes the directories of its names on every core: a failure there is the store's error, as it
        // was when they were made one by one, not the parallel loop's wrapper.
        var store = new FileSystemObjectStore(_root);
        Directory.CreateDirectory(Path.Combine(_root, "blobs"));
        File.WriteAllText(Path.Combine(_root, "blobs", "sha256"), "a file where the fan-out directories go");
        await store.PutIfAbsentAsync(BlobKey('a'), "a"u8.ToArray(), default);
        await store.PutIfAbsentAsync(BlobKey('b'), "b"u8.ToArray(), default);

        StorageException e = await Assert.ThrowsAsync<StorageException>(() => store.FlushAsync(default));

        Assert.Contains("blobs", e.Message);
        Assert.False(File.Exists(Path.Combine(_root, BlobKey('a'))) || File.Exists(Path.Combine(_root, BlobKey('b'))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("a/../../b")]
    [InlineData("..")]
    [InlineData("a/")]
    public async Task Get_KeyThatIsNotAPlainRelativePath_IsRefused(string key)
    {
        await using var store = new FileSystemObjectStore(_root);
        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => store.TryGetAsync(key, default));
        Assert.StartsWith($"'{key}' is not a valid archive key.", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => store.PutIfAbsentAsync(key, "x"u8.ToArray(), default));
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public async Task Stage_TwoThreadsOneKeyAtOnce_OneCreates_TheLosersTemporaryRemoved()
    {
        // Two threads released together put the same blob: both may find it absent and both stage a temporary,
        // and only one may say it created the blob. Many rounds, so that the two land inside the window (the
        // test's purpose is the window; a round outside it checks the plain case).
        const int Rounds = 400;
        await using var store = new FileSystemObjectStore(_root);
        byte[] content = new byte[4096];
        int created = 0;
        using var start = new Barrier(2);
        void Put()
        {
            for (int i = 0; i < Rounds; i++)
            {
                start.SignalAndWait();
                if (store.PutIfAbsentAsync($"blobs/sha256/{i % 256:x2}/{i:x8}" + new string('0', 56), content, default).Result)
                {
                    Interlocked.Increment(ref created);
                }
            }
        }

        await Task.WhenAll(Task.Run(Put), Task.Run(Put));

        Assert.Equal(Rounds, created);
        Assert.Equal(Rounds, Directory.GetFiles(Path.Combine(_root, "tmp")).Length); // one staged temporary per blob
        await store.FlushAsync(default);
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "tmp")));
        Assert.Equal(Rounds, Directory.GetFiles(Path.Combine(_root, "blobs"), "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task Get_KeyOfADirectory_FailsNamingThePath()
    {
        await using var store = new FileSystemObjectStore(_root);
        Assert.True(await store.PutIfAbsentAsync("capsules/a/v1/manifest.json", "{}"u8.ToArray(), default));

        StorageException e = await Assert.ThrowsAsync<StorageException>(() => store.TryGetAsync("capsules/a/v1", default));
        Assert.StartsWith(Path.Combine(_root, "capsules/a/v1") + ": ", e.Message, StringComparison.Ordinal);
        Assert.Equal("capsules/a/v1", e.Key);
    }

    [Fact]
    public async Task Get_UnderAFile_IsMissing()
    {
        // A path through a file is ENOTDIR, not "not found" to .NET; still nothing is there.
        await using var store = new FileSystemObjectStore(_root);
        Assert.True(await store.PutIfAbsentAsync("journal/2026/e.json", "x"u8.ToArray(), default));
        Assert.Null(await store.TryGetAsync("journal/2027/e.json", default));
        Assert.Null(await store.TryGetAsync("missing/e.json", default));
    }

    [Fact]
    public async Task CleanStaleTemporaries_OnlyDeadWritersFiles_AreRemoved()
    {
        string tmp = Directory.CreateDirectory(Path.Combine(_root, "tmp")).FullName;
        string[] kept = [$"{Environment.ProcessId}-mine-1", "1-init-1", "notapid-1", "-1", "nodash"];
        string[] removed = ["2147483646-dead-1", "2147483645-dead-2"];
        foreach (string name in kept.Concat(removed))
        {
            await File.WriteAllTextAsync(Path.Combine(tmp, name), "x");
        }

        await using var store = new FileSystemObjectStore(_root);
        store.CleanStaleTemporaries();

        Assert.Equal(kept.Order(StringComparer.Ordinal), Directory.GetFiles(tmp).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task CleanStaleTemporaries_NoTmpDirectory_MakesNone()
    {
        await using var store = new FileSystemObjectStore(_root);
        store.CleanStaleTemporaries();
        Assert.False(Directory.Exists(Path.Combine(_root, "tmp")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(40)]
    public async Task Flush_AnyNumberOfStagedBlobs_PublishesEachAndEmptiesTmp(int count)
    {
        await using var store = new FileSystemObjectStore(_root);
        var keys = new List<string>();
        for (int i = 0; i < count; i++)
        {
            string key = $"blobs/sha256/{i % 20:x2}/{i:x64}";
            keys.Add(key);
            Assert.True(await store.PutIfAbsentAsync(key, BitConverter.GetBytes(i), default));
        }

        await store.FlushAsync(default);

        await using var other = new FileSystemObjectStore(_root);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(BitConverter.GetBytes(i), await other.TryGetAsync(keys[i], default));
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "tmp")));
        Assert.Equal(keys.Order(StringComparer.Ordinal), await AllAsync(other.ListAsync("blobs/", default)));
    }

    [Fact]
    public async Task PutIfAbsent_StagedBlob_IsSeenByThisWriterOnlyUntilFlushed()
    {
        await using var store = new FileSystemObjectStore(_root);
        await using var other = new FileSystemObjectStore(_root);
        string key = BlobKey('a');
        Assert.True(await store.PutIfAbsentAsync(key, "one"u8.ToArray(), default));

        Assert.True(await store.ExistsAsync(key, default));
        Assert.Equal("one"u8.ToArray(), await store.TryGetAsync(key, default));
        Assert.False(await store.PutIfAbsentAsync(key, "one"u8.ToArray(), default));
        Assert.Equal([key], await AllAsync(store.ListAsync("blobs/", default)));
        Assert.Equal([key], await AllAsync(store.ListAfterAsync("blobs/", "blobs/", default)));
        Assert.Equal(["aa/"], await AllAsync(store.ListChildrenAsync("blobs/sha256/", default)));
        Assert.Empty(await AllAsync(other.ListAsync("blobs/", default)));
        Assert.Null(await other.TryGetAsync(key, default));
    }

    [Fact]
    public async Task List_KeyStagedHereAndPublishedByAnother_ListedOnce()
    {
        // Two writers of one blob write the same bytes: this one staged it, the other published it first.
        await using var store = new FileSystemObjectStore(_root);
        await using var other = new FileSystemObjectStore(_root);
        string key = BlobKey('b');
        Assert.True(await store.PutIfAbsentAsync(key, "same"u8.ToArray(), default));
        Assert.True(await other.PutIfAbsentAsync(key, "same"u8.ToArray(), default));
        await other.FlushAsync(default);

        Assert.Equal([key], await AllAsync(store.ListAsync("blobs/", default)));
        Assert.Equal([key], await AllAsync(store.ListAfterAsync("blobs/", "", default)));
        Assert.Equal(["bb/"], await AllAsync(store.ListChildrenAsync("blobs/sha256/", default)));

        // Its flush finds the name taken, keeps the other's object, and leaves nothing in tmp/.
        await store.FlushAsync(default);
        Assert.Equal("same"u8.ToArray(), await store.TryGetAsync(key, default));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "tmp")));
    }

    [Fact]
    public async Task PutIfAbsent_ManifestAnotherWriterPublished_IsNotCreatedAndTheirsStays()
    {
        // Not a blob: published at once, so "created" is the answer for every process.
        await using var store = new FileSystemObjectStore(_root);
        await using var other = new FileSystemObjectStore(_root);
        Assert.True(await other.PutIfAbsentAsync("capsules/x/v1/manifest.json", "theirs"u8.ToArray(), default));
        Assert.False(await store.PutIfAbsentAsync("capsules/x/v1/manifest.json", "ours"u8.ToArray(), default));
        Assert.Equal("theirs"u8.ToArray(), await store.TryGetAsync("capsules/x/v1/manifest.json", default));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "tmp")));
    }

    [Fact]
    public async Task Location_IsTheFullPathOfTheRoot()
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, _root);
        await using var store = new FileSystemObjectStore(relative);
        Assert.Equal(_root, store.Location);
        Assert.Equal(_root, store.Root);
        Assert.True(store.Capabilities.AtomicCreate);
        Assert.True(store.Capabilities.CheapChildListing);
    }
}
