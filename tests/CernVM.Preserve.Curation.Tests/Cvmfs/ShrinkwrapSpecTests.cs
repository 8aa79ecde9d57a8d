using CernVM.Preserve.Curation.Cvmfs;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Cvmfs;

public class ShrinkwrapSpecTests
{
    // The specification and expectations of cvmfs test/unittests/shrinkwrap/t_spec_tree.cc (BasicMatchTest).
    private const string SpecTreeTestSpec =
        "^/*\n" +
        "/foo/bar\n" +
        "/foo/bar/abc/*\n" +
        "!/foo/bar/abc/def/hij\n" +
        "^/bar\n" +
        "^/bar/abc/def/*\n" +
        "!/bar/abc/def/ghj\n";

    [Theory]
    [InlineData("", true)]
    [InlineData("/", true)]
    [InlineData("/asdf", true)]
    [InlineData("/foo/", true)]
    [InlineData("/foo/bar", true)]
    [InlineData("/foo/bar/abc/foo/foo/foo.txt", true)]
    [InlineData("/bar", true)]
    [InlineData("/bar/abc/def/def", true)]
    [InlineData("/bar/abc/def", true)]
    [InlineData("/bar/abc/def/ghj", false)]
    [InlineData("/bar/abc/def/ghj/def/def", false)]
    [InlineData("/bar/def", false)]
    [InlineData("/bar/abc/abc", false)]
    [InlineData("/foobar/bar", false)]
    [InlineData("/foo/bar/def", false)]
    [InlineData("/foo/bar/abc/def/hij", false)]
    [InlineData("/foo/bar/abc/def/hij/def.txt", false)]
    public void IsMatching_SpecTreeTestVectors_MatchCvmfs(string path, bool expected)
    {
        ShrinkwrapSpec spec = ShrinkwrapSpec.Parse(SpecTreeTestSpec);

        Assert.Equal(expected, spec.IsMatching(path));
    }

    [Fact]
    public void Parse_CmsSpecWithComments_ReadsRulesAndMatches()
    {
        string text = File.ReadAllText(CvmfsRealData.PathOf("082-shrinkwrap-cms-cms.cern.ch.spec"));

        ShrinkwrapSpec spec = ShrinkwrapSpec.Parse(text);

        Assert.Equal(5, spec.RuleCount);
        Assert.True(spec.IsMatching("/SITECONF/local/JobConfig/site-local-config.xml"));
        Assert.True(spec.IsMatching("/slc6_amd64_gcc700"));
        Assert.True(spec.IsMatching("/COMP/slc6_amd64_gcc493/external/db4/4.4.20/lib/libdb.so"));
        Assert.True(spec.IsMatching("/slc6_amd64_gcc700/cms/cmssw/CMSSW_10_2_9/lib/slc6_amd64_gcc700/libFWCoreFramework.so"));
        Assert.False(spec.IsMatching("/slc6_amd64_gcc700/cms/cmssw/CMSSW_10_2_9/lib/slc6_amd64_gcc700/libOther.so"));
        Assert.False(spec.IsMatching("/slc7_amd64_gcc820"));
    }

    [Fact]
    public void Parse_SftSpec_ReadsEveryLineAndMatchesFlatRules()
    {
        string text = File.ReadAllText(CvmfsRealData.PathOf("081-shrinkwrap-cvmfs-sft.cern.ch.spec.txt"));
        int ruleLines = text.Split('\n').Count(l => l.Trim().Length > 0 && !l.Trim().StartsWith('#'));

        ShrinkwrapSpec spec = ShrinkwrapSpec.Parse(text);

        Assert.Equal(ruleLines, spec.RuleCount);
        Assert.True(spec.IsMatching("/lcg/contrib/binutils/2.28/x86_64-centos7/lib/libbfd.so"));
        Assert.True(spec.IsMatching("/lcg/contrib/binutils"));
        Assert.True(spec.IsMatching("/lcg/contrib/gcc/7.1.0/x86_64-centos7/bin/awk"));
        Assert.False(spec.IsMatching("/lcg/contrib/binutils/2.28/x86_64-centos7/lib/deeper/file"));
        Assert.True(spec.IsMatching("/lcg/releases"));
        Assert.False(spec.IsMatching("/lcg/unlisted"));
    }

    [Theory]
    [InlineData("foo/bar")]
    [InlineData("!")]
    [InlineData("^*")]
    public void Parse_InvalidLine_ThrowsNamingLine(string line)
    {
        CvmfsFormatException ex = Assert.Throws<CvmfsFormatException>(() => ShrinkwrapSpec.Parse("# ok\n" + line + "\n"));

        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IsMatching_IncludeBelowExclusion_MakesExcludedParentsPassThrough()
    {
        ShrinkwrapSpec spec = ShrinkwrapSpec.Parse("!/a/b/c\n/a/b/d\n");

        Assert.True(spec.IsMatching("/a"));
        Assert.True(spec.IsMatching("/a/b"));
        Assert.True(spec.IsMatching("/a/b/d"));
        Assert.False(spec.IsMatching("/a/b/c"));
        Assert.False(spec.IsMatching("/a/b/e"));
    }
}
