using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Storage;
using Xunit;

namespace CernVM.Preserve.Storage.Tests;

/// <summary>
/// The link a new event carries names the newest event of the whole journal, while a writer lists only this
/// year's events when there are any (every event write asks for the tail).
/// </summary>
public sealed class JournalChainTests : IDisposable
{
    private static readonly DateTimeOffset In2026 = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _root = Directory.CreateTempSubdirectory("cvmp-journal-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static async Task<string> EventAsync(IObjectStore store, string stamp, int n)
    {
        string key = $"journal/{stamp[..4]}/{stamp}Z-{n:x32}.json";
        Assert.True(await store.PutIfAbsentAsync(key, Encoding.UTF8.GetBytes($"{{\"n\":{n}}}"), default));
        return key;
    }

    [Fact]
    public async Task Tail_EventThisYear_IsTheNewest_AndOnlyThisYearIsListed()
    {
        await using var store = new ListingRecorder(new FileSystemObjectStore(_root));
        await EventAsync(store, "20241231T235959.9999999", 1);
        await EventAsync(store, "20260102T000000.0000000", 3);
        string newest = await EventAsync(store, "20260301T120000.5", 4);
        await EventAsync(store, "20250101T000000.0000000", 2);
        Assert.True(await store.PutIfAbsentAsync("journal/2026/zz-not-an-event.json", "x"u8.ToArray(), default));

        EventLink? link = await JournalChain.TailAsync(store, default, In2026);

        Assert.Equal(newest, link!.Key);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("{\"n\":4}"u8)), link.Sha256);
        Assert.Equal(["after journal/2025/~"], store.Listings);
    }

    [Theory]
    [InlineData(2026)] // the first event of a year: none yet this year
    [InlineData(2024)] // a writer's clock behind the journal's
    [InlineData(2031)]
    public async Task Tail_WhateverTheWritersClock_IsTheNewestOfTheWholeJournal(int year)
    {
        await using var store = new ListingRecorder(new FileSystemObjectStore(_root));
        await EventAsync(store, "20231105T101010.1", 1);
        string newest = await EventAsync(store, "20251231T235959.9999999", 2);
        await EventAsync(store, "20250601T000000", 3);

        EventLink? link = await JournalChain.TailAsync(store, default, new DateTimeOffset(year, 1, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(newest, link!.Key);
    }

    [Fact]
    public async Task Tail_EmptyJournal_IsNull()
    {
        await using var store = new ListingRecorder(new FileSystemObjectStore(_root));
        Assert.True(await store.PutIfAbsentAsync("journal/2026/not-an-event.json", "x"u8.ToArray(), default));
        Assert.Null(await JournalChain.TailAsync(store, default, In2026));
        Assert.Equal(["after journal/2025/~", "all journal/"], store.Listings);
    }

    [Fact]
    public async Task Tail_WritersClockGiven_ListsFromItsYearNotTodays()
    {
        // The year listed first is the given clock's, whatever today's date: 2031 has no event, so the whole
        // journal is listed next.
        await using var store = new ListingRecorder(new FileSystemObjectStore(_root));
        string newest = await EventAsync(store, "20240301T000000", 1);

        EventLink? link = await JournalChain.TailAsync(store, default, new DateTimeOffset(2031, 7, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(newest, link!.Key);
        Assert.Equal(["after journal/2030/~", "all journal/"], store.Listings);
    }

    [Theory]
    [InlineData("journal/2026/20260301T120000Z-0123456789abcdef0123456789abcdef.json", true)]
    [InlineData("journal/2026/20260301T120000.123456789Z-0123456789abcdef0123456789abcdef.json", true)]
    [InlineData("journal/2026/20260301T120000Z-0123456789abcdef0123456789abcdef.json\n", false)]
    [InlineData("journal/2026/20260301T120000Z-0123456789ABCDEF0123456789abcdef.json", false)]
    [InlineData("journal/2026/20260301T120000.Z-0123456789abcdef0123456789abcdef.json", false)]
    [InlineData("x/journal/2026/20260301T120000Z-0123456789abcdef0123456789abcdef.json", false)]
    public void IsEventKey_OnlyTheWholeKeyOfAnEvent(string key, bool isEvent) => Assert.Equal(isEvent, JournalChain.IsEventKey(key));

    [Fact]
    public async Task Tail_NoStore_Refused() =>
        await Assert.ThrowsAsync<ArgumentNullException>(() => JournalChain.TailAsync(null!, default, In2026));

    /// <summary>A store in front of a real one that records each listing it is asked for.</summary>
    private sealed class ListingRecorder(IObjectStore inner) : IObjectStore
    {
        public List<string> Listings { get; } = [];

        public string Location => inner.Location;

        public StoreCapabilities Capabilities => inner.Capabilities;

        public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => inner.ExistsAsync(key, cancellationToken);

        public Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) => inner.PutIfAbsentAsync(key, content, cancellationToken);

        public Task<byte[]?> TryGetAsync(string key, CancellationToken cancellationToken) => inner.TryGetAsync(key, cancellationToken);

        public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken)
        {
            Listings.Add("all " + prefix);
            return inner.ListAsync(prefix, cancellationToken);
        }

        public async IAsyncEnumerable<string> ListAfterAsync(string prefix, string startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            Listings.Add("after " + startAfter);
            await foreach (string key in inner.ListAfterAsync(prefix, startAfter, cancellationToken))
            {
                yield return key;
            }
        }

        public Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
