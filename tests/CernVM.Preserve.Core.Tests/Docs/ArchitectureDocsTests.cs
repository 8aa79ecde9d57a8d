using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace CernVM.Preserve.Core.Tests.Docs;

/// <summary>docs/ARCHITECTURE.md's tables against the project files: what it says each project references is what it references.</summary>
public partial class ArchitectureDocsTests
{
    private const string Prefix = "CernVM.Preserve.";

    [GeneratedRegex(@"^\| `(?<project>CernVM\.Preserve\.[A-Za-z0-9.]+)` \|.*\| (?<references>[^|]*) \| (?<packages>[^|]*) \|$", RegexOptions.Multiline)]
    private static partial Regex ProjectRow();

    private static string Architecture => File.ReadAllText(RepositoryFiles.PathOf("docs/ARCHITECTURE.md"));

    private static SortedSet<string> Names(string cell) =>
        new(cell.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(n => n != "–"), StringComparer.Ordinal);

    private static IEnumerable<string> ProjectFiles(string folder) =>
        Directory.EnumerateFiles(RepositoryFiles.PathOf(folder), "*.csproj", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal));

    private static IEnumerable<string> Items(string csproj, string item) =>
        XDocument.Load(csproj).Descendants(item).Select(e => (string)e.Attribute("Include")!);

    [Fact]
    public void ProjectTable_ListsEverySourceProjectWithItsReferencesAndPackages()
    {
        var documented = ProjectRow().Matches(Architecture).ToDictionary(
            m => m.Groups["project"].Value,
            m => (References: Names(m.Groups["references"].Value), Packages: Names(m.Groups["packages"].Value)));
        var actual = ProjectFiles("src").ToDictionary(
            f => Path.GetFileNameWithoutExtension(f),
            f => (References: new SortedSet<string>(Items(f, "ProjectReference").Select(r => Path.GetFileNameWithoutExtension(r)[Prefix.Length..]), StringComparer.Ordinal),
                  Packages: new SortedSet<string>(Items(f, "PackageReference"), StringComparer.Ordinal)));

        Assert.Equal(actual.Keys.Order(StringComparer.Ordinal), documented.Keys.Order(StringComparer.Ordinal));
        foreach ((string project, var a) in actual)
        {
            Assert.True(a.References.SetEquals(documented[project].References), $"{project} references {string.Join(", ", a.References)}; ARCHITECTURE.md says {string.Join(", ", documented[project].References)}");
            Assert.True(a.Packages.SetEquals(documented[project].Packages), $"{project} uses {string.Join(", ", a.Packages)}; ARCHITECTURE.md says {string.Join(", ", documented[project].Packages)}");
        }
    }

    [Fact]
    public void Diagram_NamesEveryProjectItsTableDoes()
    {
        string text = Architecture;
        int start = text.IndexOf("```", StringComparison.Ordinal);
        string diagram = text[start..text.IndexOf("```", start + 3, StringComparison.Ordinal)];
        foreach (string f in ProjectFiles("src"))
        {
            string shortName = Path.GetFileNameWithoutExtension(f)[Prefix.Length..];
            Assert.True(Regex.IsMatch(diagram, $@"(?<![A-Za-z.]){Regex.Escape(shortName)}(?![A-Za-z])"), $"the diagram does not show {shortName}");
        }
    }

    [Fact]
    public void PackageTable_ListsExactlyThePackagesAProjectReferences_AtThePinnedVersions()
    {
        string text = Architecture;
        int start = text.IndexOf("## Packages and why", StringComparison.Ordinal);
        string section = text[start..text.IndexOf("\n## ", start + 3, StringComparison.Ordinal)];
        var documented = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match row in Regex.Matches(section, @"^\| (?<names>[^|]+) \| (?<versions>[0-9][^|]*) \| [^|]+ \|$", RegexOptions.Multiline))
        {
            string[] names = row.Groups["names"].Value.Split(',', StringSplitOptions.TrimEntries);
            string[] versions = row.Groups["versions"].Value.Split(',', StringSplitOptions.TrimEntries);
            for (int i = 0; i < names.Length; i++)
            {
                documented[names[i]] = versions[versions.Length == 1 ? 0 : i];
            }
        }

        var pinned = XDocument.Load(RepositoryFiles.PathOf("Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!, StringComparer.Ordinal);
        var used = ProjectFiles("src").Concat(ProjectFiles("tests")).Concat(ProjectFiles("fuzz")).SelectMany(f => Items(f, "PackageReference")).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(used.Order(StringComparer.Ordinal), documented.Keys.Order(StringComparer.Ordinal));
        Assert.All(documented, d => Assert.Equal(pinned[d.Key], d.Value));

        // A package pinned for later is said to be unused, by name.
        int note = section.IndexOf("Pinned, not used yet:", StringComparison.Ordinal);
        int noteEnd = note < 0 ? -1 : section.IndexOf("\n\n", note, StringComparison.Ordinal);
        string unusedLine = note < 0 ? "" : noteEnd < 0 ? section[note..] : section[note..noteEnd];
        foreach (string p in pinned.Keys.Where(p => !used.Contains(p)))
        {
            Assert.True(Regex.IsMatch(unusedLine, $@"(?<![A-Za-z.]){Regex.Escape(p)}(?![A-Za-z.])"), $"{p} is pinned in Directory.Packages.props and used by no project: ARCHITECTURE.md must say so ('Pinned, not used yet: …')");
        }
    }

    [Fact]
    public void Documents_ReferToNoDocumentOutsideTheRepository()
    {
        // A reader of the repository alone must be able to follow every reference.
        var files = new[] { "README.md" }.Concat(Directory.EnumerateFiles(RepositoryFiles.PathOf("docs"), "*.md").Select(f => Path.GetRelativePath(RepositoryFiles.Root, f)))
            .Concat(ProjectFiles("src").Concat(ProjectFiles("tests")).Select(f => Path.GetRelativePath(RepositoryFiles.Root, f)))
            .Concat(Directory.EnumerateFiles(RepositoryFiles.PathOf("src"), "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal)).Select(f => Path.GetRelativePath(RepositoryFiles.Root, f)));
        foreach (string f in files)
        {
            string text = File.ReadAllText(RepositoryFiles.PathOf(f));
            foreach (Match m in Regex.Matches(text, @"(?<![A-Za-z0-9_./-])(?<doc>[A-Z][A-Z0-9_-]+\.md)\b"))
            {
                string doc = m.Groups["doc"].Value;
                bool exists = File.Exists(RepositoryFiles.PathOf(doc)) || File.Exists(RepositoryFiles.PathOf("docs/" + doc)) || File.Exists(Path.Combine(Path.GetDirectoryName(RepositoryFiles.PathOf(f))!, doc));
                Assert.True(exists, $"{f} refers to {doc}, which is not in the repository");
            }

            Assert.DoesNotMatch(@"\b(?:DESIGN|STYLE) §", text);
        }
    }
}
