using System.Text;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Replay.Comparison;
using Xunit;

namespace CernVM.Preserve.Replay.Tests;

/// <summary>The three comparison rules of run entries, on outputs shaped like an analysis's histogram and log.</summary>
public class OutputComparisonTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    // A rule as a manifest records it (FORMAT.md §5.3), read through the typed component.
    private static OutputComparison Parse(string json) => OutputComparison.For(CanonicalJson.Deserialize<ComparisonRule>(B(json), "compare"));

    private const string Histogram = "# ALPHA histogram: charged multiplicity\n  bin     low    high   entries\n    1   0.000   5.000     12\n    2   5.000  10.000   1.2345E+02\n";

    [Fact]
    public void Exact_SameBytes_Equal_OtherwiseNamesTheOffsetAndLine()
    {
        OutputComparison c = Parse("\"exact\"");
        Assert.True(c.Compare(B(Histogram), B(Histogram)).Equal);
        ComparisonResult r = c.Compare(B(Histogram.Replace("12\n", "13\n")), B(Histogram));
        Assert.False(r.Equal);
        Assert.Equal(3, r.Differences[0].Line);
        Assert.Contains("byte offset", r.Differences[0].Reason);
        Assert.Contains("prefix", c.Compare(B(Histogram), B(Histogram + "extra")).Differences[0].Reason);
    }

    [Fact]
    public void Text_IgnoredLinesDropOnBothSides_OtherLinesMustMatch()
    {
        OutputComparison c = Parse("""{"text": {"ignore": ["^run started at ", "^host: "]}}""");
        string reference = "run started at Tue Mar 14 10:02:11 2006\nhost: alws01.cern.ch\nevents read: 500\nOK\n";
        string output = "run started at Wed Nov 25 09:00:00 2026\r\nevents read: 500\r\nhost: runner-7\r\nOK\r\n";
        Assert.True(c.Compare(B(output), B(reference)).Equal);

        ComparisonResult r = c.Compare(B(output.Replace("500", "499")), B(reference));
        Assert.False(r.Equal);
        Assert.Equal(1, r.DifferenceCount);
        Assert.Equal(2, r.Differences[0].Line);
        Assert.Equal("events read: 500", r.Differences[0].Expected);
        Assert.Equal("events read: 499", r.Differences[0].Actual);

        Assert.Equal("output has fewer lines", c.Compare(B("events read: 500\n"), B(reference)).Differences[0].Reason);
    }

    [Fact]
    public void Numeric_WithinTolerance_Equal_BeyondIt_NamesTheNumbers()
    {
        OutputComparison c = Parse("""{"numeric": {"relTol": 1e-3, "absTol": 1e-9}}""");
        Assert.True(c.Compare(B(Histogram.Replace("1.2345E+02", "123.46")), B(Histogram)).Equal);
        Assert.True(c.Compare(B("x = 1.0D+02\n"), B("x = 100.05\n")).Equal);

        ComparisonResult r = c.Compare(B(Histogram.Replace("1.2345E+02", "124.0")), B(Histogram));
        Assert.False(r.Equal);
        Assert.Equal(4, r.Differences[0].Line);
        Assert.Contains("beyond the tolerance", r.Differences[0].Reason);

        // Words are not numbers: they must be equal.
        Assert.False(c.Compare(B("# ALPHA histogram: neutral multiplicity\n"), B("# ALPHA histogram: charged multiplicity\n")).Equal);
        Assert.Contains("tokens", c.Compare(B("1 2 3\n"), B("1 2\n")).Differences[0].Reason);
    }

    [Fact]
    public void Numeric_ZeroTolerance_IsExactOnValuesNotOnSpelling()
    {
        OutputComparison c = Parse("""{"numeric": {}}""");
        Assert.True(c.Compare(B("1.50 2e3 nan\n"), B("1.5 2000 NaN\n")).Equal);
        Assert.False(c.Compare(B("1.5000001\n"), B("1.5\n")).Equal);
    }

    [Fact]
    public void For_DefaultIsExact_BadRulesAndPatternsAreClearErrors()
    {
        Assert.Equal("exact", OutputComparison.For(null).Rule);
        Assert.Contains("unknown comparison rule \"fuzzy\"", Assert.Throws<FormatException>(() => Parse("\"fuzzy\"")).Message);
        Assert.Contains("unknown comparison rule {\"histogram\": {}}", Assert.Throws<FormatException>(() => Parse("""{"histogram": {}}""")).Message);
        Assert.Contains("not a valid regular expression", Assert.Throws<FormatException>(() => Parse("""{"text": {"ignore": ["("]}}""")).Message);
        Assert.Throws<FormatException>(() => new NumericComparison(-1, 0));
    }

    [Fact]
    public void Differences_AreCountedAll_ListedUpToTheLimit()
    {
        string reference = string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i}\n"));
        string output = string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i + 1}\n"));
        ComparisonResult r = Parse("\"text\"").Compare(B(output), B(reference));
        Assert.Equal(100, r.DifferenceCount);
        Assert.Equal(OutputComparison.MaxListed, r.Differences.Count);
    }
}
