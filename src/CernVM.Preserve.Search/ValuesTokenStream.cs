using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;

namespace CernVM.Preserve.Search;

/// <summary>
/// The values of one keyword field as one token stream: one field per name instead of one per value, which
/// spares Lucene's per-field work for the tens of thousands of paths of a version (values arrive already
/// normalised: lower-cased, or as they are for <c>path</c>).
/// </summary>
internal sealed class ValuesTokenStream : TokenStream
{
    private readonly IReadOnlyList<string> _values;
    private readonly ICharTermAttribute _term;
    private int _next;

    public ValuesTokenStream(IReadOnlyList<string> values)
    {
        _values = values;
        _term = AddAttribute<ICharTermAttribute>();
    }

    public override bool IncrementToken()
    {
        if (_next >= _values.Count)
        {
            return false;
        }

        ClearAttributes();
        _term.SetEmpty().Append(_values[_next++]);
        return true;
    }

    public override void Reset()
    {
        base.Reset();
        _next = 0;
    }
}
