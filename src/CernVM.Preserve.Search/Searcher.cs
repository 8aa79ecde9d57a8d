using CernVM.Preserve.Core.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Lucene.Net.Index;
using Lucene.Net.QueryParsers.Classic;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace CernVM.Preserve.Search;

/// <summary>What to look for; every part given must hold (AND).</summary>
public sealed record SearchRequest
{
    /// <summary>Lucene's query syntax over the named fields (<see cref="Fields.Queryable"/>); null or empty: every version.</summary>
    public string? Query { get; init; }

    public IReadOnlyList<PackageRange> Packages { get; init; } = [];

    /// <summary>Exact paths or globs (<c>*</c>, <c>?</c>; <c>*</c> also crosses <c>/</c>), case-sensitive.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary><c>FQRN</c> or <c>FQRN@REVISION</c>.</summary>
    public IReadOnlyList<string> Cvmfs { get; init; } = [];

    /// <summary>Every version of each capsule; by default only the latest version of each.</summary>
    public bool AllVersions { get; init; }

    /// <summary>Hits given in full; the count and the facets cover every hit.</summary>
    public int Limit { get; init; } = 50;
}

/// <summary>Why a version matched: the field and the value of the version that did (<c>package</c>, <c>openssl-0.9.7a-43.el4.i386</c>).</summary>
public sealed record MatchReason(string Field, string Value, string? Detail = null);

public sealed record SearchHit(string Capsule, int Version, string? Title, string? Experiment, string? Os, string? Created, float Score, IReadOnlyList<MatchReason> Reasons)
{
    public string Key => VersionKey.Of(Capsule, Version);
}

public sealed record FacetCount(string Value, int Count);

public sealed record SearchResult(int Total, IReadOnlyList<SearchHit> Hits, IReadOnlyDictionary<string, IReadOnlyList<FacetCount>> Facets, int VersionsSearched);

/// <summary>Answers a <see cref="SearchRequest"/> from one committed state of an index (a Lucene reader and the registry).</summary>
public static partial class Searcher
{
    private const int MaxReasonsPerHit = 12;

    /// <summary>Checks the query's syntax and the ranges without an index: the errors a user can fix at once.</summary>
    /// <exception cref="QuerySyntaxException">The query does not parse, naming the column.</exception>
    public static Query? Parse(string? query)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            return null;
        }

        var parser = new SearchQueryParser();
        try
        {
            return parser.Parse(query);
        }
        catch (ParseException e)
        {
            throw Syntax(query, e);
        }
        catch (TokenMgrError e)
        {
            throw Syntax(query, e);
        }
    }

    [GeneratedRegex(@"column (\d+)")]
    private static partial Regex ColumnOf();

    private static QuerySyntaxException Syntax(string query, Exception e)
    {
        string message = (e.InnerException ?? e).Message;
        Match m = ColumnOf().Match(message);
        int column = m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : query.Length + 1;
        string reason = message.Replace("\r", "", StringComparison.Ordinal).Split('\n')[0];
        int cut = reason.IndexOf("': ", StringComparison.Ordinal);
        if (reason.StartsWith("Cannot parse '", StringComparison.Ordinal) && cut > 0)
        {
            reason = reason[(cut + 3)..];
        }

        return new QuerySyntaxException("query", query, Math.Clamp(column, 1, query.Length + 1), reason.TrimEnd('.'));
    }

    public static SearchResult Search(DirectoryReader reader, Registry registry, SearchRequest request)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(request);
        Query? user = Parse(request.Query);
        var query = new BooleanQuery();
        query.Add(user ?? new MatchAllDocsQuery(), Occur.MUST);
        foreach (string path in request.Files)
        {
            query.Add(path.IndexOfAny(['*', '?']) < 0
                ? new TermQuery(new Term(Fields.Path, path))
                : new WildcardQuery(new Term(Fields.Path, path)), Occur.MUST);
        }

        foreach (string c in request.Cvmfs)
        {
            int at = c.LastIndexOf('@');
            query.Add(at < 0
                ? new TermQuery(new Term(Fields.Cvmfs, c.ToLowerInvariant()))
                : new TermQuery(new Term(Fields.CvmfsRevision, c.ToLowerInvariant())), Occur.MUST);
        }

        // The registry's half of a package question needs nothing of Lucene's: read on the other core meanwhile, and
        // always waited for before the registry is used again or let go.
        Task<List<PackageMatches>>? packageWork = request.Packages.Count == 0 ? null : Task.Run(() => InstallationsInRange(registry, request.Packages));
        try
        {
            return Search(reader, request, user, query, packageWork);
        }
        finally
        {
            if (packageWork is not null)
            {
                ((IAsyncResult)packageWork).AsyncWaitHandle.WaitOne();
            }
        }
    }

    /// <summary>
    /// For each range, every installation of its package that is in range by the rules of the installing version's
    /// database (each distinct package version judged once per rule set).
    /// </summary>
    private static List<PackageMatches> InstallationsInRange(Registry registry, IReadOnlyList<PackageRange> ranges)
    {
        IReadOnlySet<long> dpkg = registry.DpkgVersions();
        var all = new List<PackageMatches>(ranges.Count);
        foreach (PackageRange range in ranges)
        {
            var inRange = new List<(Registry.PackageVersion Package, long VersionId, bool Dpkg)>();
            var verdicts = new Dictionary<(long Package, bool Dpkg), bool>();
            foreach ((Registry.PackageVersion pv, long versionId) in registry.Installations(range.Name))
            {
                bool isDpkg = dpkg.Contains(versionId);
                if (!verdicts.TryGetValue((pv.Id, isDpkg), out bool ok))
                {
                    verdicts[(pv.Id, isDpkg)] = ok = range.Matches(new PackageRow("", 0, isDpkg ? "dpkg" : "rpm", pv.Name, pv.Epoch, pv.Version, pv.Release, pv.Arch));
                }

                if (ok)
                {
                    inRange.Add((pv, versionId, isDpkg));
                }
            }

            all.Add(new PackageMatches(range, inRange));
        }

        Timeline.Mark("search: packages read and compared");
        return all;
    }

    /// <summary>One range's installations in range: the package version, the registry id of the version installing it, and its rules.</summary>
    private sealed record PackageMatches(PackageRange Range, List<(Registry.PackageVersion Package, long VersionId, bool Dpkg)> InRange);

    private static SearchResult Search(DirectoryReader reader, SearchRequest request, Query? user, BooleanQuery query, Task<List<PackageMatches>>? packageWork)
    {
        var searcher = new IndexSearcher(reader);
        SortedDocValues capsules = MultiDocValues.GetSortedValues(reader, DocumentBuilder.DvCapsule);
        NumericDocValues versions = MultiDocValues.GetNumericValues(reader, DocumentBuilder.DvVersion);
        (long[] latest, int live) = Latest(reader, capsules, versions);

        // Every version the query matches, by its capsule's ordinal (no string per hit: at 10,000 versions the
        // strings cost more than the search).
        var collector = new HitCollector(scoring: user is not null);
        searcher.Search(new FilteredQuery(new ListingJoin(searcher).Rewrite(query), ListingJoin.Versions), collector);
        Timeline.Mark($"search: {collector.Docs.Count} documents collected");
        var candidates = new List<Candidate>(collector.Docs.Count);
        for (int i = 0; i < collector.Docs.Count; i++)
        {
            int doc = collector.Docs[i];
            int ord = capsules.GetOrd(doc);
            long version = versions.Get(doc);
            if (ord >= 0 && (request.AllVersions || latest[ord] == version))
            {
                candidates.Add(new Candidate(doc, collector.Scores.Count > 0 ? collector.Scores[i] : 0, ord, (int)version));
            }
        }

        // The registry's exact answers: packages compared by their database's rules, each distinct package version
        // once per rule set; versions named by their registry id, which their documents carry. Only the versions in
        // range of every range stay; why each matched is looked up later, for the hits shown only.
        NumericDocValues? registryIds = MultiDocValues.GetNumericValues(reader, DocumentBuilder.DvRegistryId);
        List<PackageMatches> packages = packageWork?.GetAwaiter().GetResult() ?? [];
        if (packages.Count > 0)
        {
            HashSet<long>? allowed = null;
            foreach (PackageMatches p in packages)
            {
                var inRange = new HashSet<long>(p.InRange.Count);
                foreach ((_, long versionId, _) in p.InRange)
                {
                    inRange.Add(versionId);
                }

                if (allowed is null)
                {
                    allowed = inRange;
                }
                else
                {
                    allowed.IntersectWith(inRange);
                }
            }

            candidates = registryIds is null ? [] : [.. candidates.Where(c => allowed!.Contains(registryIds.Get(c.Doc)))];
            Timeline.Mark("search: packages joined");
        }

        // Best first; equal scores (every hit without a query) by capsule and newest version, so that an index
        // rebuilt from scratch lists hits in the same order as one updated version by version (capsule ordinals
        // follow the names' ordinal order).
        if (user is null)
        {
            // Without scores the order is one number per hit: sorted as numbers, not through a comparison per pair
            // (thousands of hits for "everything" or a package over all versions).
            long[] order = new long[candidates.Count];
            Span<Candidate> all = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(candidates);
            for (int i = 0; i < all.Length; i++)
            {
                order[i] = ((long)all[i].CapsuleOrd << 32) | (uint)(int.MaxValue - all[i].Version);
            }

            order.AsSpan().Sort(all);
        }
        else
        {
            candidates.Sort((a, b) =>
            {
                int c = b.Score.CompareTo(a.Score);
                if (c == 0)
                {
                    c = a.CapsuleOrd.CompareTo(b.CapsuleOrd);
                }

                return c != 0 ? c : b.Version.CompareTo(a.Version);
            });
        }

        var facets = new Dictionary<string, IReadOnlyList<FacetCount>>(StringComparer.Ordinal);
        foreach (string field in new[] { Fields.Audit, Fields.Replay })
        {
            NumericDocValues? values = MultiDocValues.GetNumericValues(reader, field);
            var counts = new Dictionary<long, int>();
            foreach (Candidate c in candidates)
            {
                long code = values?.Get(c.Doc) ?? 0;
                counts[code] = counts.GetValueOrDefault(code) + 1;
            }

            facets[field] = [.. counts.Select(p => new FacetCount(Verdicts.Name(p.Key), p.Value)).OrderByDescending(f => f.Count).ThenBy(f => f.Value, StringComparer.Ordinal)];
        }

        var scratch = new BytesRef();
        foreach ((string name, string field) in Fields.Facets)
        {
            SortedDocValues values = MultiDocValues.GetSortedValues(reader, field);
            int[] counts = new int[Math.Max(0, values.ValueCount)];
            foreach (Candidate c in candidates)
            {
                int ord = values.GetOrd(c.Doc);
                if (ord >= 0)
                {
                    counts[ord]++;
                }
            }

            var list = new List<FacetCount>();
            for (int ord = 0; ord < counts.Length; ord++)
            {
                if (counts[ord] > 0)
                {
                    values.LookupOrd(ord, scratch);
                    list.Add(new FacetCount(scratch.Utf8ToString(), counts[ord]));
                }
            }

            facets[name] = [.. list.OrderByDescending(p => p.Count).ThenBy(p => p.Value, StringComparer.Ordinal)];
        }

        Timeline.Mark("search: sorted, facets counted");
        List<Candidate> shown = [.. candidates.Take(Math.Max(0, request.Limit))];
        Dictionary<int, List<MatchReason>> termReasons = TermReasons(searcher, query, shown.Select(s => s.Doc).ToHashSet());
        Dictionary<long, List<MatchReason>> packageReasons = PackageReasons(packages, shown, registryIds);
        var hits = new List<SearchHit>(shown.Count);
        foreach (Candidate c in shown)
        {
            capsules.LookupOrd(c.CapsuleOrd, scratch);
            string capsule = scratch.Utf8ToString();
            Lucene.Net.Documents.Document d = searcher.Doc(c.Doc);
            var why = new List<MatchReason>();
            why.AddRange(termReasons.GetValueOrDefault(c.Doc) ?? []);
            why.AddRange(packageReasons.GetValueOrDefault(c.Key) ?? []);

            hits.Add(new SearchHit(capsule, c.Version, d.Get(DocumentBuilder.ShowTitle), d.Get(DocumentBuilder.ShowExperiment), d.Get(DocumentBuilder.ShowOs),
                d.Get(DocumentBuilder.ShowCreated), user is null ? 0 : c.Score, [.. why.Distinct().Take(MaxReasonsPerHit)]));
        }

        return new SearchResult(candidates.Count, hits, facets, request.AllVersions ? live : latest.Count(v => v > 0));
    }

    /// <summary>
    /// Why each shown hit matched the package ranges: the installations in range of the versions shown, found by
    /// their registry ids (one pass over the installations in range, a lookup in the few shown).
    /// </summary>
    private static Dictionary<long, List<MatchReason>> PackageReasons(List<PackageMatches> packages, List<Candidate> shown, NumericDocValues? registryIds)
    {
        var reasons = new Dictionary<long, List<MatchReason>>();
        if (packages.Count == 0 || registryIds is null || shown.Count == 0)
        {
            return reasons;
        }

        var keyOf = new Dictionary<long, long>(shown.Count);
        foreach (Candidate c in shown)
        {
            keyOf[registryIds.Get(c.Doc)] = c.Key;
        }

        foreach (PackageMatches p in packages)
        {
            foreach ((Registry.PackageVersion pv, long versionId, bool isDpkg) in p.InRange)
            {
                if (keyOf.TryGetValue(versionId, out long key))
                {
                    if (!reasons.TryGetValue(key, out List<MatchReason>? list))
                    {
                        reasons[key] = list = [];
                    }

                    list.Add(new MatchReason("package", DocumentBuilder.Nevra(new() { Name = pv.Name, Epoch = pv.Epoch, Version = pv.Version, Release = pv.Release, Arch = pv.Arch }, isDpkg),
                        p.Range.Bounds.Count == 0 ? null : $"{string.Join(',', p.Range.Bounds)} by {(isDpkg ? "dpkg" : "rpm")} rules"));
                }
            }
        }

        return reasons;
    }

    /// <summary>A version the query matched: its document, score, capsule (as the doc values' ordinal) and number.</summary>
    private readonly record struct Candidate(int Doc, float Score, int CapsuleOrd, int Version)
    {
        public long Key => KeyOf(CapsuleOrd, Version);

        public static long KeyOf(int capsuleOrd, int version) => ((long)capsuleOrd << 32) | (uint)version;
    }

    /// <summary>Collects every matching document (global id) and, when asked, its score.</summary>
    private sealed class HitCollector(bool scoring) : ICollector
    {
        private Scorer? _scorer;
        private int _docBase;

        public List<int> Docs { get; } = [];

        public List<float> Scores { get; } = [];

        public bool AcceptsDocsOutOfOrder => true;

        public void SetScorer(Scorer scorer) => _scorer = scorer;

        public void SetNextReader(AtomicReaderContext context) => _docBase = context.DocBase;

        public void Collect(int doc)
        {
            Docs.Add(_docBase + doc);
            if (scoring)
            {
                Scores.Add(_scorer!.GetScore());
            }
        }
    }

    /// <summary>The newest version of each capsule the index holds, by the capsule's ordinal (0: none), and how many versions it holds.</summary>
    private static (long[] Latest, int Versions) Latest(DirectoryReader reader, SortedDocValues capsules, NumericDocValues versions)
    {
        long[] latest = new long[Math.Max(0, capsules.ValueCount)];
        int count = 0;
        DocsEnum? docs = MultiFields.GetTermDocsEnum(reader, MultiFields.GetLiveDocs(reader), Fields.Kind, new BytesRef(Fields.KindVersion));
        int doc;
        while (docs is not null && (doc = docs.NextDoc()) != DocIdSetIterator.NO_MORE_DOCS)
        {
            count++;
            int ord = capsules.GetOrd(doc);
            if (ord >= 0)
            {
                latest[ord] = Math.Max(latest[ord], versions.Get(doc));
            }
        }

        return (latest, count);
    }

    /// <summary>
    /// Which terms of the query each shown hit holds: the query rewritten against the index (wildcards and
    /// prefixes become the terms they stand for, at most 1,024 of them: beyond, only the count is reported)
    /// and each term's postings looked up for the shown hits.
    /// </summary>
    private static Dictionary<int, List<MatchReason>> TermReasons(IndexSearcher searcher, Query query, HashSet<int> docs)
    {
        var result = new Dictionary<int, List<MatchReason>>();
        if (docs.Count == 0)
        {
            return result;
        }

        // Each leaf of the query on its own: one that stands for too many terms to name (a broad wildcard) is
        // left out of the reasons, the others still give theirs.
        var terms = new HashSet<Term>();
        foreach (Query leaf in Leaves(query))
        {
            try
            {
                Query rewritten = Expand(leaf).Rewrite(searcher.IndexReader);
                Query again;
                while (!ReferenceEquals(again = rewritten.Rewrite(searcher.IndexReader), rewritten))
                {
                    rewritten = again;
                }

                var found = new HashSet<Term>();
                rewritten.ExtractTerms(found);
                terms.UnionWith(found);
            }
            catch (Exception e) when (e is BooleanQuery.TooManyClausesException or NotSupportedException or InvalidOperationException)
            {
                // too many terms to name, or a query that names none
            }
        }

        IndexReader reader = searcher.IndexReader;
        IBits? live = MultiFields.GetLiveDocs(reader);
        var viaListings = new Dictionary<string, List<Term>>(StringComparer.Ordinal);
        var scratch = new BytesRef();
        foreach (Term term in terms.Where(t => t.Field != Fields.Text).Take(4096))
        {
            DocsEnum? postings = MultiFields.GetTermDocsEnum(reader, live, term.Field, term.Bytes);
            if (postings is null)
            {
                continue;
            }

            int doc;
            if (Fields.OnListings(term.Field))
            {
                // The term is on listing documents: the hits that name those listings hold the path. Read per
                // segment: the index-wide view of the listing ids would first map every id of every segment.
                foreach (AtomicReaderContext leaf in reader.Leaves)
                {
                    SortedDocValues? ids = leaf.AtomicReader.GetSortedDocValues(DocumentBuilder.DvListing);
                    DocsEnum? local = ids is null ? null : leaf.AtomicReader.GetTermDocsEnum(term); // live documents only
                    while (local is not null && (doc = local.NextDoc()) != DocIdSetIterator.NO_MORE_DOCS && viaListings.Count < MaxListingsForReasons)
                    {
                        ids!.Get(doc, scratch);
                        string id = scratch.Utf8ToString();
                        if (!viaListings.TryGetValue(id, out List<Term>? held))
                        {
                            viaListings[id] = held = [];
                        }

                        held.Add(term);
                    }
                }

                continue;
            }

            while ((doc = postings.NextDoc()) != DocIdSetIterator.NO_MORE_DOCS)
            {
                if (docs.Contains(doc))
                {
                    AddReason(result, doc, new MatchReason(term.Field, term.Text));
                }
            }
        }

        // Which shown hits name each of those listings: per segment, one seek per listing, and the segment's
        // shown hits (a handful) looked up in its postings; not the postings of every listing over the index.
        if (viaListings.Count > 0)
        {
            BytesRef[] ids = [.. viaListings.Keys.Select(id => new BytesRef(id)).OrderBy(b => b, BytesRef.UTF8SortedAsUnicodeComparer)];
            foreach (AtomicReaderContext leaf in reader.Leaves)
            {
                int[] local = [.. docs.Where(d => d >= leaf.DocBase && d < leaf.DocBase + leaf.AtomicReader.MaxDoc).Select(d => d - leaf.DocBase).Order()];
                TermsEnum? listings = local.Length == 0 ? null : leaf.AtomicReader.GetTerms(Fields.Listing)?.GetEnumerator();
                if (listings is null)
                {
                    continue;
                }

                DocsEnum? postings = null;
                foreach (BytesRef id in ids)
                {
                    if (!listings.SeekExact(id))
                    {
                        continue;
                    }

                    postings = listings.Docs(leaf.AtomicReader.LiveDocs, postings, DocsFlags.NONE);
                    int at = -1;
                    foreach (int d in local)
                    {
                        if (at < d)
                        {
                            at = postings.Advance(d);
                        }

                        if (at == DocIdSetIterator.NO_MORE_DOCS)
                        {
                            break;
                        }

                        if (at == d)
                        {
                            foreach (Term term in viaListings[id.Utf8ToString()])
                            {
                                AddReason(result, leaf.DocBase + d, new MatchReason(term.Field, term.Text));
                            }
                        }
                    }
                }
            }
        }

        return result;
    }

    /// <summary>Listings looked through to name the paths a hit matched (a broad path query names paths only of the first ones).</summary>
    private const int MaxListingsForReasons = 100_000;

    private static void AddReason(Dictionary<int, List<MatchReason>> result, int doc, MatchReason reason)
    {
        if (!result.TryGetValue(doc, out List<MatchReason>? list))
        {
            result[doc] = list = [];
        }

        // A path reached through several listings (a directory that changed between versions) is named once.
        if (list.Count < MaxReasonsPerHit && !list.Contains(reason))
        {
            list.Add(reason);
        }
    }

    private static IEnumerable<Query> Leaves(Query query) => query is BooleanQuery b
        ? b.Clauses.Where(c => c.Occur != Occur.MUST_NOT).SelectMany(c => Leaves(c.Query))
        : [query];

    /// <summary>A copy of the query whose multi-term parts (wildcards, prefixes, ranges) expand into their terms when rewritten.</summary>
    private static Query Expand(Query query)
    {
        switch (query)
        {
            case MultiTermQuery m:
            {
                var copy = (MultiTermQuery)m.Clone();
                copy.MultiTermRewriteMethod = MultiTermQuery.SCORING_BOOLEAN_QUERY_REWRITE;
                return copy;
            }

            case BooleanQuery b:
            {
                var copy = new BooleanQuery(b.CoordDisabled);
                foreach (BooleanClause c in b.Clauses)
                {
                    if (c.Occur != Occur.MUST_NOT)
                    {
                        copy.Add(Expand(c.Query), c.Occur);
                    }
                }

                return copy;
            }

            default:
                return query;
        }
    }
}
