namespace CernVM.Preserve.Core.Storage;

/// <summary>
/// The one narrow port to where an archive lives: a flat space of keys (the paths of FORMAT.md §2,
/// relative to the archive root, '/'-separated) holding immutable byte strings.
/// </summary>
/// <remarks>
/// Contract, checked for every implementation by the storage conformance suite:
/// <list type="bullet">
/// <item>An object is never overwritten: <see cref="PutIfAbsentAsync"/> on an existing key leaves it untouched.</item>
/// <item>A put is atomic: a reader sees either no object or the whole object, never a prefix.</item>
/// <item>A put's answer is final: when it returns true, no other writer's put of that key can return true.
/// Objects under <c>blobs/</c> (content-addressed: equal key, equal bytes) may become visible to other
/// processes only at the next <see cref="FlushAsync"/>.</item>
/// <item>A missing key is not an error for <see cref="TryGetAsync"/> and <see cref="ExistsAsync"/>.</item>
/// <item>After <see cref="FlushAsync"/> returns, everything put before is durable.</item>
/// </list>
/// Implementations translate their own failures into <see cref="StorageException"/> (or
/// <see cref="OperationCanceledException"/>); no SDK or OS exception type escapes.
/// </remarks>
public interface IObjectStore : IAsyncDisposable
{
    /// <summary>A human-readable location for messages: a directory or an s3:// URL.</summary>
    string Location { get; }

    /// <summary>What the store can do (retention, conditional writes).</summary>
    StoreCapabilities Capabilities { get; }

    /// <summary>True when <paramref name="key"/> holds an object.</summary>
    /// <exception cref="StorageException">The store cannot be reached or read.</exception>
    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="content"/> under <paramref name="key"/> unless an object is already there.
    /// The caller may reuse <paramref name="content"/>'s memory once the task ends: a store that writes later
    /// keeps its own copy.
    /// </summary>
    /// <returns>True when this call created the object; false when the key already existed (nothing was written).</returns>
    /// <exception cref="StorageException">The write failed; no partial object is visible under the key.</exception>
    Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Reads a whole object, or returns null when the key holds none.</summary>
    /// <exception cref="StorageException">The store cannot be read.</exception>
    Task<byte[]?> TryGetAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Reads a whole object like <see cref="TryGetAsync"/>, into a buffer a store may rent from the shared
    /// array pool: for readers that go through many objects of megabytes (a restore), where a fresh array per
    /// object costs page faults and full garbage collections. Dispose the result when done with its bytes.
    /// </summary>
    /// <exception cref="StorageException">The store cannot be read.</exception>
    async Task<RentedBytes?> TryGetRentedAsync(string key, CancellationToken cancellationToken) =>
        await TryGetAsync(key, cancellationToken).ConfigureAwait(false) is byte[] bytes ? new RentedBytes(bytes, bytes.Length, pooled: false) : null;

    /// <summary>
    /// Lists every key that starts with <paramref name="prefix"/>, in ordinal order. Temporary objects of
    /// writers in progress are never listed.
    /// </summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// Lists the keys of <see cref="ListAsync"/> that sort after <paramref name="startAfter"/> (ordinal order):
    /// for a reader that has seen a listing's beginning (the journal up to its last event). A store that can
    /// start a listing there (S3's <c>start-after</c>) reads only the rest; others filter.
    /// </summary>
    async IAsyncEnumerable<string> ListAfterAsync(string prefix, string startAfter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (string key in ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            if (string.CompareOrdinal(key, startAfter) > 0)
            {
                yield return key;
            }
        }
    }

    /// <summary>
    /// Lists the next level below <paramref name="prefix"/> (which ends with <c>/</c>, or is empty for the top), as
    /// S3's listing with a delimiter does: for each key <c>prefix + NAME</c>, <c>NAME</c>; for each key
    /// <c>prefix + NAME/…</c>, <c>NAME/</c> once; in ordinal order. A directory store may also name an empty
    /// directory (<c>NAME/</c> with no key below it). The default derives it from <see cref="ListAsync"/>, which
    /// is right for every store; a store with <see cref="StoreCapabilities.CheapChildListing"/> reads one level only.
    /// </summary>
    async IAsyncEnumerable<string> ListChildrenAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectStoreKeys.RequireLevelPrefix(prefix);
        string? last = null;
        await foreach (string key in ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            string child = ObjectStoreKeys.ChildOf(key, prefix);
            if (child != last)
            {
                last = child;
                yield return child;
            }
        }
    }

    /// <summary>
    /// A token that changes whenever a name is added to or removed from the level <paramref name="prefix"/> (a
    /// <see cref="ListChildrenAsync"/> of it would answer differently), for a reader that keeps what it listed there
    /// before: the same token, the same children. Changes further down (a file added inside a child) leave it as
    /// it is. Null when the store cannot tell (the default; S3), when the level does not exist, and when it changed
    /// so recently that a change still to come could leave the same token (a file system's timestamps tick
    /// coarser than its changes): the reader then lists the level.
    /// </summary>
    Task<string?> ChildrenTokenAsync(string prefix, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    /// <summary>
    /// <see cref="ListChildrenAsync"/> with the <see cref="ChildrenTokenAsync"/> of each child level (<c>NAME/</c>;
    /// null for a key), each taken after the level was listed: what a reader that keeps tokens needs of a level. The
    /// default asks child by child; a store may answer it in one pass.
    /// </summary>
    async IAsyncEnumerable<(string Child, string? Token)> ListChildrenWithTokensAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (string child in ListChildrenAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            yield return (child, child.EndsWith('/') ? await ChildrenTokenAsync(prefix + child, cancellationToken).ConfigureAwait(false) : null);
        }
    }

    /// <summary>Makes every object put so far durable (a no-op where each put already is).</summary>
    Task FlushAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Makes the levels <paramref name="prefixes"/> (each ending with <c>/</c>) ready for keys to come, where the
    /// store has such things (directories); a no-op elsewhere (the default; S3). Nothing is listed under a level
    /// that holds no key, but a directory store may list the level itself (<see cref="ListChildrenAsync"/>).
    /// </summary>
    Task PrepareLevelsAsync(IReadOnlyList<string> prefixes, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>An object's bytes, in a buffer that may belong to the shared array pool until disposed.</summary>
public sealed class RentedBytes : IDisposable
{
    private byte[]? _buffer;
    private readonly bool _pooled;

    public RentedBytes(byte[] buffer, int length, bool pooled)
    {
        _buffer = buffer;
        Length = length;
        _pooled = pooled;
    }

    public int Length { get; }

    /// <summary>The object's bytes; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> Span => (_buffer ?? throw new ObjectDisposedException(nameof(RentedBytes))).AsSpan(0, Length);

    /// <summary>The object's bytes as memory (to pin them for native code); valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(RentedBytes))).AsMemory(0, Length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is byte[] b && _pooled)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(b);
        }
    }
}

/// <summary>What a store supports beyond the basic contract.</summary>
/// <param name="Retention">Objects carry a retention period enforced by the server (S3 Object Lock), or null when not.</param>
/// <param name="AtomicCreate">A put of a new key is decided atomically, so two writers racing on one key cannot both win.</param>
/// <param name="CheapChildListing">
/// <see cref="IObjectStore.ListChildrenAsync"/> reads one level only, locally (a directory): walking a hierarchy
/// level by level then reads far less than one listing of everything below it. False where every listing is a
/// request (S3): one flat listing of a thousand keys a page is then the cheaper walk.
/// </param>
public sealed record StoreCapabilities(RetentionPolicy? Retention, bool AtomicCreate, bool CheapChildListing = false);

/// <summary>A retention set on every object a store writes.</summary>
public sealed record RetentionPolicy(string Mode, TimeSpan Period);

/// <summary>A storage operation that could not be carried out.</summary>
public class StorageException : Exception
{
    public StorageException(string message, string? key = null, Exception? inner = null, bool transient = false)
        : base(message, inner)
    {
        Key = key;
        IsTransient = transient;
    }

    /// <summary>The key the operation was about, when there was one.</summary>
    public string? Key { get; }

    /// <summary>True when retrying may succeed (a timeout, a reset connection, a 503).</summary>
    public bool IsTransient { get; }
}

/// <summary>The device holding the archive is full.</summary>
public sealed class StorageFullException : StorageException
{
    public StorageFullException(string message, string? key, Exception? inner) : base(message, key, inner) { }
}

/// <summary>The retention the server holds for one object (S3 Object Lock), read back from the server.</summary>
/// <param name="Mode">compliance or governance.</param>
/// <param name="RetainUntil">Until when the object cannot be deleted or overwritten.</param>
public sealed record ObjectRetention(string Mode, DateTimeOffset RetainUntil);

/// <summary>A store that can say, per object, what retention its server enforces.</summary>
public interface IObjectRetentionReader
{
    /// <summary>The object's retention as the server reports it, or null when the object has none.</summary>
    /// <exception cref="StorageException">The store cannot be read.</exception>
    Task<ObjectRetention?> GetRetentionAsync(string key, CancellationToken cancellationToken);
}

/// <summary>Key arithmetic shared by the stores' listings.</summary>
public static class ObjectStoreKeys
{
    /// <summary>Fails unless <paramref name="prefix"/> names a level: empty (the top) or ending with <c>/</c>.</summary>
    public static void RequireLevelPrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length > 0 && !prefix.EndsWith('/'))
        {
            throw new ArgumentException($"'{prefix}' names no level: a prefix listed by level is empty or ends with '/'.", nameof(prefix));
        }
    }

    /// <summary>The child of <paramref name="prefix"/> that <paramref name="key"/> (which starts with it) lies in: <c>NAME</c> or <c>NAME/</c>.</summary>
    public static string ChildOf(string key, string prefix)
    {
        int slash = key.IndexOf('/', prefix.Length);
        return slash < 0 ? key[prefix.Length..] : key[prefix.Length..(slash + 1)];
    }
}
