using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace CernVM.Preserve.Search;

/// <summary>
/// The latest audit and replay verdicts as numeric doc values (<see cref="Fields.Audit"/>, <see cref="Fields.Replay"/>):
/// a new journal event changes them in place (<c>IndexWriter.UpdateNumericDocValue</c>), so a whole-archive audit
/// does not re-index every version. Queried as <c>audit:success</c> through <see cref="VerdictFilter"/>.
/// </summary>
public static class Verdicts
{
    /// <summary>The outcomes of FORMAT.md §7 events, and "none" for a version no event named yet.</summary>
    public static IReadOnlyList<string> Names { get; } = ["(none)", "success", "warning", "failure"];

    public static long Code(string? outcome)
    {
        int i = outcome is null ? 0 : Names.ToList().IndexOf(outcome.ToLowerInvariant());
        return i < 0 ? 0 : i;
    }

    public static string Name(long code) => code >= 0 && code < Names.Count ? Names[(int)code] : Names[0];

    public static bool IsVerdictField(string field) => field is Fields.Audit or Fields.Replay;
}

/// <summary>The documents whose verdict field holds one value.</summary>
public sealed class VerdictFilter(string field, long code) : Filter
{
    public string Field { get; } = field;

    public long Code { get; } = code;

    public override DocIdSet? GetDocIdSet(AtomicReaderContext context, IBits? acceptDocs)
    {
        ArgumentNullException.ThrowIfNull(context);
        AtomicReader reader = context.AtomicReader;
        NumericDocValues? values = reader.GetNumericDocValues(Field);
        var bits = new FixedBitSet(reader.MaxDoc);
        for (int doc = 0; doc < reader.MaxDoc; doc++)
        {
            long v = values?.Get(doc) ?? 0;
            if (v == Code && (acceptDocs is null || acceptDocs.Get(doc)))
            {
                bits.Set(doc);
            }
        }

        return bits;
    }

    public override string ToString() => $"{Field}:{Verdicts.Name(Code)}";
}
