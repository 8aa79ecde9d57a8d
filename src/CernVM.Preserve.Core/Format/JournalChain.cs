using System.Security.Cryptography;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Core.Format;

/// <summary>
/// The link a new journal event carries (FORMAT.md §7.1): the key and SHA-256 of the newest event in the
/// journal, newest by key. Keys start with the event's time written at a fixed width, so their ordinal
/// order is the order of time.
/// </summary>
public static partial class JournalChain
{
    /// <summary>True for a key of the form <c>journal/yyyy/yyyymmddThhmmss.fffffffZ-&lt;32 hex&gt;.json</c>.</summary>
    public static bool IsEventKey(string key) => EventKeyPattern().IsMatch(key);

    /// <summary>The link to the newest event of the journal, or null when the journal is empty.</summary>
    /// <exception cref="StorageException">The store cannot be listed or read.</exception>
    public static async Task<EventLink?> TailAsync(IObjectStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        string? newest = null;
        await foreach (string key in store.ListAsync(ArchiveLayout.JournalPrefix, cancellationToken).ConfigureAwait(false))
        {
            if (IsEventKey(key) && (newest is null || string.CompareOrdinal(key, newest) > 0))
            {
                newest = key;
            }
        }

        if (newest is null || await store.TryGetAsync(newest, cancellationToken).ConfigureAwait(false) is not byte[] bytes)
        {
            return null;
        }

        return new EventLink(newest, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^journal/[0-9]{4}/[0-9]{8}T[0-9]{6}(\.[0-9]{1,9})?Z-[0-9a-f]{32}\.json$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex EventKeyPattern();
}
