using CernVM.Preserve.Core.Diagnostics;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Search;

/// <summary>What an update did.</summary>
/// <param name="CapsulesRead">Capsules whose version directories were listed (the others' directories still had the token recorded).</param>
/// <param name="JournalListed">Whether the journal was listed (not when its directories still had the tokens recorded).</param>
public sealed record SyncResult(int Added, int Removed, int VerdictsChanged, int Held, TimeSpan Took, int CapsulesRead, bool JournalListed);

/// <summary>
/// Brings an index up to date with its archive: versions committed since (by any machine), versions gone,
/// and the newest audit and replay verdicts of the journal. It lists the archive's version directories (a
/// directory archive level by level, an S3 one in one flat listing) and the journal after the last event it took
/// in, and reads only what is new, so an index that is current costs a few listings.
/// </summary>
public sealed class IndexSync(Archive archive, IndexStore store)
{
    private long _done;
    private long _total;

    private volatile string _phase = "indexing versions";

    /// <summary>Versions read so far and to read in all, for progress.</summary>
    public (string Phase, long Done, long Total) Progress => (_phase, Interlocked.Read(ref _done), Interlocked.Read(ref _total));

    /// <summary>Versions taken in at once from which the index is merged into one segment at the end (a rebuild, a large catch-up).</summary>
    public int CompactAfter { get; init; } = 200;

    /// <summary>Versions read between two commits: an interrupted rebuild keeps what it committed.</summary>
    public int CommitEvery { get; init; } = 500;

    /// <summary>Versions read and indexed at once.</summary>
    public int Workers { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>Brings the index up to date, comparing <paramref name="scan"/> (the archive's capsule directories, <see cref="Archive.ScanCapsulesAsync"/>) with the registry.</summary>
    public async Task<SyncResult> RunAsync(Task<CapsuleScan> scan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scan);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        VersionChanges changes = await FindVersionChangesAsync(scan, cancellationToken).ConfigureAwait(false);
        JournalNews news = await FindNewEventsAsync(cancellationToken).ConfigureAwait(false);
        List<(CapsuleName Capsule, int Version)> toAdd = changes.ToAdd;
        List<(string Capsule, int Version)> toRemove = changes.ToRemove;
        List<string> events = news.Events;
        Interlocked.Exchange(ref _total, toAdd.Count);
        if (toAdd.Count == 0 && toRemove.Count == 0 && events.Count == 0)
        {
            store.RecordTokens(changes.Tokens, news.Token);
            return new SyncResult(0, 0, 0, changes.Held, clock.Elapsed, changes.CapsulesRead, news.Listed);
        }

        int verdicts = 0;
        store.Begin();
        try
        {
            foreach ((string capsule, int version) in toRemove)
            {
                store.Delete(capsule, version);
            }

            // Versions are read and indexed by two workers (one per core: a store's latency overlaps the other's
            // work, and Lucene inverts two documents at once), committed every CommitEvery versions.
            for (int start = 0; start < toAdd.Count; start += CommitEvery)
            {
                var batch = new System.Collections.Concurrent.ConcurrentQueue<(CapsuleName Capsule, int Version)>(toAdd.Skip(start).Take(CommitEvery));
                await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(
                    async () =>
                    {
                        while (batch.TryDequeue(out (CapsuleName Capsule, int Version) next))
                        {
                            store.Put(await ReadAsync(next.Capsule, next.Version, cancellationToken).ConfigureAwait(false), []);
                            Interlocked.Increment(ref _done);
                        }
                    },
                    cancellationToken))).ConfigureAwait(false);
                store.Commit(null);
            }

            verdicts = await ApplyJournalAsync(events, cancellationToken).ConfigureAwait(false);
            store.Commit(events.Count > 0 ? events[^1] : null);
            if (toAdd.Count >= CompactAfter)
            {
                _phase = "compacting the index";
                store.Compact();
            }
            else if (toAdd.Count > 0 || toRemove.Count > 0)
            {
                store.Tidy();
            }
        }
        finally
        {
            store.End();
        }

        // The journal's token vouches for the listing it was taken before; once events were taken in, the last
        // event is another, and the next catch-up lists the journal once more to record a token for it.
        store.RecordTokens(changes.Tokens, events.Count == 0 ? news.Token : null);
        return new SyncResult(toAdd.Count, toRemove.Count, verdicts, changes.Held + toAdd.Count - toRemove.Count, clock.Elapsed, changes.CapsulesRead, news.Listed);
    }

    /// <summary>What the archive's version directories say against the registry.</summary>
    /// <param name="Tokens">Capsules' directory tokens to record once the changes are committed (null: forget it).</param>
    private sealed record VersionChanges(
        List<(CapsuleName Capsule, int Version)> ToAdd, List<(string Capsule, int Version)> ToRemove, Dictionary<string, string?> Tokens, int Held, int CapsulesRead);

    /// <summary>The journal's events after the last one taken in, and the journal's token taken before they were listed.</summary>
    private sealed record JournalNews(List<string> Events, string? Token, bool Listed);

    /// <summary>The registry's key of the journal's token (<see cref="JournalTokenAsync"/>).</summary>
    public const string JournalTokenKey = "journal-token";

    // Versions committed since (complete ones only) and versions gone, reading only the capsules whose directory
    // changed since the registry recorded its token (docs/ARCHITECTURE.md, Search index, "Following the archive").
    private async Task<VersionChanges> FindVersionChangesAsync(Task<CapsuleScan> scan, CancellationToken cancellationToken)
    {
        var known = store.Registry.CapsuleTokens().ToDictionary(t => CapsuleName.Parse(t.Key), t => t.Value);
        IReadOnlyList<CapsuleDirectories> listed = await archive.ListVersionDirectoriesAsync(await scan.ConfigureAwait(false), known, cancellationToken).ConfigureAwait(false);
        int read = listed.Count(c => c.Versions is not null);
        Timeline.Mark($"index: version directories listed ({read} of {listed.Count} capsules read)");
        var toAdd = new List<(CapsuleName Capsule, int Version)>();
        var toRemove = new List<(string Capsule, int Version)>();
        var tokens = new Dictionary<string, string?>(StringComparer.Ordinal);
        HeldVersions held = HeldVersions.Read(store.Registry, read);
        foreach (CapsuleDirectories c in listed)
        {
            if (c.Versions is null)
            {
                continue; // its directory's token is the one recorded: the versions recorded are those it holds
            }

            // A version the index holds stays while its directory does (a directory archive is listed without
            // opening the version directories; a flat listing also drops one whose sidecar is gone); a new one is
            // taken in once it is complete, and until then the capsule's token is not kept, so that it is read again.
            IReadOnlySet<int> had = held.Of(c.Capsule.Value);
            var present = new HashSet<int>();
            bool whole = true;
            foreach (VersionDirectory d in c.Versions)
            {
                if (had.Contains(d.Version))
                {
                    if (d.Complete != false)
                    {
                        present.Add(d.Version);
                    }
                }
                else if (d.Complete ?? await archive.IsCompleteAsync(d.Capsule, d.Version, cancellationToken).ConfigureAwait(false))
                {
                    present.Add(d.Version);
                    toAdd.Add((d.Capsule, d.Version));
                }
                else
                {
                    whole = false;
                }
            }

            toRemove.AddRange(had.Where(v => !present.Contains(v)).Select(v => (c.Capsule.Value, v)));
            string? token = whole ? c.Token : null;
            if (known.GetValueOrDefault(c.Capsule) != token)
            {
                tokens[c.Capsule.Value] = token;
            }
        }

        // Capsules whose directory is gone: every version recorded of them, and their tokens.
        var listedNames = listed.Select(c => c.Capsule.Value).ToHashSet(StringComparer.Ordinal);
        foreach (string gone in store.Registry.Capsules().Where(n => !listedNames.Contains(n)))
        {
            toRemove.AddRange(store.Registry.VersionsOf(gone).Select(v => (gone, v)));
        }

        foreach (CapsuleName gone in known.Keys.Where(n => !listedNames.Contains(n.Value)))
        {
            tokens[gone.Value] = null;
        }

        return new VersionChanges(toAdd, toRemove, tokens, held.Count, read);
    }

    // The events after the last one taken in. While the journal's directory and the directory of that last event
    // keep the tokens recorded when the journal was last listed, no event was added: nothing is listed.
    private async Task<JournalNews> FindNewEventsAsync(CancellationToken cancellationToken)
    {
        string last = store.Registry.Meta("journal") ?? "";
        string? token = await JournalTokenAsync(last, cancellationToken).ConfigureAwait(false);
        if (token is not null && token == store.Registry.Meta(JournalTokenKey))
        {
            Timeline.Mark("index: journal unchanged (its directories' tokens)");
            return new JournalNews([], token, Listed: false);
        }

        List<string> events = [];
        await foreach (string key in archive.Store.ListAfterAsync(ArchiveLayout.JournalPrefix, last, cancellationToken).ConfigureAwait(false))
        {
            if (JournalChain.IsEventKey(key) && string.CompareOrdinal(key, last) > 0)
            {
                events.Add(key);
            }
        }

        events.Sort(StringComparer.Ordinal);
        Timeline.Mark($"index: journal listed after the last event taken in ({events.Count} new)");
        return new JournalNews(events, token, Listed: true);
    }

    // journal/ (a new year's directory) and journal/YYYY/ of the last event taken in (an event added beside it), with
    // that event's key; null when the store gives no token for either.
    private async Task<string?> JournalTokenAsync(string last, CancellationToken cancellationToken)
    {
        string? top = await archive.Store.ChildrenTokenAsync(ArchiveLayout.JournalPrefix, cancellationToken).ConfigureAwait(false);
        int slash = last.LastIndexOf('/');
        string? year = slash > ArchiveLayout.JournalPrefix.Length
            ? await archive.Store.ChildrenTokenAsync(last[..(slash + 1)], cancellationToken).ConfigureAwait(false)
            : "";
        return top is null || year is null ? null : $"{last}|{top}|{year}";
    }

    private async Task<VersionContent> ReadAsync(CapsuleName capsule, int version, CancellationToken cancellationToken)
    {
        LoadedManifest m = await archive.ReadManifestAsync(capsule, version, cancellationToken).ConfigureAwait(false);
        return await VersionReader.ReadAsync(archive, m, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes in each new event's verdict: an audit (<c>fixity check</c>) for every version it names, a replay for the version replayed.</summary>
    private async Task<int> ApplyJournalAsync(List<string> events, CancellationToken cancellationToken)
    {
        var changed = new Dictionary<(string Capsule, int Version, string Kind), string>();
        foreach (string key in events)
        {
            byte[]? bytes = await archive.Store.TryGetAsync(key, cancellationToken).ConfigureAwait(false);
            if (bytes is null)
            {
                continue;
            }

            PreservationEvent e;
            try
            {
                e = CanonicalJson.Deserialize<PreservationEvent>(bytes, key);
            }
            catch (Core.PreserveException)
            {
                continue; // a damaged event is the journal verifier's finding (AUD080), not the index's
            }

            (string Kind, IEnumerable<EventObject> Objects)? verdict = e.EventType switch
            {
                "fixity check" => ("audit", e.Objects),
                "replay verification" => ("replay", e.Objects.Take(1)),
                _ => null,
            };
            if (verdict is not ({ } kind, { } objects))
            {
                continue;
            }

            foreach (EventObject o in objects)
            {
                if (store.Registry.SetVerdict(o.Capsule, o.Version, o.ManifestSha256, new Verdict(kind, e.Outcome, e.DateTime)))
                {
                    changed[(o.Capsule, o.Version, kind)] = e.Outcome;
                }
            }
        }

        foreach (((string capsule, int version, string kind), string outcome) in changed)
        {
            store.SetVerdict(capsule, version, kind, outcome);
        }

        return changed.Count;
    }

    /// <summary>
    /// The versions the registry records, per capsule: all at once when many capsules are to be compared (a
    /// rebuild, a flat listing), capsule by capsule when few are (the usual catch-up reads one or two).
    /// </summary>
    private sealed class HeldVersions
    {
        private readonly Registry _registry;
        private readonly Dictionary<string, HashSet<int>>? _all;

        private HeldVersions(Registry registry, Dictionary<string, HashSet<int>>? all)
        {
            _registry = registry;
            _all = all;
        }

        /// <summary>Versions recorded in all (a count, cheap whichever way the versions are read).</summary>
        public int Count => _all?.Values.Sum(v => v.Count) ?? (int)_registry.Counts().Versions;

        public static HeldVersions Read(Registry registry, int capsulesToCompare) =>
            new(registry, capsulesToCompare <= 32 ? null : registry.Versions()
                .GroupBy(v => v.Capsule, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(v => v.Version).ToHashSet(), StringComparer.Ordinal));

        public IReadOnlySet<int> Of(string capsule) =>
            _all is null ? _registry.VersionsOf(capsule).ToHashSet() : _all.GetValueOrDefault(capsule) ?? [];
    }
}
