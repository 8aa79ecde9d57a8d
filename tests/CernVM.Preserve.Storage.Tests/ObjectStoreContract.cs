using System.Text;
using CernVM.Preserve.Core.Storage;
using Xunit;

namespace CernVM.Preserve.Storage.Tests;

/// <summary>
/// The contract of <see cref="IObjectStore"/> (its XML docs), checked the same way for every store: each
/// store's test class derives from this one and says how to make a fresh store.
/// </summary>
public abstract class ObjectStoreContract
{
    /// <summary>A new, empty store, and a second handle on the same storage (another process's view).</summary>
    protected abstract (IObjectStore Store, IObjectStore Other) CreateStores();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1024 * 1024)]
    [InlineData(17 * 1024 * 1024)]
    public async Task PutThenGet_AnySize_GivesTheSameBytes(int size)
    {
        (IObjectStore store, _) = CreateStores();
        byte[] content = new byte[size];
        new Random(size).NextBytes(content);
        Assert.True(await store.PutIfAbsentAsync("capsules/x/v1/manifest.json", content, default));
        Assert.Equal(content, await store.TryGetAsync("capsules/x/v1/manifest.json", default));
    }

    [Fact]
    public async Task PutIfAbsent_ExistingKey_ReturnsFalseAndKeepsTheFirstContent()
    {
        (IObjectStore store, IObjectStore other) = CreateStores();
        Assert.True(await store.PutIfAbsentAsync("journal/2026/a.json", "first"u8.ToArray(), default));
        Assert.False(await store.PutIfAbsentAsync("journal/2026/a.json", "second"u8.ToArray(), default));
        Assert.False(await other.PutIfAbsentAsync("journal/2026/a.json", "third"u8.ToArray(), default));
        Assert.Equal("first", Encoding.ASCII.GetString((await other.TryGetAsync("journal/2026/a.json", default))!));
    }

    [Fact]
    public async Task PutIfAbsent_RacingWritersOnOneKey_ExactlyOneWins()
    {
        (IObjectStore store, IObjectStore other) = CreateStores();
        Task<bool>[] puts = Enumerable.Range(0, 16)
            .Select(i => Task.Run(() => (i % 2 == 0 ? store : other).PutIfAbsentAsync("capsules/race/v1/manifest.json", Encoding.ASCII.GetBytes($"writer {i}"), default)))
            .ToArray();
        bool[] won = await Task.WhenAll(puts);
        Assert.Single(won, w => w);
    }

    [Fact]
    public async Task Missing_Key_IsNullAndFalse()
    {
        (IObjectStore store, _) = CreateStores();
        Assert.Null(await store.TryGetAsync("blobs/sha256/00/nothing", default));
        Assert.False(await store.ExistsAsync("blobs/sha256/00/nothing", default));
    }

    [Fact]
    public async Task Blob_AfterFlush_IsVisibleToOthers()
    {
        (IObjectStore store, IObjectStore other) = CreateStores();
        string key = "blobs/sha256/ab/ab" + new string('0', 62);
        Assert.True(await store.PutIfAbsentAsync(key, "blob"u8.ToArray(), default));
        Assert.True(await store.ExistsAsync(key, default));
        await store.FlushAsync(default);
        Assert.True(await other.ExistsAsync(key, default));
        Assert.Equal("blob"u8.ToArray(), await other.TryGetAsync(key, default));
    }

    [Fact]
    public async Task List_GivesKeysUnderThePrefixInOrdinalOrder()
    {
        (IObjectStore store, _) = CreateStores();
        foreach (string k in new[] { "capsules/b/v1/manifest.json", "capsules/a/v2/manifest.json", "capsules/a/v10/manifest.json", "journal/2026/e.json" })
        {
            await store.PutIfAbsentAsync(k, "x"u8.ToArray(), default);
        }

        await store.FlushAsync(default);
        var keys = new List<string>();
        await foreach (string k in store.ListAsync("capsules/a/", default))
        {
            keys.Add(k);
        }

        Assert.Equal(["capsules/a/v10/manifest.json", "capsules/a/v2/manifest.json"], keys);
    }

    [Theory]
    [InlineData("journal/2026/20261202T100000Z-b.json", new[] { "journal/2026/20261202T110000Z-c.json", "journal/2027/20270101T000000Z-d.json" })]
    [InlineData("journal/2026/20261202T095959Z-z.json", new[] { "journal/2026/20261202T100000Z-b.json", "journal/2026/20261202T110000Z-c.json", "journal/2027/20270101T000000Z-d.json" })]
    [InlineData("journal/", new[] { "journal/2026/20261202T090000Z-a.json", "journal/2026/20261202T100000Z-b.json", "journal/2026/20261202T110000Z-c.json", "journal/2027/20270101T000000Z-d.json" })]
    [InlineData("journal/2027/20270101T000000Z-d.json", new string[0])]
    [InlineData("journal/2026", new[] { "journal/2026/20261202T090000Z-a.json", "journal/2026/20261202T100000Z-b.json", "journal/2026/20261202T110000Z-c.json", "journal/2027/20270101T000000Z-d.json" })]
    [InlineData("journal/2026/~", new[] { "journal/2027/20270101T000000Z-d.json" })]
    [InlineData("journal/2026-", new[] { "journal/2026/20261202T090000Z-a.json", "journal/2026/20261202T100000Z-b.json", "journal/2026/20261202T110000Z-c.json", "journal/2027/20270101T000000Z-d.json" })]
    [InlineData("journal/2026/20261202T100000Z-b.jsonz", new[] { "journal/2026/20261202T110000Z-c.json", "journal/2027/20270101T000000Z-d.json" })]
    [InlineData("a", new[] { "journal/2026/20261202T090000Z-a.json", "journal/2026/20261202T100000Z-b.json", "journal/2026/20261202T110000Z-c.json", "journal/2027/20270101T000000Z-d.json" })]
    [InlineData("k", new string[0])]
    public async Task ListAfter_GivesTheKeysUnderThePrefixThatSortAfterTheStart(string startAfter, string[] expected)
    {
        (IObjectStore store, IObjectStore other) = CreateStores();
        foreach (string k in new[] { "journal/2026/20261202T100000Z-b.json", "journal/2026/20261202T090000Z-a.json", "journal/2027/20270101T000000Z-d.json", "journal/2026/20261202T110000Z-c.json", "jz/after-the-prefix.json" })
        {
            await store.PutIfAbsentAsync(k, "x"u8.ToArray(), default);
        }

        await store.FlushAsync(default);
        foreach (IObjectStore s in new[] { store, other })
        {
            var keys = new List<string>();
            await foreach (string k in s.ListAfterAsync("journal/", startAfter, default))
            {
                keys.Add(k);
            }

            Assert.Equal(expected, keys);
            Assert.Equal(await AfterByFilteringAsync(s, "journal/2026/2026120", startAfter), await ListAfterAsync(s, "journal/2026/2026120", startAfter));
        }

        static async Task<List<string>> ListAfterAsync(IObjectStore s, string prefix, string startAfter)
        {
            var keys = new List<string>();
            await foreach (string k in s.ListAfterAsync(prefix, startAfter, default))
            {
                keys.Add(k);
            }

            return keys;
        }

        static async Task<List<string>> AfterByFilteringAsync(IObjectStore s, string prefix, string startAfter)
        {
            var keys = new List<string>();
            await foreach (string k in s.ListAsync(prefix, default))
            {
                if (string.CompareOrdinal(k, startAfter) > 0)
                {
                    keys.Add(k);
                }
            }

            return keys;
        }
    }

    [Fact]
    public async Task ListChildren_GivesEachNameOfTheNextLevelOnce_DirectoriesWithASlash()
    {
        (IObjectStore store, IObjectStore other) = CreateStores();
        foreach (string k in new[]
                 {
                     "capsules/b/v1/manifest.json", "capsules/a/v2/manifest.json", "capsules/a/v1/manifest.json.sha256", "capsules/a/v1/manifest.json",
                     "capsules/notes", "capsulesX/y", "journal/2026/e.json",
                 })
        {
            await store.PutIfAbsentAsync(k, "x"u8.ToArray(), default);
        }

        await store.FlushAsync(default);
        await store.PutIfAbsentAsync("blobs/ab/cdef", "staged until the next flush on a directory"u8.ToArray(), default);

        foreach (IObjectStore s in new[] { store, other })
        {
            Assert.Equal(["a/", "b/", "notes"], await Children(s, "capsules/"));
            Assert.Equal(["v1/", "v2/"], await Children(s, "capsules/a/"));
            Assert.Equal(["manifest.json", "manifest.json.sha256"], await Children(s, "capsules/a/v1/"));
            Assert.Empty(await Children(s, "capsules/c/"));
        }

        // The top: what the flat listing holds, cut at the first level (this writer sees its own blob at once).
        foreach (IObjectStore s in new[] { store, other })
        {
            var derived = new List<string>();
            await foreach (string k in s.ListAsync("", default))
            {
                string child = ObjectStoreKeys.ChildOf(k, "");
                if (derived.Count == 0 || derived[^1] != child)
                {
                    derived.Add(child);
                }
            }

            Assert.Equal(derived, await Children(s, ""));
            Assert.Contains("capsules/", derived);
            Assert.Contains("capsulesX/", derived);
            Assert.DoesNotContain("tmp/", derived);
        }

        Assert.Contains("blobs/", await Children(store, ""));
        await Assert.ThrowsAsync<ArgumentException>(async () => await Children(store, "capsules/a"));

        static async Task<List<string>> Children(IObjectStore s, string prefix)
        {
            var names = new List<string>();
            await foreach (string c in s.ListChildrenAsync(prefix, default))
            {
                names.Add(c);
            }

            return names;
        }
    }

    [Fact]
    public async Task Dispose_Twice_IsHarmlessAndKeepsWhatWasFlushed()
    {
        // An Archive disposes the store it was given, and the store's owner may too (IAsyncDisposable's rule).
        (IObjectStore store, IObjectStore other) = CreateStores();
        Assert.True(await store.PutIfAbsentAsync("journal/2026/e.json", "x"u8.ToArray(), default));
        await store.FlushAsync(default);

        await store.DisposeAsync();
        await store.DisposeAsync();

        Assert.Equal("x"u8.ToArray(), await other.TryGetAsync("journal/2026/e.json", default));
    }
}
