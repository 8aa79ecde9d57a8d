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
    /// <param name="now">The writer's clock, which says where the newest event most likely is; the answer does not depend on it.</param>
    /// <exception cref="StorageException">The store cannot be listed or read.</exception>
    /// <remarks>
    /// Every event write asks this, so it lists only the events of this year and later (a store that can start a
    /// listing there reads nothing before; the directory store does not enter the earlier years' directories),
    /// and the whole journal only when there is none (the first event of a year, or a writer whose clock is ahead
    /// of the journal's newest year).
    /// </remarks>
    public static async Task<EventLink?> TailAsync(IObjectStore store, CancellationToken cancellationToken, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        int year = (now ?? DateTimeOffset.UtcNow).UtcDateTime.Year;
        // '~' sorts after every character of an event's name: the keys after this one are those of this year on.
        string thisYearOn = $"{ArchiveLayout.JournalPrefix}{year - 1:D4}/~";
        string? newest = await NewestAsync(store.ListAfterAsync(ArchiveLayout.JournalPrefix, thisYearOn, cancellationToken), cancellationToken).ConfigureAwait(false)
            ?? await NewestAsync(store.ListAsync(ArchiveLayout.JournalPrefix, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (newest is null || await store.TryGetAsync(newest, cancellationToken).ConfigureAwait(false) is not byte[] bytes)
        {
            return null;
        }

        return new EventLink(newest, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    private static async Task<string?> NewestAsync(IAsyncEnumerable<string> keys, CancellationToken cancellationToken)
    {
        string? newest = null;
        await foreach (string key in keys.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (IsEventKey(key) && (newest is null || string.CompareOrdinal(key, newest) > 0))
            {
                newest = key;
            }
        }

        return newest;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^journal/[0-9]{4}/[0-9]{8}T[0-9]{6}(\.[0-9]{1,9})?Z-[0-9a-f]{32}\.json\z", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex EventKeyPattern();
}
