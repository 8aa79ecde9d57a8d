using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CernVM.Preserve.Core.Format;

namespace CernVM.Preserve.Replay.Comparison;

/// <summary>One place where an output departs from its reference.</summary>
/// <param name="Line">1-based line in the output (after ignored lines are dropped, the line of the output file itself).</param>
/// <param name="Expected">What the reference has there.</param>
/// <param name="Actual">What the output has there.</param>
/// <param name="Reason">Why the two differ under the rule.</param>
public sealed record OutputDifference(int Line, string Expected, string Actual, string Reason);

/// <summary>The verdict of a comparison: equal under its rule, or the first differences found.</summary>
public sealed record ComparisonResult(string Rule, bool Equal, IReadOnlyList<OutputDifference> Differences, int DifferenceCount);

/// <summary>
/// A run entry's comparison rule (FORMAT.md §5.3, capsule-spec schema <c>comparison</c>): <c>exact</c> bytes;
/// <c>text</c>, line by line, dropping lines that match any of the <c>ignore</c> patterns (timestamps, host
/// names, paths) on both sides; <c>numeric</c>, token by token, where numbers agree within
/// <c>|a − b| ≤ absTol + relTol·max(|a|, |b|)</c> and every other token must be equal.
/// </summary>
public abstract class OutputComparison
{
    /// <summary>How many differences a result lists at most; <see cref="ComparisonResult.DifferenceCount"/> counts all.</summary>
    public const int MaxListed = 20;

    /// <summary>The rule's name: exact, text or numeric.</summary>
    public abstract string Rule { get; }

    /// <summary>Compares <paramref name="actual"/> with <paramref name="reference"/>.</summary>
    public abstract ComparisonResult Compare(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> reference);

    /// <summary>The comparison a run output's rule asks for (FORMAT.md §5.3 <c>compare</c>; null is <c>exact</c>).</summary>
    /// <exception cref="FormatException">
    /// The rule is of a form this version does not know (exact, text, {text: …}, {numeric: …}), an ignore pattern
    /// is not a valid regular expression, or a tolerance is negative.
    /// </exception>
    public static OutputComparison For(ComparisonRule? rule) => rule?.Kind switch
    {
        null or ComparisonKind.Exact => new ExactComparison(),
        ComparisonKind.Text => new TextComparison(rule.Ignore ?? []),
        ComparisonKind.Numeric => new NumericComparison(rule.RelTol ?? 0, rule.AbsTol ?? 0),
        _ => throw new FormatException($"unknown comparison rule {rule.Name} (exact, text, {{text: …}}, {{numeric: …}})."),
    };

    private protected static string[] Lines(ReadOnlySpan<byte> bytes)
    {
        string text = Encoding.UTF8.GetString(bytes).Replace("\r\n", "\n", StringComparison.Ordinal);
        if (text.EndsWith('\n'))
        {
            text = text[..^1];
        }

        return text.Length == 0 ? [] : text.Split('\n');
    }

    private protected static string Clip(string s) => s.Length <= 200 ? s : s[..200] + "…";
}

/// <summary>Byte for byte.</summary>
public sealed class ExactComparison : OutputComparison
{
    public override string Rule => "exact";

    public override ComparisonResult Compare(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> reference)
    {
        int at = actual.CommonPrefixLength(reference);
        if (at == actual.Length && at == reference.Length)
        {
            return new ComparisonResult(Rule, true, [], 0);
        }

        int line = 1 + actual[..at].Count((byte)'\n');
        string Around(ReadOnlySpan<byte> b) => at >= b.Length ? "(end of file)" : $"byte {at}: 0x{b[at]:x2}";
        string reason = actual.Length != reference.Length && (at == actual.Length || at == reference.Length)
            ? $"one is a prefix of the other: {actual.Length} bytes against {reference.Length}"
            : $"first difference at byte offset {at}";
        return new ComparisonResult(Rule, false, [new OutputDifference(line, Around(reference), Around(actual), reason)], 1);
    }
}

/// <summary>Line by line, without the lines any ignore pattern matches.</summary>
public sealed class TextComparison : OutputComparison
{
    private readonly Regex[] _ignore;

    public TextComparison(IReadOnlyList<string> ignorePatterns)
    {
        ArgumentNullException.ThrowIfNull(ignorePatterns);
        _ignore = ignorePatterns.Select(p =>
        {
            try
            {
                return new Regex(p, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"ignore pattern '{p}' is not a valid regular expression: {e.Message}", e);
            }
        }).ToArray();
    }

    public override string Rule => _ignore.Length == 0 ? "text" : $"text ignoring {_ignore.Length} pattern(s)";

    public override ComparisonResult Compare(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> reference)
    {
        List<(int Line, string Text)> a = Kept(Lines(actual)), r = Kept(Lines(reference));
        var differences = new List<OutputDifference>();
        int count = 0;
        for (int i = 0; i < Math.Max(a.Count, r.Count); i++)
        {
            string? x = i < a.Count ? a[i].Text : null, y = i < r.Count ? r[i].Text : null;
            if (x == y)
            {
                continue;
            }

            count++;
            if (differences.Count < MaxListed)
            {
                int line = i < a.Count ? a[i].Line : (a.Count > 0 ? a[^1].Line + 1 : 1);
                differences.Add(new OutputDifference(line, y is null ? "(no more lines)" : Clip(y), x is null ? "(no more lines)" : Clip(x), x is null ? "output has fewer lines" : y is null ? "output has more lines" : "lines differ"));
            }
        }

        return new ComparisonResult(Rule, count == 0, differences, count);
    }

    private List<(int, string)> Kept(string[] lines) =>
        lines.Select((text, i) => (i + 1, text)).Where(l => !_ignore.Any(p => p.IsMatch(l.text))).ToList();
}

/// <summary>Token by token; numbers within tolerance, everything else equal.</summary>
public sealed partial class NumericComparison : OutputComparison
{
    private readonly double _relTol;
    private readonly double _absTol;

    public NumericComparison(double relTol, double absTol)
    {
        if (relTol < 0 || absTol < 0 || double.IsNaN(relTol) || double.IsNaN(absTol))
        {
            throw new FormatException($"numeric tolerances must be non-negative (relTol {relTol}, absTol {absTol}).");
        }

        (_relTol, _absTol) = (relTol, absTol);
    }

    public override string Rule => FormattableString.Invariant($"numeric (relTol {_relTol}, absTol {_absTol})");

    public override ComparisonResult Compare(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> reference)
    {
        string[] a = Lines(actual), r = Lines(reference);
        var differences = new List<OutputDifference>();
        int count = 0;
        for (int i = 0; i < Math.Max(a.Length, r.Length); i++)
        {
            string? why = i >= a.Length ? "output has fewer lines" : i >= r.Length ? "output has more lines" : CompareLine(a[i], r[i]);
            if (why is null)
            {
                continue;
            }

            count++;
            if (differences.Count < MaxListed)
            {
                differences.Add(new OutputDifference(i + 1, i < r.Length ? Clip(r[i]) : "(no more lines)", i < a.Length ? Clip(a[i]) : "(no more lines)", why));
            }
        }

        return new ComparisonResult(Rule, count == 0, differences, count);
    }

    private string? CompareLine(string actual, string reference)
    {
        List<string> x = Tokens(actual), y = Tokens(reference);
        if (x.Count != y.Count)
        {
            return $"{x.Count} tokens against {y.Count}";
        }

        for (int k = 0; k < x.Count; k++)
        {
            bool nx = TryNumber(x[k], out double a), ny = TryNumber(y[k], out double b);
            if (nx && ny)
            {
                bool close = a == b || (double.IsNaN(a) && double.IsNaN(b)) || Math.Abs(a - b) <= _absTol + (_relTol * Math.Max(Math.Abs(a), Math.Abs(b)));
                if (!close)
                {
                    return FormattableString.Invariant($"{x[k]} differs from {y[k]} by {Math.Abs(a - b):G6}, beyond the tolerance");
                }
            }
            else if (x[k] != y[k])
            {
                return $"'{Clip(x[k])}' is not '{Clip(y[k])}'";
            }
        }

        return null;
    }

    // Numbers as Fortran and C print them (1.5, -2e-3, 1.0D+02, .5, nan, inf), and the text between them.
    private static List<string> Tokens(string line) => TokenPattern().Matches(line).Select(m => m.Value).ToList();

    private static bool TryNumber(string token, out double value) =>
        double.TryParse(token.Replace('D', 'E').Replace('d', 'e'), NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    [GeneratedRegex(@"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)\b|[^\s\d.+\-]+|[.+\-]", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();
}
