using Xunit;

namespace CernVM.Preserve.Search.Tests;

/// <summary>Each kind of query over the real capsules of <see cref="CapsuleArchive"/>, answered in-process.</summary>
public sealed class SearchTests(CapsuleArchive capsules) : IClassFixture<CapsuleArchive>
{
    private readonly string _cache = capsules.NewCache();

    private Task<SearchResult> Find(SearchRequest r) => InProcess.FindAsync(capsules.Archive, _cache, r);

    private Task<SearchResult> Find(string query, bool all = false) => Find(new SearchRequest { Query = query, AllVersions = all });

    private Task<SearchResult> Package(string range, bool all = false) => Find(new SearchRequest { Packages = [PackageRange.Parse(range)], AllVersions = all });

    [Fact]
    public async Task NamedFields_MetadataAndOs_FindTheDemoCapsule()
    {
        Assert.Equal(["demo-aleph@v2"], (await Find("experiment:ALEPH AND os.version:4*")).Keys());
        Assert.Equal(["demo-aleph@v2"], (await Find("dphep:4 AND software:alpha-demo AND run:alpha-histogram")).Keys());
        Assert.Equal(["demo-aleph@v2"], (await Find("pin:demo-meta AND licence:apache-2.0")).Keys());
        Assert.Equal(["debian@v1"], (await Find("os.distribution:debian AND package.format:dpkg")).Keys());
        Assert.Equal(["mariner@v1"], (await Find("os.distribution:mariner AND os.id:mariner AND os.version:2.0")).Keys());
        Assert.Empty((await Find("experiment:CMS")).Hits);
    }

    [Fact]
    public async Task FreeText_SearchesTitlesAndDescriptions()
    {
        SearchResult r = await Find("analysis reference outputs");
        Assert.Equal(["demo-aleph@v2"], r.Keys());
        Assert.Equal(["debian@v1"], (await Find("bookworm")).Keys());
    }

    [Fact]
    public async Task LatestVersionByDefault_EveryVersionOnRequest()
    {
        Assert.Equal(["demo-aleph@v2"], (await Find("capsule:demo-aleph")).Keys());
        Assert.Equal(["demo-aleph@v2", "demo-aleph@v1"], (await Find(new SearchRequest { Query = "capsule:demo-aleph", AllVersions = true })).Keys().Order(StringComparer.Ordinal).Reverse());
        SearchResult all = await Find(new SearchRequest { AllVersions = true });
        Assert.Equal(5, all.Total);
        Assert.Equal(4, (await Find(new SearchRequest())).Total);
    }

    [Fact]
    public async Task Paths_ExactGlobAndLuceneField_SayWhichPathMatched()
    {
        // alpha116.f was added for version 2 only.
        SearchResult exact = await Find(new SearchRequest { Files = ["/aleph/alpha/alpha116.f"], AllVersions = true });
        SearchHit hit = Assert.Single(exact.Hits);
        Assert.Equal("demo-aleph@v2", hit.Key);
        Assert.Contains(new MatchReason("path", "/aleph/alpha/alpha116.f"), hit.Reasons);

        SearchResult glob = await Find(new SearchRequest { Files = ["/opt/cms/CMSSW_*/README"] });
        Assert.Equal("/opt/cms/CMSSW_10_6_30/README", Assert.Single(Assert.Single(glob.Hits).Reasons).Value);

        SearchResult lucene = await Find("path:\"/aleph/alpha/alpha116.f\"", all: true);
        Assert.Equal(["demo-aleph@v2"], lucene.Keys());
        Assert.Contains(lucene.Hits[0].Reasons, r => r.Field == "path" && r.Value == "/aleph/alpha/alpha116.f");

        SearchResult prefix = await Find(@"path:\/etc\/dpkg\/*");
        Assert.Equal(["debian@v1"], prefix.Keys());
        Assert.Equal(["debian@v1", "demo-aleph@v2"], (await Find("path.segment:bin AND path.segment:sh")).Keys().Order(StringComparer.Ordinal));
        Assert.Empty((await Find(new SearchRequest { Files = ["/no/such/file"] })).Hits);
    }

    [Fact]
    public async Task PackageRanges_RpmRules_NotStrings()
    {
        // CBL-Mariner's glibc is 2.34: as strings "2.34" < "2.4", by rpm's rules 2.34 > 2.4.
        Assert.Equal(["mariner@v1"], (await Package("glibc>=2.4")).Keys());
        Assert.Empty((await Package("glibc<2.4")).Hits);
        Assert.Equal(["mariner@v1"], (await Package("glibc>=2.3,<2.35")).Keys());
        Assert.Empty((await Package("glibc>=2.3,<2.34")).Hits);

        // openssl 1.1.1k-7.cm2: a bound without a release compares the version only, as rpm's ranges do.
        SearchResult older = await Package("openssl<1.1.1l");
        SearchHit hit = Assert.Single(older.Hits);
        Assert.Contains(new MatchReason("package", "openssl-1.1.1k-7.cm2.x86_64", "<1.1.1l by rpm rules"), hit.Reasons);
        Assert.Empty((await Package("openssl<1.1.1k")).Hits);
        Assert.Single((await Package("openssl<=1.1.1k")).Hits);
        Assert.Single((await Package("openssl<1.1.1k-8.cm2")).Hits);
        Assert.Empty((await Package("openssl<1.1.1k-7.cm2")).Hits);

        // Tilde sorts before the release it precedes, caret after.
        Assert.Single((await Package("openssl>1.1.1k~rc1")).Hits);
        Assert.Empty((await Package("openssl<1.1.1k~rc1")).Hits);
        Assert.Single((await Package("openssl<1.1.1k^post1")).Hits);
        Assert.Empty((await Package("openssl>1.1.1k^post1")).Hits);
    }

    [Fact]
    public async Task PackageRanges_RpmEpochs()
    {
        // ca-certificates-base is 1:2.0.0-1.cm2; a bound without an epoch has epoch 0.
        Assert.Empty((await Package("ca-certificates-base<2.0.1")).Hits);
        Assert.Single((await Package("ca-certificates-base>99")).Hits);
        Assert.Single((await Package("ca-certificates-base<1:2.0.1")).Hits);
        Assert.Single((await Package("ca-certificates-base=1:2.0.0-1.cm2")).Hits);

        // The demo's alpha-demo is 2:11.6-1 (its metapackage pins that).
        Assert.Empty((await Package("alpha-demo<11.7")).Hits);
        Assert.Equal(["demo-aleph@v2"], (await Package("alpha-demo>=2:11.6,<2:11.7")).Keys());
        Assert.Equal(["demo-aleph@v1", "demo-aleph@v2"], (await Package("alpha-demo=2:11.6-1", all: true)).Keys().Order(StringComparer.Ordinal));

        // The EL8 Berkeley DB holds libuuid 2.32.1-42.el8_8.
        Assert.Equal(["el8-libuuid@v1"], (await Package("libuuid>=2.32.1-42.el8,<2.33")).Keys());
    }

    [Fact]
    public async Task PackageRanges_DpkgRules_WithTildesCaretsAndRevisions()
    {
        string libc = capsules.DebianLibc; // 2.36-9+deb12uN
        Assert.StartsWith("2.36-", libc, StringComparison.Ordinal);
        SearchResult eq = await Package($"libc6={libc}");
        Assert.Contains(new MatchReason("package", $"libc6_{libc}_amd64", $"={libc} by dpkg rules"), Assert.Single(eq.Hits).Reasons);
        Assert.Equal(["debian@v1"], (await Package("libc6>=2.4")).Keys()); // as strings "2.36" < "2.4"
        Assert.Equal(["debian@v1"], (await Package("libc6>=2.36,<2.37")).Keys());
        Assert.Empty((await Package("libc6<2.36")).Hits); // 2.36-9 > 2.36: an empty revision sorts first
        Assert.Equal(["debian@v1"], (await Package("libc6>2.36~")).Keys()); // tilde before everything, even the end
        Assert.Equal(["debian@v1"], (await Package("libc6<2.36^")).Keys()); // a non-letter after the end
        Assert.Equal(["debian@v1"], (await Package("libc6<1:2.0")).Keys()); // epoch 1 is above every epoch-0 version
    }

    [Fact]
    public async Task Cvmfs_AndCombinedConstraints()
    {
        // None of these capsules pins a CernVM-FS repository.
        Assert.Empty((await Find(new SearchRequest { Cvmfs = ["sft.cern.ch"] })).Hits);
        Assert.Empty((await Find(new SearchRequest { Cvmfs = ["sft.cern.ch@4711"] })).Hits);

        SearchResult both = await Find(new SearchRequest { Query = "os.distribution:mariner", Packages = [PackageRange.Parse("bash")], Files = ["/var/lib/rpm/*"] });
        SearchHit hit = Assert.Single(both.Hits);
        Assert.Contains(hit.Reasons, r => r.Field == "package" && r.Value.StartsWith("bash-5.1.8", StringComparison.Ordinal));
        Assert.Contains(hit.Reasons, r => r.Field == "path" && r.Value == "/var/lib/rpm/rpmdb.sqlite");
        Assert.Contains(hit.Reasons, r => r.Field == "os.distribution" && r.Value == "mariner");
    }

    [Fact]
    public async Task Facets_CountEveryHit()
    {
        SearchResult r = await Find(new SearchRequest { Limit = 1 });
        Assert.Equal(4, r.Total);
        Assert.Single(r.Hits);
        Assert.Contains(new FacetCount("4", 1), r.Facets["dphepLevel"]);
        Assert.Contains(new FacetCount("(none)", 3), r.Facets["dphepLevel"]);
        Assert.Contains(new FacetCount("ALEPH (demo)", 1), r.Facets["experiment"]);
        Assert.All(r.Facets.Values, counts => Assert.Equal(4, counts.Sum(f => f.Count)));
        Assert.Equal(["(none)"], r.Facets["audit"].Select(f => f.Value));
    }

    [Fact]
    public void BadQuery_NamesTheColumn()
    {
        QuerySyntaxException e = Assert.Throws<QuerySyntaxException>(() => Searcher.Parse("experiment:ALEPH AND (os.version:4*"));
        Assert.InRange(e.Column, 20, 36);
        Assert.Throws<QuerySyntaxException>(() => Searcher.Parse("experiment:\"ALEPH"));
    }
}
