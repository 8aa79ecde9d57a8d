using System.Runtime.CompilerServices;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Storage.Tests;

/// <summary>
/// An <see cref="IObjectStore"/> in front of a real one that can force the answers of <see cref="ExistsAsync"/>
/// and <see cref="PutIfAbsentAsync"/>, as another writer would make them (a key taken meanwhile, a listing seen
/// before the other writer's put). A forced put writes nothing. Wrap it in a <see cref="FaultingStore"/> to see
/// the calls.
/// </summary>
public sealed class AnsweringStore(IObjectStore inner) : IObjectStore
{
    /// <summary>The answer <see cref="ExistsAsync"/> gives for a key instead of asking the real store; null to ask it.</summary>
    public Func<string, bool?>? ExistsAnswer { get; init; }

    /// <summary>The answer <see cref="PutIfAbsentAsync"/> gives for a key without writing it; null to write it.</summary>
    public Func<string, bool?>? PutAnswer { get; init; }

    /// <summary>The capabilities it claims instead of the real store's (a directory claiming to list as S3 does); null for the real ones.</summary>
    public StoreCapabilities? CapabilitiesAnswer { get; init; }

    public string Location => inner.Location;

    public StoreCapabilities Capabilities => CapabilitiesAnswer ?? inner.Capabilities;

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) =>
        ExistsAnswer?.Invoke(key) is bool forced ? Task.FromResult(forced) : inner.ExistsAsync(key, cancellationToken);

    public async Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (PutAnswer?.Invoke(key) is bool forced)
        {
            // Asynchronous like a real store's answer, so that a caller looping on it can be given a timeout.
            await Task.Yield();
            return forced;
        }

        return await inner.PutIfAbsentAsync(key, content, cancellationToken);
    }

    public Task<byte[]?> TryGetAsync(string key, CancellationToken cancellationToken) => inner.TryGetAsync(key, cancellationToken);

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
