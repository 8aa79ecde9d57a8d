using CernVM.Preserve.Core.Storage;
using Xunit;

namespace CernVM.Preserve.Storage.Tests;

/// <summary>
/// The order of the directory store's durable steps (FORMAT.md §8): bytes durable before any name is given,
/// names given in key order, then the directories that received names or new directories made durable; a
/// manifest's put made durable before it returns. No read can see these steps, and only a crash between two of
/// them would, so they are checked from the store's own record of the calls it makes.
/// </summary>
public sealed class FileSystemObjectStoreDurabilityTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cvmp-durable-").FullName;
    private readonly List<DurableStep> _steps = [];

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private FileSystemObjectStore NewStore() => new(_root) { OnDurableStep = _steps.Add };

    // Keys spread over `directories` fan-out directories, as blob ids are.
    private static string BlobKey(int i, int directories = 256) => $"blobs/sha256/{i % directories:x2}/{i:x2}" + new string('0', 62);

    private string PathOf(string key) => Path.Combine(_root, key);

    private static async Task StageAsync(FileSystemObjectStore store, int count, int directories = 256)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.True(await store.PutIfAbsentAsync(BlobKey(i, directories), new byte[] { (byte)i }, default));
        }
    }

    /// <summary>The directories a first flush of these blobs makes durable: the fan-out directories that received names, and the parents of each directory made (the root for tmp/ and blobs/, blobs/, blobs/sha256/).</summary>
    private HashSet<string> DirectoriesOfAFirstFlush(int count, int directories) =>
        [.. Enumerable.Range(0, count).Select(i => Path.GetDirectoryName(PathOf(BlobKey(i, directories)))!)
            .Concat([_root, PathOf("blobs"), PathOf("blobs/sha256")])];

    [Theory]
    [InlineData(1, 256)]
    [InlineData(13, 256)] // 13 fan-out directories and 3 parents: 16 directories, the most made durable one by one
    [InlineData(16, 4)] // 16 files, the most made durable one by one, in 4 + 3 directories
    public async Task Flush_FewBlobs_EachFsyncedThenLinkedInKeyOrder_ThenEachDirectoryFsynced(int count, int fanOut)
    {
        await using FileSystemObjectStore store = NewStore();
        await StageAsync(store, count, fanOut);
        Assert.Empty(_steps); // staging makes nothing durable and names nothing

        await store.FlushAsync(default);

        DurableStep[] fsyncs = [.. _steps.Take(count)];
        DurableStep[] links = [.. _steps.Skip(count).Take(count)];
        DurableStep[] directories = [.. _steps.Skip(2 * count)];
        Assert.All(fsyncs, s => Assert.Equal(DurableStepKind.FsyncFile, s.Kind));
        Assert.All(links, s => Assert.Equal(DurableStepKind.Link, s.Kind));
        Assert.Equal(fsyncs.Select(s => s.Path).Order(), links.Select(s => s.Path).Order()); // each file fsynced is linked, and only those
        Assert.Equal(Enumerable.Range(0, count).Select(i => PathOf(BlobKey(i, fanOut))).Order(StringComparer.Ordinal), links.Select(s => s.Target)); // in key order
        Assert.All(directories, s => Assert.Equal(DurableStepKind.FsyncDirectory, s.Kind));
        Assert.Equal(DirectoriesOfAFirstFlush(count, fanOut), directories.Select(s => s.Path).ToHashSet());
        Assert.Equal(directories.Length, directories.Select(s => s.Path).Distinct().Count());
        Assert.Equal(directories.Select(s => s.Path.Length).OrderDescending(), directories.Select(s => s.Path.Length)); // deepest first
        Assert.Empty(Directory.GetFiles(PathOf("tmp")));
    }

    [Theory]
    [InlineData(14)] // 14 fan-out directories and 3 parents: 17 directories
    [InlineData(17)]
    [InlineData(40)]
    public async Task Flush_ManyBlobsOrDirectories_OneSyncfsBeforeTheLinks_OneAfter(int count)
    {
        await using FileSystemObjectStore store = NewStore();
        await StageAsync(store, count);

        await store.FlushAsync(default);

        bool manyFiles = count > 16;
        DurableStep first = _steps[0];
        DurableStep last = _steps[^1];
        IEnumerable<DurableStep> links = _steps.Where(s => s.Kind == DurableStepKind.Link);
        Assert.Equal(Enumerable.Range(0, count).Select(i => PathOf(BlobKey(i))), links.Select(s => s.Target));
        Assert.Equal(manyFiles ? 1 + count + 1 : count + count + 1, _steps.Count);
        Assert.Equal(manyFiles ? DurableStepKind.SyncFileSystem : DurableStepKind.FsyncFile, first.Kind);
        Assert.Equal(new DurableStep(DurableStepKind.SyncFileSystem, _root), last);
        Assert.Equal(_steps.Count - 2, _steps.FindLastIndex(s => s.Kind == DurableStepKind.Link)); // the names' syncfs follows the last link
    }

    [Fact]
    public async Task PrepareLevels_MakesEachLevelNow_TheirParentsDurableAtTheNextFlush_ThenOnlyLevelsThatReceiveNames()
    {
        await using FileSystemObjectStore store = NewStore();

        await store.PrepareLevelsAsync(["blobs/sha256/00/", "blobs/sha256/01/", "blobs/sha256/02/"], default);

        Assert.All(new[] { "00", "01", "02" }, l => Assert.True(Directory.Exists(PathOf("blobs/sha256/" + l))));
        Assert.Empty(_steps); // made, not yet durable
        await store.FlushAsync(default);
        Assert.Equal(
            [new(DurableStepKind.FsyncDirectory, PathOf("blobs/sha256")), new(DurableStepKind.FsyncDirectory, PathOf("blobs")), new DurableStep(DurableStepKind.FsyncDirectory, _root)],
            _steps);

        // Blobs into prepared levels: the levels that received names, and the root for the tmp/ made to stage them.
        _steps.Clear();
        await StageAsync(store, 2);
        await store.FlushAsync(default);
        Assert.Equal(
            [_root, PathOf("blobs/sha256/00"), PathOf("blobs/sha256/01")],
            _steps.Where(s => s.Kind == DurableStepKind.FsyncDirectory).Select(s => s.Path).Order(StringComparer.Ordinal));

        // Prepared again (another writer's archive, or a second call): nothing made, nothing to make durable.
        _steps.Clear();
        await using FileSystemObjectStore other = NewStore();
        await other.PrepareLevelsAsync(["blobs/sha256/00/", "blobs/sha256/01/", "blobs/sha256/02/"], default);
        await other.FlushAsync(default);
        Assert.Empty(_steps);
    }

    [Fact]
    public async Task PrepareLevels_WhereAFileStands_IsAStorageErrorNamingIt()
    {
        await using FileSystemObjectStore store = NewStore();
        Directory.CreateDirectory(PathOf("blobs"));
        File.WriteAllText(PathOf("blobs/sha256"), "not a directory");

        StorageException e = await Assert.ThrowsAsync<StorageException>(() => store.PrepareLevelsAsync(["blobs/sha256/00/"], default));

        Assert.Contains("blobs/sha256", e.Message);
    }

    [Fact]
    public async Task Flush_Again_WithNothingStagedOrMade_DoesNothing()
    {
        await using FileSystemObjectStore store = NewStore();
        await StageAsync(store, 3);
        await store.FlushAsync(default);
        _steps.Clear();

        await store.FlushAsync(default);

        Assert.Empty(_steps);
    }

    [Fact]
    public async Task Put_Manifest_FsyncedLinkedAndItsDirectoryFsyncedBeforeItReturns_ParentsAtTheNextFlush()
    {
        await using FileSystemObjectStore store = NewStore();
        const string key = "capsules/a/v1/manifest.json";

        Assert.True(await store.PutIfAbsentAsync(key, "{}"u8.ToArray(), default));

        Assert.Equal(3, _steps.Count);
        Assert.Equal(DurableStepKind.FsyncFile, _steps[0].Kind);
        Assert.Equal(new DurableStep(DurableStepKind.Link, _steps[0].Path, PathOf(key)), _steps[1]);
        Assert.Equal(new DurableStep(DurableStepKind.FsyncDirectory, PathOf("capsules/a/v1")), _steps[2]);
        Assert.StartsWith(PathOf("tmp") + "/", _steps[0].Path, StringComparison.Ordinal);
        Assert.False(File.Exists(_steps[0].Path)); // the temporary name is gone

        // The directories made for it (capsules/, capsules/a/, capsules/a/v1/ and tmp/) are names in their
        // parents, made durable by the next flush, deepest first.
        _steps.Clear();
        await store.FlushAsync(default);
        Assert.Equal(
            [PathOf("capsules/a"), PathOf("capsules"), _root],
            _steps.Select(s => s.Path));
        Assert.All(_steps, s => Assert.Equal(DurableStepKind.FsyncDirectory, s.Kind));
    }

    [Fact]
    public async Task Put_ManifestAnotherWriterLinkedFirst_FsyncsItsOwnCopyOnly_AndNamesNothing()
    {
        await using FileSystemObjectStore store = NewStore();
        await using var other = new FileSystemObjectStore(_root);
        const string key = "capsules/a/v1/manifest.json";
        Assert.True(await other.PutIfAbsentAsync(key, "theirs"u8.ToArray(), default));

        Assert.False(await store.PutIfAbsentAsync(key, "ours"u8.ToArray(), default));

        Assert.Empty(_steps); // seen before anything was written: nothing staged, nothing durable
        Assert.Equal("theirs", await File.ReadAllTextAsync(PathOf(key)));
    }

    /// <summary>
    /// Another writer names the manifest at the very moment this one links it (the listener runs just before the
    /// link): the link fails with EEXIST, the put says "not created", the other writer's bytes stay, this writer's
    /// temporary is removed, and no directory is made durable for a name this writer did not give.
    /// </summary>
    [Fact]
    public async Task Put_ManifestAnotherWriterLinksBetweenTheCheckAndTheLink_IsNotCreatedAndKeepsTheirs()
    {
        const string key = "capsules/a/v1/manifest.json";
        await using var other = new FileSystemObjectStore(_root);
        await using var store = new FileSystemObjectStore(_root)
        {
            OnDurableStep = step =>
            {
                _steps.Add(step);
                if (step.Kind == DurableStepKind.Link)
                {
                    Assert.True(other.PutIfAbsentAsync(key, "theirs"u8.ToArray(), default).GetAwaiter().GetResult());
                }
            },
        };

        Assert.False(await store.PutIfAbsentAsync(key, "ours"u8.ToArray(), default));

        Assert.Equal([DurableStepKind.FsyncFile, DurableStepKind.Link], _steps.Select(s => s.Kind));
        Assert.Equal("theirs", await File.ReadAllTextAsync(PathOf(key)));
        Assert.Empty(Directory.GetFiles(PathOf("tmp")));
    }

    /// <summary>The same race for a staged blob at the flush: the blob is there with the same bytes, so the flush goes on without error and leaves nothing staged.</summary>
    [Fact]
    public async Task Flush_BlobAnotherWriterLinksBetweenTheStagingAndTheLink_GoesOnAndLeavesNothingStaged()
    {
        string key = BlobKey(7);
        await using var other = new FileSystemObjectStore(_root);
        await using var store = new FileSystemObjectStore(_root)
        {
            OnDurableStep = step =>
            {
                _steps.Add(step);
                if (step.Kind == DurableStepKind.Link)
                {
                    Assert.True(other.PutIfAbsentAsync(key, new byte[] { 7 }, default).GetAwaiter().GetResult());
                    other.FlushAsync(default).GetAwaiter().GetResult();
                }
            },
        };
        Assert.True(await store.PutIfAbsentAsync(key, new byte[] { 7 }, default));

        await store.FlushAsync(default);

        Assert.Equal(new byte[] { 7 }, await File.ReadAllBytesAsync(PathOf(key)));
        Assert.Empty(Directory.GetFiles(PathOf("tmp")));
        Assert.True(await store.ExistsAsync(key, default));
        _steps.Clear();
        await store.FlushAsync(default);
        Assert.DoesNotContain(_steps, s => s.Kind is DurableStepKind.Link or DurableStepKind.FsyncFile);
    }

    /// <summary>Every operation of the directory store checks its cancellation first: a cancelled one writes and names nothing.</summary>
    [Fact]
    public async Task EveryOperation_Cancelled_ThrowsAndWritesNothing()
    {
        await using FileSystemObjectStore store = NewStore();
        Assert.True(await store.PutIfAbsentAsync("capsules/a/v1/manifest.json", "{}"u8.ToArray(), default));
        _steps.Clear();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        CancellationToken c = cancelled.Token;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PutIfAbsentAsync(BlobKey(1), new byte[] { 1 }, c));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PutIfAbsentAsync("capsules/a/v2/manifest.json", "{}"u8.ToArray(), c));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ExistsAsync("capsules/a/v1/manifest.json", c));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.TryGetAsync("capsules/a/v1/manifest.json", c));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.TryGetRentedAsync("capsules/a/v1/manifest.json", c));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ChildrenTokenAsync("capsules/", c));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.FlushAsync(c));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => { await foreach (string _ in store.ListAsync("capsules/", c)) { } });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => { await foreach (string _ in store.ListAfterAsync("capsules/", "", c)) { } });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => { await foreach (string _ in store.ListChildrenAsync("capsules/", c)) { } });

        Assert.Empty(_steps);
        Assert.False(await store.ExistsAsync(BlobKey(1), default));
        Assert.False(Directory.Exists(PathOf("capsules/a/v2")));
        Assert.Empty(Directory.GetFiles(PathOf("tmp")));
    }

    /// <summary>The two cancellation checks of a listing after a key: the walk's (no key to give) and the giving's (a staged key only, no directory walked).</summary>
    [Fact]
    public async Task ListAfter_Cancelled_WithNothingToGiveOrOnlyStagedKeys_Throws()
    {
        await using FileSystemObjectStore store = NewStore();
        Directory.CreateDirectory(PathOf("journal/2026"));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => { await foreach (string _ in store.ListAfterAsync("journal/", "journal/2027", cancelled.Token)) { } });
        Assert.True(await store.PutIfAbsentAsync(BlobKey(3), new byte[] { 3 }, default));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => { await foreach (string _ in store.ListAfterAsync("blobs/", "", cancelled.Token)) { } });
    }

    [Fact]
    public async Task ListAfter_NullArguments_AreRefusedByName()
    {
        await using FileSystemObjectStore store = NewStore();
        Assert.Equal("prefix", (await Assert.ThrowsAsync<ArgumentNullException>(async () => { await foreach (string _ in store.ListAfterAsync(null!, "", default)) { } })).ParamName);
        Assert.Equal("startAfter", (await Assert.ThrowsAsync<ArgumentNullException>(async () => { await foreach (string _ in store.ListAfterAsync("", null!, default)) { } })).ParamName);
    }

    /// <summary>A listing of the whole archive gives a staged blob once, by its key, and nothing of <c>tmp/</c>, where its bytes wait.</summary>
    [Fact]
    public async Task List_WholeArchive_StagedBlobOnce_NothingOfTmp()
    {
        await using FileSystemObjectStore store = NewStore();
        Assert.True(await store.PutIfAbsentAsync("capsules/a/v1/manifest.json", "{}"u8.ToArray(), default));
        Assert.True(await store.PutIfAbsentAsync(BlobKey(5), new byte[] { 5 }, default));
        Assert.NotEmpty(Directory.GetFiles(PathOf("tmp")));

        var keys = new List<string>();
        await foreach (string k in store.ListAsync("", default))
        {
            keys.Add(k);
        }

        Assert.Equal([BlobKey(5), "capsules/a/v1/manifest.json"], keys);
    }

    /// <summary>Names starting with a dot are names like others (a location may hold <c>.DS_Store</c>): listed, not skipped as "hidden".</summary>
    [Fact]
    public async Task ListChildren_DotNames_AreListed()
    {
        await using FileSystemObjectStore store = NewStore();
        await File.WriteAllTextAsync(PathOf(".DS_Store"), "x");
        Directory.CreateDirectory(PathOf(".hidden-dir"));
        Assert.True(await store.PutIfAbsentAsync("capsules/.a/v1/manifest.json", "{}"u8.ToArray(), default));

        var top = new List<string>();
        await foreach (string k in store.ListChildrenAsync("", default))
        {
            top.Add(k);
        }

        var capsules = new List<string>();
        await foreach (string k in store.ListChildrenAsync("capsules/", default))
        {
            capsules.Add(k);
        }

        Assert.Equal([".DS_Store", ".hidden-dir/", "capsules/"], top);
        Assert.Equal([".a/"], capsules);
    }

    /// <summary>A read the file system refuses for another reason than absence (a symlink loop where the object should be) names the path and says it cannot be read.</summary>
    [Fact]
    public async Task Get_SymlinkLoopAtTheKey_CannotBeReadNamingThePath()
    {
        await using FileSystemObjectStore store = NewStore();
        Directory.CreateDirectory(PathOf("capsules/a/v1"));
        File.CreateSymbolicLink(PathOf("capsules/a/v1/manifest.json"), PathOf("capsules/a/v1/manifest.json"));

        StorageException e = await Assert.ThrowsAsync<StorageException>(() => store.TryGetAsync("capsules/a/v1/manifest.json", default));

        Assert.StartsWith(PathOf("capsules/a/v1/manifest.json") + ": cannot be read (", e.Message, StringComparison.Ordinal);
        Assert.Equal("capsules/a/v1/manifest.json", e.Key);
    }

    /// <summary>
    /// A write that fails for another reason than a full device (<c>tmp/</c> is a file, so nothing can be staged)
    /// is a storage error naming the object and the system's reason, not "full", and writes nothing.
    /// </summary>
    [Theory]
    [InlineData("capsules/a/v1/manifest.json")]
    [InlineData("blobs/sha256/ab/ab00000000000000000000000000000000000000000000000000000000000000")]
    public async Task Put_TmpIsAFile_StorageErrorNamingTheObject_NotFull(string key)
    {
        await File.WriteAllTextAsync(PathOf("tmp"), "not a directory");
        await using FileSystemObjectStore store = NewStore();

        StorageException e = await Assert.ThrowsAsync<StorageException>(() => store.PutIfAbsentAsync(key, "{}"u8.ToArray(), default));

        Assert.IsNotType<StorageFullException>(e);
        Assert.StartsWith(PathOf(key) + ": ", e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Length > PathOf(key).Length + 2, e.Message);
        Assert.Equal(key, e.Key);
        Assert.False(File.Exists(PathOf(key)));
        Assert.Empty(_steps);
    }

    /// <summary>A store whose root does not exist yet makes it; the directory above is not the archive's and is left alone (it may be one the writer cannot open).</summary>
    [Fact]
    public async Task Put_RootNotYetMade_RootMadeDurable_NotTheDirectoryAbove()
    {
        string root = Path.Combine(_root, "new-archive");
        await using var store = new FileSystemObjectStore(root) { OnDurableStep = _steps.Add };
        Assert.True(await store.PutIfAbsentAsync("capsules/a/v1/manifest.json", "{}"u8.ToArray(), default));
        _steps.Clear();

        await store.FlushAsync(default);

        Assert.Contains(new DurableStep(DurableStepKind.FsyncDirectory, root), _steps);
        Assert.DoesNotContain(_steps, s => s.Path == _root);
    }

    [Theory]
    [InlineData("capsules")]
    [InlineData("/capsules/")]
    public async Task ListChildren_PrefixNotALevel_IsRefused(string prefix)
    {
        await using FileSystemObjectStore store = NewStore();
        await Assert.ThrowsAsync<ArgumentException>(async () => { await foreach (string _ in store.ListChildrenAsync(prefix, default)) { } });
    }

    /// <summary>What was staged and never flushed is abandoned by the store's disposal: its bytes removed, the key no longer there.</summary>
    [Fact]
    public async Task Dispose_StagedBlob_AbandonedAndNoLongerSeen()
    {
        FileSystemObjectStore store = NewStore();
        Assert.True(await store.PutIfAbsentAsync(BlobKey(9), new byte[] { 9 }, default));

        await store.DisposeAsync();

        Assert.Empty(Directory.GetFiles(PathOf("tmp")));
        Assert.False(await store.ExistsAsync(BlobKey(9), default));
        Assert.Null(await store.TryGetAsync(BlobKey(9), default));
    }
}

/// <summary>
/// A full device, on a real one: a 1 MiB tmpfs (mounting needs root, as the command-line fault tests do). The
/// store says which object did not fit and that the device is full, and leaves nothing staged or half-named.
/// </summary>
public sealed class FileSystemObjectStoreFullDeviceTests : IDisposable
{
    private readonly Tmpfs _device = new("1m");

    public void Dispose() => _device.Dispose();

    [Theory]
    [InlineData("blobs/sha256/ab/ab00000000000000000000000000000000000000000000000000000000000000")] // staged, named at the flush
    [InlineData("capsules/a/v1/manifest.json")] // named at once
    public async Task Put_LargerThanTheDevice_IsStorageFullNamingTheObject_AndLeavesNothing(string key)
    {
        string root = Path.Combine(_device.Path, "archive");
        await using var store = new FileSystemObjectStore(root);
        byte[] content = new byte[2 * 1024 * 1024];
        new Random(1).NextBytes(content);

        StorageFullException e = await Assert.ThrowsAsync<StorageFullException>(() => store.PutIfAbsentAsync(key, content, default));

        Assert.StartsWith(Path.Combine(root, key) + ": the device holding the archive is full (", e.Message, StringComparison.Ordinal);
        Assert.Equal(key, e.Key);
        Assert.False(await store.ExistsAsync(key, default));
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "tmp")));
        await store.FlushAsync(default);
        Assert.False(File.Exists(Path.Combine(root, key)));

        // Room again for what fits: the store goes on.
        Assert.True(await store.PutIfAbsentAsync(key, "{}"u8.ToArray(), default));
        await store.FlushAsync(default);
        Assert.Equal("{}", await File.ReadAllTextAsync(Path.Combine(root, key)));
    }
}

/// <summary>
/// A directory the kernel refuses to change, as root too: made immutable (`chattr +i`) on a tmpfs the test mounts. A
/// new level refused, a manifest's link refused, a staged blob's link refused at the flush: each a storage error (not
/// "full") naming the place, nothing named half-way, and the store usable again once the directory is writable.
/// </summary>
public sealed class FileSystemObjectStoreRefusedTests : IDisposable
{
    private readonly Tmpfs _device = new("4m");

    private string Root => Path.Combine(_device.Path, "archive");

    // An immutable directory does not keep its file system from being unmounted: the whole tmpfs goes at the end.
    public void Dispose() => _device.Dispose();

    private void Immutable(string relative)
    {
        string d = Path.Combine(Root, relative);
        Directory.CreateDirectory(d);
        Tmpfs.Run("chattr", "+i", d);
    }

    private void Writable(string relative) => Tmpfs.Run("chattr", "-i", Path.Combine(Root, relative));

    [Fact]
    public async Task Put_ManifestWhoseVersionDirectoryCannotBeMade_PermissionErrorNamingIt_NothingNamed()
    {
        await using var store = new FileSystemObjectStore(Root);
        Immutable("capsules/a");
        const string key = "capsules/a/v1/manifest.json";

        StorageException e = await Assert.ThrowsAsync<StorageException>(() => store.PutIfAbsentAsync(key, "{}"u8.ToArray(), default));

        Assert.IsNotType<StorageFullException>(e);
        Assert.StartsWith(Path.Combine(Root, "capsules/a/v1") + ": permission denied (", e.Message, StringComparison.Ordinal);
        Assert.Equal(key, e.Key);
        Assert.False(await store.ExistsAsync(key, default));

        Writable("capsules/a");
        Assert.True(await store.PutIfAbsentAsync(key, "{}"u8.ToArray(), default));
    }

    [Fact]
    public async Task Put_ManifestWhoseLinkIsRefused_StorageErrorNamingIt_NothingNamed()
    {
        await using var store = new FileSystemObjectStore(Root);
        Immutable("capsules/a/v1");
        const string key = "capsules/a/v1/manifest.json";

        StorageException e = await Assert.ThrowsAsync<StorageException>(() => store.PutIfAbsentAsync(key, "{}"u8.ToArray(), default));

        Assert.IsNotType<StorageFullException>(e);
        Assert.StartsWith(Path.Combine(Root, key) + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains("Operation not permitted", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Root, key)));

        Writable("capsules/a/v1");
        Assert.True(await store.PutIfAbsentAsync(key, "{}"u8.ToArray(), default));
        Assert.Equal("{}", await File.ReadAllTextAsync(Path.Combine(Root, key)));
    }

    [Fact]
    public async Task Flush_BlobWhoseLinkIsRefused_StorageErrorNamingTheArchive_TheBlobStillStagedAndFlushedLater()
    {
        await using var store = new FileSystemObjectStore(Root);
        string key = "blobs/sha256/ab/ab" + new string('0', 62);
        Assert.True(await store.PutIfAbsentAsync(key, "blob"u8.ToArray(), default));
        Immutable("blobs/sha256/ab");

        StorageException e = await Assert.ThrowsAsync<StorageException>(() => store.FlushAsync(default));

        Assert.IsNotType<StorageFullException>(e);
        Assert.StartsWith(Root + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains("Operation not permitted", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Root, key)));
        Assert.True(await store.ExistsAsync(key, default)); // still staged by this writer

        Writable("blobs/sha256/ab");
        await store.FlushAsync(default);
        Assert.Equal("blob", await File.ReadAllTextAsync(Path.Combine(Root, key)));
        Assert.Empty(Directory.GetFiles(Path.Combine(Root, "tmp")));
    }
}
