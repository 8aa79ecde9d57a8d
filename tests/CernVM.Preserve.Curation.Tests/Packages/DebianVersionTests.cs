using CernVM.Preserve.Curation.Packages;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Packages;

public sealed class DebianVersionTests
{
    private static readonly Arbitrary<string> s_versions =
        Gen.ArrayOf(Gen.Elements("0", "1", "9", "10", "007", "a", "B", "z", "~", ".", "+", "-", ":"))
            .Select(parts => "1" + string.Concat(parts))
            .ToArbitrary();

    // The comparison table of dpkg's scripts/t/Dpkg_Version.t (guillemj/dpkg), which dpkg checks against
    // both Dpkg::Version and dpkg --compare-versions.
    [Theory]
    [InlineData("1.0-1", "2.0-2", -1)]
    [InlineData("2.2~rc-4", "2.2-1", -1)]
    [InlineData("2.2-1", "2.2~rc-4", 1)]
    [InlineData("1.0000-1", "1.0-1", 0)]
    [InlineData("1", "0:1", 0)]
    [InlineData("0", "0:0-0", 0)]
    [InlineData("2:2.5", "1:7.5", 1)]
    [InlineData("1:0foo", "0foo", 1)]
    [InlineData("0:0foo", "0foo", 0)]
    [InlineData("0foo", "0foo", 0)]
    [InlineData("0foo-", "0foo", 0)]
    [InlineData("0foo-", "0foo-0", 0)]
    [InlineData("0foo", "0fo", 1)]
    [InlineData("0foo-", "0foo+", -1)]
    [InlineData("0foo~1", "0foo", -1)]
    [InlineData("0foo~foo+Bar", "0foo~foo+bar", -1)]
    [InlineData("0foo~~", "0foo~", -1)]
    [InlineData("1~", "1", -1)]
    [InlineData("12345+that-really-is-some-ver-0", "12345+that-really-is-some-ver-10", -1)]
    [InlineData("0foo-0", "0foo-01", -1)]
    [InlineData("0foo.bar", "0foobar", 1)]
    [InlineData("0foo.bar", "0foo1bar", 1)]
    [InlineData("0foo.bar", "0foo0bar", 1)]
    [InlineData("0foo1bar-1", "0foobar-1", -1)]
    [InlineData("0foo2.0", "0foo2", 1)]
    [InlineData("0foo2.0.0", "0foo2.10.0", -1)]
    [InlineData("0foo2.0", "0foo2.0.0", -1)]
    [InlineData("0foo2.0", "0foo2.10", -1)]
    [InlineData("0foo2.1", "0foo2.10", -1)]
    [InlineData("1.09", "1.9", 0)]
    [InlineData("1.0.8+nmu1", "1.0.8", 1)]
    [InlineData("3.11", "3.10+nmu1", 1)]
    [InlineData("0.9j-20080306-4", "0.9i-20070324-2", 1)]
    [InlineData("1.2.0~b7-1", "1.2.0~b6-1", 1)]
    [InlineData("1.011-1", "1.06-2", 1)]
    [InlineData("0.0.9+dfsg1-1", "0.0.8+dfsg1-3", 1)]
    [InlineData("4.6.99+svn6582-1", "4.6.99+svn6496-1", 1)]
    [InlineData("53", "52", 1)]
    [InlineData("0.9.9~pre122-1", "0.9.9~pre111-1", 1)]
    [InlineData("2:2.3.2-2+lenny2", "2:2.3.2-2", 1)]
    [InlineData("1:3.8.1-1", "3.8.GA-1", 1)]
    [InlineData("1.0.1+gpl-1", "1.0.1-2", 1)]
    [InlineData("1a", "1000a", -1)]
    [InlineData("-0.6.5", "0.9.1", -1)]
    public void Compare_DpkgTestSuiteVector_MatchesDpkg(string a, string b, int expected)
    {
        Assert.Equal(expected, Math.Sign(DebianVersion.Compare(a, b)));
        Assert.Equal(-expected, Math.Sign(DebianVersion.Compare(b, a)));
    }

    // lib/dpkg/t/t-version.c, test_version_compare: DPKG_VERSION_OBJECT(epoch, version, revision) pairs.
    [Theory]
    [InlineData(0, "0", "0", 0, "0", "0", 0)]
    [InlineData(0, "0", "00", 0, "00", "0", 0)]
    [InlineData(1, "2", "3", 1, "2", "3", 0)]
    [InlineData(0, "0", "0", 1, "0", "0", -1)]
    [InlineData(0, "a", "0", 0, "b", "0", -1)]
    [InlineData(0, "0", "a", 0, "0", "b", -1)]
    [InlineData(0, "1", "1", 0, "2", "1", -1)]
    [InlineData(0, "1", "1", 0, "1", "2", -1)]
    public void Compare_DpkgVersionObjects_MatchesTVersion(int ea, string va, string ra, int eb, string vb, string rb, int expected)
    {
        var a = new DebianVersion(ea, va, ra);
        var b = new DebianVersion(eb, vb, rb);

        Assert.Equal(expected, Math.Sign(DebianVersion.Compare(a, b)));
        Assert.Equal(-expected, Math.Sign(b.CompareTo(a)));
    }

    // lib/dpkg/t/t-version.c, test_version_parse: valid strings and the parts parseversion gives.
    [Theory]
    [InlineData("0", 0, "0", "")]
    [InlineData("0:0", 0, "0", "")]
    [InlineData("0:0-", 0, "0", "")]
    [InlineData("0:0-0", 0, "0", "0")]
    [InlineData("0:0.0-0.0", 0, "0.0", "0.0")]
    [InlineData("1:0", 1, "0", "")]
    [InlineData("5:1", 5, "1", "")]
    [InlineData("0:0-0-0", 0, "0-0", "0")]
    [InlineData("0:0-0-0-0", 0, "0-0-0", "0")]
    [InlineData("0:0:0-0", 0, "0:0", "0")]
    [InlineData("0:0:0:0-0", 0, "0:0:0", "0")]
    [InlineData("0:0:0-0-0", 0, "0:0-0", "0")]
    [InlineData("0:0-0:0-0", 0, "0-0:0", "0")]
    [InlineData("0:09azAZ.-+~:-0", 0, "09azAZ.-+~:", "0")]
    [InlineData("0:0-azAZ09.+~", 0, "0", "azAZ09.+~")]
    [InlineData("  \t0:0-1", 0, "0", "1")]
    [InlineData("0:0-1\t  ", 0, "0", "1")]
    [InlineData("\t  0:0-1  \t", 0, "0", "1")]
    public void Parse_ValidVersion_GivesDpkgParts(string text, int epoch, string upstream, string revision)
    {
        DebianVersion v = DebianVersion.Parse(text);

        Assert.Equal(0, DebianVersion.Compare(new DebianVersion(epoch, upstream, revision), v));
        Assert.Equal(upstream, v.Upstream);
        Assert.Equal(revision, v.Revision);
    }

    // lib/dpkg/t/t-version.c, test_version_parse: strings parseversion rejects.
    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("0:")]
    [InlineData("0:0 0-1")]
    [InlineData("-1:0-1")]
    [InlineData("999999999999999999999999:0-1")]
    [InlineData("a:0-0")]
    [InlineData("A:0-0")]
    [InlineData("-0")]
    [InlineData("0:-0")]
    [InlineData("0:abc3-0")]
    [InlineData("0:0-0:0")]
    public void TryParse_InvalidVersion_ReturnsFalse(string text)
    {
        Assert.False(DebianVersion.TryParse(text, out _));
        Assert.Throws<FormatException>(() => DebianVersion.Parse(text));
    }

    [Fact]
    public void TryParse_InvalidCharacters_RejectedInUpstreamAndRevision()
    {
        foreach (char c in "!#@$%&/|\\<>()[]{};,_=*^'")
        {
            Assert.False(DebianVersion.TryParse($"0:0{c}-0", out _), $"upstream with '{c}'");
            Assert.False(DebianVersion.TryParse($"0:0-0{c}", out _), $"revision with '{c}'");
        }

        Assert.False(DebianVersion.TryParse("0:0-0:", out _));
    }

    [Theory]
    [InlineData("1:2.3-4")]
    [InlineData("2.36-9+deb12u14")]
    [InlineData("1.0")]
    public void ToString_ParsedVersion_RoundTrips(string text)
    {
        Assert.Equal(text, DebianVersion.Parse(text).ToString());
    }

    [Property]
    public Property Compare_AnyTwoVersions_IsAntisymmetric() =>
        Prop.ForAll(s_versions, s_versions, (a, b) => Math.Sign(DebianVersion.Compare(a, b)) == -Math.Sign(DebianVersion.Compare(b, a)));

    [Property]
    public Property Compare_AnyVersionWithItself_IsZero() =>
        Prop.ForAll(s_versions, a => DebianVersion.Compare(a, new string(a.AsSpan())) == 0);

    [Property]
    public Property Compare_AnyThreeVersions_IsTransitive() =>
        Prop.ForAll(s_versions, s_versions, s_versions, (a, b, c) =>
        {
            string[] sorted = [a, b, c];
            Array.Sort(sorted, DebianVersion.Compare);
            return DebianVersion.Compare(sorted[0], sorted[1]) <= 0
                && DebianVersion.Compare(sorted[1], sorted[2]) <= 0
                && DebianVersion.Compare(sorted[0], sorted[2]) <= 0;
        });
}
