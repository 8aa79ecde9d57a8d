using System.Text.RegularExpressions;
using Xunit;

namespace CernVM.Preserve.Core.Tests.Docs;

/// <summary>The report codes as <see cref="ReportCode"/> lists them are the codes the documents state, with the same meaning.</summary>
public partial class ReportCodeDocsTests
{
    [GeneratedRegex(@"^\|\s*(?<code>[A-Z]{3}[0-9]{3})\s*\|\s*(?<severity>[a-z]+)\s*\|\s*(?<meaning>.+?)\s*\|\s*$", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex(@"\b(?:CAP|RST)[0-9]{3}\b")]
    private static partial Regex AnyCode();

    private static string Section(string document, string heading)
    {
        string text = File.ReadAllText(RepositoryFiles.PathOf(document));
        int start = text.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"{document} has no section '{heading}'");
        int end = text.IndexOf("\n#", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? text[start..] : text[start..end];
    }

    [Fact]
    public void All_CodesAreDistinctAndWellFormed()
    {
        Assert.Equal(ReportCode.All.Count, ReportCode.All.Select(c => c.Code).Distinct().Count());
        Assert.All(ReportCode.All, c => Assert.Matches("^(CAP|RST)[0-9]{3}$", c.Code));
        Assert.All(ReportCode.All, c => Assert.Same(c, ReportCode.Find(c.Code)));
        Assert.Null(ReportCode.Find("CAP999"));
    }

    [Fact]
    public void CliMdTables_ListEveryCodeWithItsSeverityAndMeaning_AndNoOther()
    {
        string section = Section("docs/CLI.md", "## Codes in reports");
        var documented = TableRow().Matches(section)
            .Select(m => (Code: m.Groups["code"].Value, Severity: m.Groups["severity"].Value, Meaning: m.Groups["meaning"].Value))
            .ToList();
        Assert.Equal(documented.Count, documented.Select(d => d.Code).Distinct().Count());

        var expected = ReportCode.All.Select(c => (c.Code, Severity: c.Severity.ToString().ToLowerInvariant(), c.Meaning)).ToList();
        Assert.Equal(expected.OrderBy(e => e.Code, StringComparer.Ordinal), documented.OrderBy(d => d.Code, StringComparer.Ordinal));
    }

    [Fact]
    public void Documents_MentionNoCodeTheTypeDoesNotKnow()
    {
        var known = ReportCode.All.Select(c => c.Code).ToHashSet();
        foreach (string document in new[] { "docs/CLI.md", "docs/FORMAT.md", "docs/GLOSSARY.md", "README.md" })
        {
            string text = File.ReadAllText(RepositoryFiles.PathOf(document));
            Assert.All(AnyCode().Matches(text).Select(m => m.Value), code => Assert.True(known.Contains(code), $"{document} mentions {code}, which ReportCode does not list"));
        }
    }

    [Fact]
    public void FormatMd_WarningCodesOfSection5_2_AreTheCaptureCodes()
    {
        // FORMAT.md §5.2 is normative for what manifests hold: every capture code, and only those.
        string section = Section("docs/FORMAT.md", "### 5.2 Manifest fields");
        var listed = AnyCode().Matches(section).Select(m => m.Value).ToHashSet();
        Assert.Equal(ReportCode.All.Where(c => c.Code.StartsWith("CAP", StringComparison.Ordinal)).Select(c => c.Code).Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Code literals belong in <see cref="ReportCode"/> alone. The files listed here were being rewritten
    /// when the type came; their literals are converted when that work is merged, and the list then shrinks.
    /// </summary>
    [Fact]
    public void Sources_WriteCodesThroughTheType()
    {
        string[] notYetConverted = [];
        var offenders = Directory.EnumerateFiles(RepositoryFiles.PathOf("src"), "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RepositoryFiles.Root, f).Replace('\\', '/'))
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Where(f => f != "src/CernVM.Preserve.Core/ReportCode.cs" && !notYetConverted.Contains(f))
            .Where(f => Regex.IsMatch(File.ReadAllText(RepositoryFiles.PathOf(f)), "\"(?:CAP|RST)[0-9]{3}\""))
            .ToList();
        Assert.True(offenders.Count == 0, "code literals outside ReportCode: " + string.Join(", ", offenders));
    }
}
