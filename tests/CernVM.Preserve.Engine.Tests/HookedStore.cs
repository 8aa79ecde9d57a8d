using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Engine.Tests;

/// <summary>
/// An <see cref="IObjectStore"/> in front of a real one whose reads a test can watch, hold and answer: what
/// another writer or a reader racing with one would see (a version committed between two reads, a manifest
/// read unchecked that differs from the one checked). Writes and listings go to the real store.
/// </summary>
public sealed class HookedStore(IObjectStore inner) : IObjectStore
{
    private readonly ConcurrentDictionary<string, int> _reads = new(StringComparer.Ordinal);

    /// <summary>Awaited before a key is read, with the number of the read (1 for the first) and the reader's token.</summary>
    public Func<string, int, CancellationToken, Task>? BeforeRead { get; init; }

    /// <summary>What a read gives, from the key, the read's number and the bytes the real store holds.</summary>
    public Func<string, int, byte[]?, byte[]?>? Answer { get; init; }

    /// <summary>How many times <paramref name="key"/> was read.</summary>
    public int Reads(string key) => _reads.TryGetValue(key, out int n) ? n : 0;

    public string Location => inner.Location;

    public StoreCapabilities Capabilities => inner.Capabilities;

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => inner.ExistsAsync(key, cancellationToken);

    public Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        inner.PutIfAbsentAsync(key, content, cancellationToken);

    public async Task<byte[]?> TryGetAsync(string key, CancellationToken cancellationToken)
    {
        int n = _reads.AddOrUpdate(key, 1, (_, old) => old + 1);
        if (BeforeRead is not null)
        {
            await BeforeRead(key, n, cancellationToken);
        }

        byte[]? bytes = await inner.TryGetAsync(key, cancellationToken);
        return Answer is null ? bytes : Answer(key, n, bytes);
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (string key in inner.ListAsync(prefix, cancellationToken))
        {
            yield return key;
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
