using Lucene.Net.Index;
using Lucene.Net.Queries;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace CernVM.Preserve.Search;

/// <summary>
/// Turns the parts of a query that ask about paths (<c>path:</c>, <c>path.segment:</c>, <c>--file</c>) into
/// questions about versions: each such part is run over the directory listings, and replaced by "the version
/// names one of the listings found" (<see cref="DirectoryListing"/>). Every other part is left as it is, so
/// <c>experiment:ALEPH AND NOT path:/aleph/*</c> keeps its meaning; a group of only negative parts
/// (<c>NOT path:/x</c>) means every version but those, not none, as it would in plain Lucene.
/// </summary>
internal sealed class ListingJoin(IndexSearcher searcher)
{
    /// <summary>Only listing documents.</summary>
    public static Filter Listings { get; } = new CachingWrapperFilter(new QueryWrapperFilter(new TermQuery(new Term(Fields.Kind, Fields.KindListing))));

    /// <summary>Only version documents.</summary>
    public static Filter Versions { get; } = new CachingWrapperFilter(new QueryWrapperFilter(new TermQuery(new Term(Fields.Kind, Fields.KindVersion))));

    public Query Rewrite(Query query)
    {
        ArgumentNullException.ThrowIfNull(query);
        switch (query)
        {
            case BooleanQuery b:
            {
                var copy = new BooleanQuery(b.CoordDisabled) { MinimumNumberShouldMatch = b.MinimumNumberShouldMatch, Boost = b.Boost };
                foreach (BooleanClause c in b.Clauses)
                {
                    copy.Add(Rewrite(c.Query), c.Occur);
                }

                // Lucene matches nothing with only negative clauses; `NOT path:/x` means every version without it.
                if (copy.Clauses.Count > 0 && copy.Clauses.All(c => c.Occur == Occur.MUST_NOT))
                {
                    copy.Add(new MatchAllDocsQuery(), Occur.MUST);
                }

                return copy;
            }

            case var _ when FieldOf(query) is string f && Fields.OnListings(f):
                return Join(query);

            default:
                return query;
        }
    }

    /// <summary>The field a leaf of a parsed query asks about, or null for a query of several fields or none.</summary>
    public static string? FieldOf(Query query) => query switch
    {
        TermQuery t => t.Term.Field,
        MultiTermQuery m => m.Field,
        PhraseQuery p => p.GetTerms() is { Length: > 0 } terms ? terms[0].Field : null,
        _ => null,
    };

    private Query Join(Query onListings)
    {
        var ids = new List<BytesRef>();
        searcher.Search(onListings, Listings, new IdCollector(ids));
        if (ids.Count == 0)
        {
            return new BooleanQuery(); // matches nothing
        }

        return new ConstantScoreQuery(new TermsFilter(Fields.Listing, ids)) { Boost = onListings.Boost };
    }

    /// <summary>Collects the id (doc value) of each listing document the query matches.</summary>
    private sealed class IdCollector(List<BytesRef> ids) : ICollector
    {
        private SortedDocValues? _values;

        public bool AcceptsDocsOutOfOrder => true;

        public void SetScorer(Scorer scorer)
        {
        }

        public void SetNextReader(AtomicReaderContext context) => _values = context.AtomicReader.GetSortedDocValues(DocumentBuilder.DvListing);

        public void Collect(int doc)
        {
            if (_values is null)
            {
                return;
            }

            var id = new BytesRef();
            _values.Get(doc, id);
            if (id.Length > 0)
            {
                ids.Add(BytesRef.DeepCopyOf(id));
            }
        }
    }
}
