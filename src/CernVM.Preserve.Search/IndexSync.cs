using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Search;

/// <summary>What an update did.</summary>
public sealed record SyncResult(int Added, int Removed, int VerdictsChanged, int Held, TimeSpan Took);

/// <summary>
/// Brings an index up to date with its archive: versions committed since (by any machine), versions gone,
/// and the newest audit and replay verdicts of the journal. It lists the archive (one listing of the capsules and
/// one of the journal) and reads only what is new, so an index that is current costs a few listings.
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

    public async Task<SyncResult> RunAsync(CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var held = store.Registry.Versions().ToDictionary(v => v.Capsule + "@v" + v.Version);
        var present = new List<(CapsuleName Capsule, int Version)>();
        foreach (VersionListing v in await archive.ListAllVersionsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (v.Complete)
            {
                present.Add((v.Capsule, v.Version));
            }
        }

        var presentKeys = present.Select(p => VersionKey.Of(p.Capsule.Value, p.Version)).ToHashSet(StringComparer.Ordinal);
        List<(CapsuleName Capsule, int Version)> toAdd = [.. present.Where(p => !held.ContainsKey(VersionKey.Of(p.Capsule.Value, p.Version)))];
        List<RegisteredVersion> toRemove = [.. held.Values.Where(v => !presentKeys.Contains(VersionKey.Of(v.Capsule, v.Version)))];
        string lastJournal = store.Registry.Meta("journal") ?? "";
        List<string> events = [];
        await foreach (string key in archive.Store.ListAfterAsync(ArchiveLayout.JournalPrefix, lastJournal, cancellationToken).ConfigureAwait(false))
        {
            if (JournalChain.IsEventKey(key) && string.CompareOrdinal(key, lastJournal) > 0)
            {
                events.Add(key);
            }
        }

        events.Sort(StringComparer.Ordinal);
        Interlocked.Exchange(ref _total, toAdd.Count);
        if (toAdd.Count == 0 && toRemove.Count == 0 && events.Count == 0)
        {
            return new SyncResult(0, 0, 0, held.Count, clock.Elapsed);
        }

        int verdicts = 0;
        store.Begin();
        try
        {
            foreach (RegisteredVersion v in toRemove)
            {
                store.Delete(v.Capsule, v.Version);
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

        return new SyncResult(toAdd.Count, toRemove.Count, verdicts, held.Count + toAdd.Count - toRemove.Count, clock.Elapsed);
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
}
