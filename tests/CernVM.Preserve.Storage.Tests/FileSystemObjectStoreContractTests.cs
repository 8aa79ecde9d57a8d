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

    [Fact]
    public async Task ChildrenToken_ChangesWithTheNamesOfTheLevelOnly_AndIsWithheldWhileFresh()
    {
        var store = new FileSystemObjectStore(_root) { TokenSettleTime = TimeSpan.Zero };
        await store.PutIfAbsentAsync("capsules/alpha/v1/manifest.json", "{}"u8.ToArray(), default);
        string? token = await store.ChildrenTokenAsync("capsules/alpha/", default);
        Assert.NotNull(token);
        Assert.Equal(token, await store.ChildrenTokenAsync("capsules/alpha/", default));

        // A file inside a child (a version's sidecar) is a change further down: the same token.
        await store.PutIfAbsentAsync("capsules/alpha/v1/manifest.json.sha256", "x"u8.ToArray(), default);
        Assert.Equal(token, await store.ChildrenTokenAsync("capsules/alpha/", default));

        // A new child (a version directory) changes it; so does one removed.
        await store.PutIfAbsentAsync("capsules/alpha/v2/manifest.json", "{}"u8.ToArray(), default);
        string? added = await store.ChildrenTokenAsync("capsules/alpha/", default);
        Assert.NotEqual(token, added);
        Directory.Delete(Path.Combine(_root, "capsules/alpha/v2"), recursive: true);
        Assert.NotEqual(added, await store.ChildrenTokenAsync("capsules/alpha/", default));

        // None for a level that does not exist, for the top (it holds the writers' scratch), nor while the last
        // change is younger than the settle time.
        Assert.Null(await store.ChildrenTokenAsync("capsules/none/", default));
        Assert.Null(await store.ChildrenTokenAsync("", default));
        Assert.Null(await new FileSystemObjectStore(_root).ChildrenTokenAsync("capsules/alpha/", default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ChildrenTokenAsync("capsules/alpha", default));
    }

    /// <summary>
    /// The one-pass listing with tokens gives what the interface's child-by-child default gives: a key, a directory,
    /// a symlink to a directory (listed as a level, no token: it is not one), a level whose object is staged, a fresh
    /// level, the top, a level that does not exist.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(3600)]
    public async Task ListChildrenWithTokens_SameAsChildByChild(int settleSeconds)
    {
        var store = new FileSystemObjectStore(_root) { TokenSettleTime = TimeSpan.FromSeconds(settleSeconds) };
        await store.PutIfAbsentAsync("capsules/alpha/v1/manifest.json", "{}"u8.ToArray(), default);
        await store.PutIfAbsentAsync("capsules/notes", "x"u8.ToArray(), default);
        await store.FlushAsync(default);
        Directory.CreateSymbolicLink(Path.Combine(_root, "capsules/beta"), "alpha");
        await store.PutIfAbsentAsync("blobs/sha256/ab/ab" + new string('3', 62), "y"u8.ToArray(), default); // staged, unflushed
        await store.PutIfAbsentAsync("capsules/gamma/v1/manifest.json", "{}"u8.ToArray(), default); // staged: a level not on disk yet

        foreach (string prefix in new[] { "capsules/", "", "capsules/alpha/", "capsules/none/" })
        {
            var oneByOne = new List<(string, string?)>();
            await foreach (string child in store.ListChildrenAsync(prefix, default))
            {
                oneByOne.Add((child, child.EndsWith('/') ? await store.ChildrenTokenAsync(prefix + child, default) : null));
            }

            var onePass = new List<(string, string?)>();
            await foreach ((string, string?) c in store.ListChildrenWithTokensAsync(prefix, default))
            {
                onePass.Add(c);
            }

            Assert.Equal(oneByOne, onePass);
            if (prefix == "capsules/")
            {
                Assert.Equal(["alpha/", "beta/", "gamma/", "notes"], onePass.Select(c => c.Item1));
                Assert.Equal([settleSeconds == 0, false, settleSeconds == 0, false], onePass.Select(c => c.Item2 is not null)); // gamma's directory is made at the put
            }
        }
    }

    /// <summary>The walk that skips what sorts before the start gives what filtering the whole listing gives, for keys and starts made of the characters that sort around '/'.</summary>
    [Fact]
    public async Task ListAfter_AnyStart_SameAsFilteringTheWholeListing()
    {
        var store = new FileSystemObjectStore(_root);
        var random = new Random(7);
        string Segment()
        {
            string s = new([.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => "-.0a~"[random.Next(5)])]);
            return s.Trim('.').Length == 0 ? "a" + s : s; // "." and ".." are no key's segments
        }

        for (int i = 0; i < 150; i++)
        {
            string key = "j/" + string.Join('/', Enumerable.Range(0, random.Next(1, 4)).Select(_ => Segment()));
            if (!Directory.Exists(Path.Combine(_root, key)) && !File.Exists(Path.Combine(_root, Path.GetDirectoryName(key)!)))
            {
                try
                {
                    await store.PutIfAbsentAsync(key, "x"u8.ToArray(), default);
                }
                catch (Exception e) when (e is IOException or StorageException)
                {
                    // a name already taken by a directory, or a file where a directory is needed: not a key
                }
            }
        }

        // Keys beside j/ too, and a blob staged (its temporary file in tmp/, which no listing shows).
        await store.PutIfAbsentAsync("ja/x", "x"u8.ToArray(), default);
        await store.PutIfAbsentAsync("i", "x"u8.ToArray(), default);
        await store.PutIfAbsentAsync("blobs/ab/cd", "staged"u8.ToArray(), default);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_root, "tmp")));

        var all = new List<string>();
        await foreach (string k in store.ListAsync("", default))
        {
            all.Add(k);
        }

        Assert.True(all.Count > 50);
        foreach (string prefix in new[] { "j/", "j", "", "j/a" })
        {
            foreach (string start in all.Take(40).Concat(["", "i", "j", "k"]).Concat(Enumerable.Range(0, 60).Select(_ => "j/" + string.Join('/', Enumerable.Range(0, random.Next(0, 4)).Select(_ => Segment())))))
            {
                var after = new List<string>();
                await foreach (string k in store.ListAfterAsync(prefix, start, default))
                {
                    after.Add(k);
                }

                Assert.Equal(all.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && string.CompareOrdinal(k, start) > 0), after);
            }
        }
    }
}
