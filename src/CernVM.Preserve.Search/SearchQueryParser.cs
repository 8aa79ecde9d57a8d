using Lucene.Net.QueryParsers.Classic;
using Lucene.Net.Search;

namespace CernVM.Preserve.Search;

/// <summary>
/// Lucene's classic query parser with the index's rules: wildcard, prefix, fuzzy and range terms are lower-cased
/// for the fields whose values are (every field but <c>path</c>, which keeps its case), and <c>audit:</c> and
/// <c>replay:</c> name a verdict (<see cref="Verdicts"/>).
/// </summary>
internal sealed class SearchQueryParser : QueryParser
{
    public SearchQueryParser()
        : base(Fields.Lucene, Fields.Text, Fields.CreateAnalyzer())
    {
        DefaultOperator = Operator.AND;
        AllowLeadingWildcard = true;
        LowercaseExpandedTerms = false;
    }

    private static string Fold(string field, string text) => Fields.Lowercased(field) ? text.ToLowerInvariant() : text;

    protected override Query GetWildcardQuery(string field, string termStr) => base.GetWildcardQuery(field, Fold(field, termStr));

    protected override Query GetPrefixQuery(string field, string termStr) => base.GetPrefixQuery(field, Fold(field, termStr));

    protected override Query GetFuzzyQuery(string field, string termStr, float minSimilarity) => base.GetFuzzyQuery(field, Fold(field, termStr), minSimilarity);

    protected override Query GetRegexpQuery(string field, string termStr) => base.GetRegexpQuery(field, Fold(field, termStr));

    protected override Query GetRangeQuery(string field, string part1, string part2, bool startInclusive, bool endInclusive) =>
        base.GetRangeQuery(field, part1 is null ? null : Fold(field, part1), part2 is null ? null : Fold(field, part2), startInclusive, endInclusive);

    protected override Query GetFieldQuery(string field, string queryText, bool quoted)
    {
        if (Verdicts.IsVerdictField(field))
        {
            long code = Verdicts.Names.ToList().IndexOf(queryText.ToLowerInvariant());
            if (code < 0)
            {
                throw new ParseException($"'{queryText}' is not a verdict: {field}: is one of {string.Join(", ", Verdicts.Names)}");
            }

            return new ConstantScoreQuery(new VerdictFilter(field, code));
        }

        return base.GetFieldQuery(field, queryText, quoted);
    }
}
