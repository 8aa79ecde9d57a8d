using System.Security.Cryptography;
using System.Text.Json;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Audit;

/// <summary>One journal event as the audit read it (FORMAT.md §7).</summary>
/// <param name="Sha256">SHA-256 of the event file's bytes: what the next event's link names.</param>
/// <param name="Objects">The capsule versions the event is about, as NAME@vN.</param>
public sealed record JournalEvent(
    string Key,
    string Sha256,
    string EventType,
    string DateTime,
    string Outcome,
    IReadOnlyList<string> Objects,
    string Detail,
    EventLink? Previous,
    FixityCoverage? Fixity);

/// <summary>The journal read and its hash chain judged (FORMAT.md §7.1).</summary>
/// <param name="Events">Every readable event, in key (time) order.</param>
/// <param name="Head">The newest event: what the next event will link to.</param>
public sealed record JournalCheck(IReadOnlyList<JournalEvent> Events, IReadOnlyList<Finding> Findings, JournalEvent? Head)
{
    public bool ChainIntact => Findings.All(f => !f.IsError);
}

/// <summary>
/// Reads every event of the journal and checks the hash chain (FORMAT.md §7.1): each link names an event
/// that is there, with exactly the bytes it had when it was linked. A removed event breaks the link of the
/// event after it (AUD081), an edited one its hash (AUD082). Two events linking to one predecessor are a fork
/// left by two writers racing (AUD083, a warning: both events are genuine); an event with no link after the
/// chain began was written by software older than §7.1 (AUD084, a warning).
/// </summary>
public static class JournalVerifier
{
    public static async Task<JournalCheck> VerifyAsync(IObjectStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var keys = new List<string>();
        await foreach (string key in store.ListAsync(ArchiveLayout.JournalPrefix, cancellationToken).ConfigureAwait(false))
        {
            if (JournalChain.IsEventKey(key))
            {
                keys.Add(key);
            }
        }

        keys.Sort(StringComparer.Ordinal);
        var findings = new List<Finding>();
        var events = new List<JournalEvent>();
        var shaByKey = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in keys)
        {
            byte[]? bytes = await store.TryGetAsync(key, cancellationToken).ConfigureAwait(false);
            if (bytes is null)
            {
                continue;
            }

            string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            shaByKey[key] = sha;
            IReadOnlyList<string> errors = ManifestCodec.ValidateEvent(bytes);
            if (errors.Count > 0)
            {
                findings.Add(new Finding(FindingCodes.EventInvalid, key, $"{key}: the event fails its schema: {string.Join("; ", errors)}."));
                continue;
            }

            events.Add(Parse(key, sha, bytes));
        }

        bool chainBegun = false;
        var children = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (JournalEvent e in events)
        {
            if (e.Previous is null)
            {
                if (chainBegun)
                {
                    findings.Add(new Finding(FindingCodes.JournalUnchained, e.Key,
                        $"{e.Key}: no previousEvent, though earlier events are chained (written by software older than FORMAT.md §7.1, or the link was removed)."));
                }

                continue;
            }

            chainBegun = true;
            if (!shaByKey.TryGetValue(e.Previous.Key, out string? actual))
            {
                findings.Add(new Finding(FindingCodes.JournalLinkMissing, e.Key,
                    $"{e.Key}: its previous event {e.Previous.Key} is not in the journal: an event was removed."));
            }
            else if (actual != e.Previous.Sha256)
            {
                findings.Add(new Finding(FindingCodes.JournalLinkMismatch, e.Previous.Key,
                    $"{e.Previous.Key}: SHA-256 is {actual}, but {e.Key} linked it as {e.Previous.Sha256}: the event was edited."));
            }

            if (!children.TryGetValue(e.Previous.Key, out List<string>? list))
            {
                children[e.Previous.Key] = list = [];
            }

            list.Add(e.Key);
        }

        foreach ((string parent, List<string> list) in children.Where(kv => kv.Value.Count > 1))
        {
            findings.Add(new Finding(FindingCodes.JournalFork, parent,
                $"{parent} is the previous event of {list.Count} events ({string.Join(", ", list)}): writers raced; each branch is checked on its own."));
        }

        return new JournalCheck(events, findings, events.Count == 0 ? null : events[^1]);
    }

    private static JournalEvent Parse(string key, string sha, byte[] bytes)
    {
        using JsonDocument doc = JsonDocument.Parse(bytes);
        JsonElement root = doc.RootElement;
        var objects = root.GetProperty("objects").EnumerateArray()
            .Select(o => $"{o.GetProperty("capsule").GetString()}@v{o.GetProperty("version").GetInt32()}")
            .ToList();
        EventLink? link = root.TryGetProperty("previousEvent", out JsonElement p) && p.ValueKind == JsonValueKind.Object
            ? new EventLink(p.GetProperty("key").GetString()!, p.GetProperty("sha256").GetString()!)
            : null;
        FixityCoverage? fixity = root.TryGetProperty("fixity", out JsonElement f) && f.ValueKind == JsonValueKind.Object
            ? new FixityCoverage(
                f.GetProperty("scope").GetString()!,
                f.GetProperty("from").GetString()!,
                f.GetProperty("to").GetString()!,
                f.GetProperty("blobsChecked").GetInt64(),
                f.GetProperty("bytesChecked").GetInt64(),
                f.GetProperty("archiveBlobs").GetInt64(),
                f.GetProperty("archiveBytes").GetInt64(),
                f.GetProperty("errors").GetInt32(),
                f.GetProperty("warnings").GetInt32())
            : null;
        return new JournalEvent(
            key,
            sha,
            root.GetProperty("eventType").GetString()!,
            root.GetProperty("dateTime").GetString()!,
            root.GetProperty("outcome").GetString()!,
            objects,
            root.GetProperty("detail").GetString()!,
            link,
            fixity);
    }
}
