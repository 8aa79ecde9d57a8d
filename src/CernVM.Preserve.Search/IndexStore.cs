using System.Globalization;
using CernVM.Preserve.Core;
using Lucene.Net.Index;
using Lucene.Net.Store;
using Directory = System.IO.Directory;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace CernVM.Preserve.Search;

/// <summary>
/// The index of one archive on disk: a Lucene index (<c>lucene/</c>) and the SQLite registry
/// (<c>registry.sqlite</c>) beside it, written together under one generation number (the Lucene commit's user
/// data and the registry's meta table), so that a crash between the two commits shows as a mismatch and the
/// index is rebuilt rather than trusted. One process at a time holds it (<c>lock</c>, an exclusive file).
/// </summary>
public sealed class IndexStore : IDisposable
{
    /// <summary>The Lucene side's own schema; another value (older software's index) is rebuilt.</summary>
    public const string LuceneSchema = "cvmpreserve-search-lucene-4";

    private readonly FileStream _lock;
    private readonly LuceneDirectory _lucene;
    private IndexWriter? _writer;

    /// <summary>How often every segment and the registry are verified again (a new segment is verified when first opened).</summary>
    public static TimeSpan FullCheckEvery { get; } = TimeSpan.FromDays(1);

    private IndexStore(string path, FileStream lockFile, LuceneDirectory lucene, Registry registry, string? rebuiltBecause)
    {
        Path = path;
        _lock = lockFile;
        _lucene = lucene;
        Registry = registry;
        RebuiltBecause = rebuiltBecause;
    }

    public string Path { get; }

    public Registry Registry { get; }

    /// <summary>Why the index found there was thrown away and started anew (damaged, foreign, another archive's); null when it was sound or new.</summary>
    public string? RebuiltBecause { get; }

    /// <summary>
    /// Opens the index at <paramref name="path"/> for <paramref name="archiveId"/>, or makes it. An index that is
    /// damaged, of another schema or another archive, or whose halves disagree, is removed and made anew.
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">The place cannot be written.</exception>
    /// <exception cref="IOException">The place cannot be written (read-only file system), or another process holds the index past the wait.</exception>
    public static IndexStore Open(string path, string archiveId, string location, bool fresh, TimeSpan lockWait)
    {
        Directory.CreateDirectory(path);
        FileStream lockFile = TakeLock(System.IO.Path.Combine(path, "lock"), lockWait);
        try
        {
            LuceneDirectory lucene = new MappedDirectory(new DirectoryInfo(System.IO.Path.Combine(path, "lucene")));
            DirectoryReader? reader = null;
            string? problem = fresh ? "a rebuild was asked for" : Check(path, archiveId, lucene, out reader);
            if (problem is not null)
            {
                Wipe(path);
            }

            string registryFile = System.IO.Path.Combine(path, "registry.sqlite");
            bool created = !File.Exists(registryFile);
            var registry = Registry.Open(registryFile, readOnly: false);
            if (created)
            {
                registry.Create(archiveId, location);
            }

            var store = new IndexStore(path, lockFile, lucene, registry, fresh ? null : problem) { _checked = reader, _writtenWhole = problem is not null };
            if (created)
            {
                // Both halves committed at once, empty: an index made and closed before its first update (a search
                // interrupted at once) is sound when next opened, not "missing its Lucene index" and rebuilt.
                try
                {
                    store.Begin();
                    store.Commit(null);
                    store.End();
                }
                catch
                {
                    store.Dispose();
                    throw;
                }
            }

            return store;
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    private static FileStream TakeLock(string file, TimeSpan wait)
    {
        DateTime until = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                return new FileStream(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < until && File.Exists(file))
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>What is wrong with the index at <paramref name="path"/>, or null when it can be trusted (or there is none yet).</summary>
    public static string? Check(string path, string archiveId)
    {
        using LuceneDirectory dir = new MappedDirectory(new DirectoryInfo(System.IO.Path.Combine(path, "lucene")));
        string? problem = Check(path, archiveId, dir, out DirectoryReader? reader);
        reader?.Dispose();
        return problem;
    }

    /// <summary>As <see cref="Check(string, string)"/>, leaving the reader it checked open when the index is sound (the first search uses it).</summary>
    private static string? Check(string path, string archiveId, LuceneDirectory dir, out DirectoryReader? kept)
    {
        kept = null;
        string registryFile = System.IO.Path.Combine(path, "registry.sqlite");
        string luceneDir = System.IO.Path.Combine(path, "lucene");
        if (!File.Exists(registryFile))
        {
            return Directory.Exists(luceneDir) ? "the registry is missing" : null;
        }

        DirectoryReader? reader = null;
        try
        {
            using var registry = Registry.Open(registryFile, readOnly: true);
            if (registry.Meta("schema") is string schema && schema != Registry.Schema)
            {
                return $"the registry is of another schema ({schema}, this software writes {Registry.Schema})";
            }

            if (registry.Meta("archive") != archiveId)
            {
                return "the index is of another archive";
            }

            if (!DirectoryReader.IndexExists(dir))
            {
                return "the Lucene index is missing";
            }

            reader = DirectoryReader.Open(dir);
            IDictionary<string, string> data = reader.IndexCommit.UserData;
            if (!data.TryGetValue("schema", out string? luceneSchema) || luceneSchema != LuceneSchema)
            {
                return $"the Lucene index is of another schema ({luceneSchema ?? "none"})";
            }

            if (!data.TryGetValue("generation", out string? g) || g != registry.Generation.ToString(CultureInfo.InvariantCulture))
            {
                return $"the Lucene index (generation {g ?? "none"}) and the registry (generation {registry.Generation}) disagree: an update was interrupted";
            }

            (long versions, long listings) = registry.Counts();
            if (reader.NumDocs != versions + listings)
            {
                return $"the Lucene index holds {reader.NumDocs} documents, the registry {versions} versions and {listings} directory listings";
            }

            // Every segment file read in full against its checksum (Lucene's CheckIntegrity): each segment once,
            // when first seen (segments never change once written), and all of them again, with the registry's
            // pages, once a day (FullCheckEvery); the stamp names the segments verified since the last full check
            // (docs/ARCHITECTURE.md §Search index).
            if (VerifySegments(path, reader, registry) is string damaged)
            {
                return damaged;
            }

            (kept, reader) = (reader, null);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            return $"the index cannot be read ({e.GetType().Name}: {e.Message})";
        }
        finally
        {
            reader?.Dispose();
        }
    }

    /// <summary>
    /// Verifies the segments not verified before (all of them, and the registry too, when the last full check is
    /// older than <see cref="FullCheckEvery"/>) and records them in the stamp; returns what is damaged, or null.
    /// </summary>
    private static string? VerifySegments(string path, DirectoryReader reader, Registry registry)
    {
        string stamp = StampFile(path);
        string[] lines = File.Exists(stamp) ? File.ReadAllLines(stamp) : [];
        bool full = lines.Length == 0
            || !DateTime.TryParse(lines[0], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTime last)
            || last < DateTime.UtcNow - FullCheckEvery
            || last > DateTime.UtcNow.AddMinutes(5);
        var verified = full ? new HashSet<string>(StringComparer.Ordinal) : lines.Skip(1).ToHashSet(StringComparer.Ordinal);
        var now = new List<string>();
        foreach (AtomicReaderContext leaf in reader.Leaves)
        {
            if (leaf.Reader is not SegmentReader segment)
            {
                continue;
            }

            string key = SegmentKey(segment.SegmentInfo.Info);
            if (!verified.Contains(key))
            {
                segment.CheckIntegrity();
            }

            now.Add(key);
        }

        if (full && !registry.QuickCheck())
        {
            return "the registry is damaged (SQLite quick_check)";
        }

        if (full && registry.Counts() != registry.CountRows())
        {
            return $"the registry's recorded counts {registry.Counts()} are not what its tables hold {registry.CountRows()}";
        }

        if (!full && now.SequenceEqual(lines.Skip(1), StringComparer.Ordinal))
        {
            return null; // nothing new since the stamp: a search writes nothing
        }

        WriteStamp(path, full ? DateTime.UtcNow : null, lines.FirstOrDefault(), now);
        return null;
    }

    // The stamp of verified segments: the time of the last full check, then the key of every segment verified.
    private static string StampFile(string path) => System.IO.Path.Combine(path, "verified");

    // Writes the stamp, with the time of a full check just made, else the one it recorded before.
    private static void WriteStamp(string path, DateTime? fullCheck, string? lastFull, IEnumerable<string> segments) =>
        File.WriteAllLines(StampFile(path), [fullCheck?.ToString("O", CultureInfo.InvariantCulture) ?? lastFull ?? "", .. segments]);

    private static void Wipe(string path)
    {
        foreach (string f in Directory.EnumerateFiles(path))
        {
            if (System.IO.Path.GetFileName(f) != "lock")
            {
                File.Delete(f);
            }
        }

        foreach (string d in Directory.EnumerateDirectories(path))
        {
            Directory.Delete(d, recursive: true);
        }
    }

    /// <summary>The generation both halves were last committed at.</summary>
    public long Generation => Registry.Generation;

    /// <summary>Starts an update: the registry's transaction and the Lucene writer.</summary>
    public void Begin()
    {
        if (_writer is not null)
        {
            throw new InvalidOperationException("An update is already open.");
        }

        _writer = new IndexWriter(_lucene, new IndexWriterConfig(Fields.Lucene, Fields.CreateAnalyzer())
        {
            OpenMode = OpenMode.CREATE_OR_APPEND,
            RAMBufferSizeMB = 64,
            // Fewer segments than Lucene's default of ten a tier: the segments of one-version updates are merged
            // sooner (each is small), since every segment costs a path question a seek per listing.
            MergePolicy = new TieredMergePolicy { SegmentsPerTier = 4, MaxMergeAtOnce = 4 },
        });
        Registry.Begin();
    }

    /// <summary>
    /// Records one version (replacing an earlier record of it) with the directory listings of its paths the index
    /// does not hold yet. Safe to call from several threads at once between commits: the registry's rows are
    /// written one version at a time, the Lucene documents (the costly part: analysis and inversion) on the
    /// caller's thread.
    /// </summary>
    public void Put(VersionContent content, IReadOnlyList<Verdict> verdicts)
    {
        ArgumentNullException.ThrowIfNull(content);
        IndexWriter w = _writer ?? throw new InvalidOperationException("Begin an update first.");
        _uncommitted = true;
        IReadOnlyList<DirectoryListing> listings = DirectoryListing.Of(content.Paths);
        IReadOnlySet<string> added;
        long id;
        lock (_registryLock)
        {
            id = Registry.Add(content);
            added = Registry.AddListings(listings.Select(l => l.Id));
        }

        foreach (DirectoryListing l in listings)
        {
            if (added.Contains(l.Id))
            {
                w.AddDocument(DocumentBuilder.BuildListing(l));
            }
        }

        w.UpdateDocument(new Term(Fields.Key, content.Facts.Key), DocumentBuilder.Build(content, verdicts, listings, id));
    }

    private readonly System.Threading.Lock _registryLock = new();

    /// <summary>Sets a version's verdict of one kind in place (a numeric doc value; nothing is re-indexed).</summary>
    public void SetVerdict(string capsule, int version, string kind, string outcome)
    {
        IndexWriter w = _writer ?? throw new InvalidOperationException("Begin an update first.");
        _uncommitted = true;
        w.UpdateNumericDocValue(new Term(Fields.Key, VersionKey.Of(capsule, version)), kind == "audit" ? Fields.Audit : Fields.Replay, Verdicts.Code(outcome));
    }

    public void Delete(string capsule, int version)
    {
        IndexWriter w = _writer ?? throw new InvalidOperationException("Begin an update first.");
        _uncommitted = true;
        Registry.Remove(capsule, version);
        w.DeleteDocuments(new Term(Fields.Key, VersionKey.Of(capsule, version)));
    }

    /// <summary>
    /// Merges the Lucene index into one segment and commits it (under the generation already committed: a merge
    /// changes how the index is stored, not what it holds). A question about paths seeks each listing it found
    /// once per segment, so one segment answers it several times faster (docs/benchmarks.md); worth its cost
    /// (seconds per 10,000 versions) after a rebuild or a large catch-up, not after every snapshot.
    /// </summary>
    public void Compact() => MergeInto(1);

    /// <summary>
    /// After a small update: the segments beside the largest merged into one (the largest, from the last
    /// compaction, is left as it is), so that the index stays at two segments between rebuilds, at the cost of
    /// rewriting what updates added since the last compaction.
    /// </summary>
    public void Tidy() => MergeInto(2);

    /// <summary>Merges the committed index into at most <paramref name="segments"/> segments and commits that.</summary>
    private void MergeInto(int segments)
    {
        IndexWriter w = _writer ?? throw new InvalidOperationException("Begin an update first.");
        if (_uncommitted)
        {
            throw new InvalidOperationException("Commit before merging segments.");
        }

        w.ForceMerge(segments);
        w.Commit();
    }

    /// <summary>Commits both halves under the next generation: Lucene first, then the registry.</summary>
    public void Commit(string? journalKey)
    {
        IndexWriter w = _writer ?? throw new InvalidOperationException("Begin an update first.");
        long next = Registry.Generation + 1;
        w.SetCommitData(new Dictionary<string, string>
        {
            ["schema"] = LuceneSchema,
            ["generation"] = next.ToString(CultureInfo.InvariantCulture),
        });
        w.Commit();
        _uncommitted = false;
        Interlocked.Exchange(ref _checked, null)?.Dispose();
        Registry.SetMeta("generation", next.ToString(CultureInfo.InvariantCulture));
        Registry.RecordCounts();
        if (journalKey is not null)
        {
            Registry.SetMeta("journal", journalKey);
        }

        Registry.Commit();
        Registry.Begin();
    }

    /// <summary>
    /// Ends an update. When everything was committed, the merges the last commit started are finished and
    /// committed (under the same generation: a merge changes how the index is stored, not what it holds);
    /// otherwise what was not committed is dropped from both halves. Dropping finished work too, as a plain
    /// rollback does, would leave every update's segment unmerged: one more segment per snapshot, for ever.
    /// </summary>
    public void End()
    {
        if (_writer is IndexWriter w)
        {
            _writer = null;
            if (_uncommitted)
            {
                w.Rollback(); // closes the writer too
            }
            else
            {
                w.Dispose(waitForMerges: true);
                if (_writtenWhole)
                {
                    StampWrittenWhole();
                }
            }

            _uncommitted = false;
            Registry.Rollback();
        }
    }

    /// <summary>
    /// After a rebuild, its segments recorded as verified, and the time as that of the last full check: the
    /// rebuild wrote every segment (Lucene checksums each file as it writes it) and the registry, and committed
    /// them durably, so the next command need not read 200 MB back before its first answer. A segment an update
    /// adds is still read once when first opened, and everything again at the daily full check. A rebuild that
    /// stops before this leaves no stamp: everything is verified when next opened.
    /// </summary>
    private void StampWrittenWhole()
    {
        var commit = new SegmentInfos();
        commit.Read(_lucene);
        WriteStamp(Path, DateTime.UtcNow, null, commit.Select(c => SegmentKey(c.Info)));
    }

    // A segment by its name and the bytes of its files: segments never change once written.
    private static string SegmentKey(SegmentInfo info) => info.Name + " " + info.GetFiles().Sum(f => info.Dir.FileLength(f)).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Records capsules' directory tokens (<see cref="Registry.CapsuleTokens"/>) and the journal's
    /// (<see cref="IndexSync.JournalTokenKey"/>; null: forget it) in a transaction of their own, outside an update:
    /// after what they vouch for is committed, so that a crash between the two leaves a token missing (the level is
    /// listed again), never one that vouches for versions or events not taken in.
    /// </summary>
    public void RecordTokens(IReadOnlyDictionary<string, string?> capsuleTokens, string? journalToken)
    {
        ArgumentNullException.ThrowIfNull(capsuleTokens);
        if (_writer is not null)
        {
            throw new InvalidOperationException("End the update first.");
        }

        bool journalChanged = Registry.Meta(IndexSync.JournalTokenKey) != journalToken;
        if (capsuleTokens.Count == 0 && !journalChanged)
        {
            return;
        }

        Registry.Begin();
        try
        {
            Registry.SetCapsuleTokens(capsuleTokens);
            if (journalChanged)
            {
                Registry.SetMeta(IndexSync.JournalTokenKey, journalToken);
            }

            Registry.Commit();
        }
        catch
        {
            Registry.Rollback();
            throw;
        }
    }

    /// <summary>Whether the open update holds changes not committed yet.</summary>
    private bool _uncommitted;

    // Every segment of the index is this store's own writing (opened to be rebuilt, or found damaged and wiped):
    // each update it ends records them all as verified (StampWrittenWhole).
    private bool _writtenWhole;

    /// <summary>Opens a reader of the last commit.</summary>
    public DirectoryReader OpenReader()
    {
        // The reader the check opened, when nothing was committed since; the caller disposes either.
        DirectoryReader? kept = Interlocked.Exchange(ref _checked, null);
        return kept ?? DirectoryReader.Open(_lucene);
    }

    /// <summary>The reader <see cref="Open"/> checked, until the first <see cref="OpenReader"/> or commit.</summary>
    private DirectoryReader? _checked;

    /// <summary>Bytes the index takes on disk (both halves).</summary>
    public long SizeOnDisk() => Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    public void Dispose()
    {
        Interlocked.Exchange(ref _checked, null)?.Dispose();
        End();
        Registry.Dispose();
        _lucene.Dispose();
        _lock.Dispose();
    }
}
