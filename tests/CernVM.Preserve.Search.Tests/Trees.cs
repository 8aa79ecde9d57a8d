using CernVM.Preserve.Cli.Tests;

namespace CernVM.Preserve.Search.Tests;

/// <summary>Small source trees for the index's life-cycle tests: a few files and, where asked, the real CBL-Mariner rpm database.</summary>
public static class Trees
{
    public static string Make(string root, string marker, bool withRpmDatabase)
    {
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        Directory.CreateDirectory(Path.Combine(root, "data", marker));
        File.WriteAllText(Path.Combine(root, "data", marker, "events.dat"), marker + "\n");
        File.WriteAllText(Path.Combine(root, "etc/os-release"), "NAME=\"Common Base Linux Mariner\"\nID=mariner\nVERSION_ID=\"2.0\"\n");
        if (withRpmDatabase)
        {
            Directory.CreateDirectory(Path.Combine(root, "var/lib/rpm"));
            File.Copy(Path.Combine(CliRunner.RepoRoot, "fixtures/real-data/rpmdb/cbl-mariner2-sqlite/rpmdb.sqlite"), Path.Combine(root, "var/lib/rpm/rpmdb.sqlite"), overwrite: true);
        }

        return root;
    }

    /// <summary>A request's answer as text: hits, reasons and facets, for comparing two indexes.</summary>
    public static string Describe(SearchResult r) =>
        $"{r.Total}/{r.VersionsSearched}\n" +
        string.Join('\n', r.Hits.Select(h => $"{h.Key} {h.Title} {h.Os} [{string.Join("; ", h.Reasons)}]")) + "\n" +
        string.Join('\n', r.Facets.Select(f => $"{f.Key}: {string.Join(", ", f.Value)}"));

    public static IReadOnlyList<SearchRequest> Requests { get; } =
    [
        new SearchRequest(),
        new SearchRequest { AllVersions = true },
        new SearchRequest { Query = "os.distribution:mariner AND path.segment:events.dat", AllVersions = true },
        new SearchRequest { Packages = [PackageRange.Parse("openssl<1.1.1l")], AllVersions = true },
        new SearchRequest { Packages = [PackageRange.Parse("glibc>=2.3,<2.35")] },
        new SearchRequest { Files = ["/data/*/events.dat"], AllVersions = true },
        new SearchRequest { Query = "audit:success", AllVersions = true },
        new SearchRequest { Query = "capsule:b*" },
    ];
}
