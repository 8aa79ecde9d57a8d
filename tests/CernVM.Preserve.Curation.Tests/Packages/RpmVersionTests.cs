using CernVM.Preserve.Curation.Packages;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Packages;

public sealed class RpmVersionTests
{
    private static readonly Arbitrary<string> s_versions =
        Gen.ArrayOf(Gen.Elements("0", "1", "2", "10", "007", "a", "b", "rc", "~", "^", ".", "_", "+", "-"))
            .Select(parts => string.Concat(parts))
            .ToArbitrary();

    // Every case of rpm's own test suite, tests/rpmvercmp.at (rpm-software-management/rpm, the
    // RPMVERCMP(a, b, expected) lines), including the tilde and caret cases.
    [Theory]
    [InlineData("1.0", "1.0", 0)]
    [InlineData("1.0", "2.0", -1)]
    [InlineData("2.0", "1.0", 1)]
    [InlineData("2.0.1", "2.0.1", 0)]
    [InlineData("2.0", "2.0.1", -1)]
    [InlineData("2.0.1", "2.0", 1)]
    [InlineData("2.0.1a", "2.0.1a", 0)]
    [InlineData("2.0.1a", "2.0.1", 1)]
    [InlineData("2.0.1", "2.0.1a", -1)]
    [InlineData("5.5p1", "5.5p1", 0)]
    [InlineData("5.5p1", "5.5p2", -1)]
    [InlineData("5.5p2", "5.5p1", 1)]
    [InlineData("5.5p10", "5.5p10", 0)]
    [InlineData("5.5p1", "5.5p10", -1)]
    [InlineData("5.5p10", "5.5p1", 1)]
    [InlineData("10xyz", "10.1xyz", -1)]
    [InlineData("10.1xyz", "10xyz", 1)]
    [InlineData("xyz10", "xyz10", 0)]
    [InlineData("xyz10", "xyz10.1", -1)]
    [InlineData("xyz10.1", "xyz10", 1)]
    [InlineData("xyz.4", "xyz.4", 0)]
    [InlineData("xyz.4", "8", -1)]
    [InlineData("8", "xyz.4", 1)]
    [InlineData("xyz.4", "2", -1)]
    [InlineData("2", "xyz.4", 1)]
    [InlineData("5.5p2", "5.6p1", -1)]
    [InlineData("5.6p1", "5.5p2", 1)]
    [InlineData("5.6p1", "6.5p1", -1)]
    [InlineData("6.5p1", "5.6p1", 1)]
    [InlineData("6.0.rc1", "6.0", 1)]
    [InlineData("6.0", "6.0.rc1", -1)]
    [InlineData("10b2", "10a1", 1)]
    [InlineData("10a2", "10b2", -1)]
    [InlineData("1.0aa", "1.0aa", 0)]
    [InlineData("1.0a", "1.0aa", -1)]
    [InlineData("1.0aa", "1.0a", 1)]
    [InlineData("10.0001", "10.0001", 0)]
    [InlineData("10.0001", "10.1", 0)]
    [InlineData("10.1", "10.0001", 0)]
    [InlineData("10.0001", "10.0039", -1)]
    [InlineData("10.0039", "10.0001", 1)]
    [InlineData("4.999.9", "5.0", -1)]
    [InlineData("5.0", "4.999.9", 1)]
    [InlineData("20101121", "20101121", 0)]
    [InlineData("20101121", "20101122", -1)]
    [InlineData("20101122", "20101121", 1)]
    [InlineData("2_0", "2_0", 0)]
    [InlineData("2.0", "2_0", 0)]
    [InlineData("2_0", "2.0", 0)]
    [InlineData("a", "a", 0)]
    [InlineData("a+", "a+", 0)]
    [InlineData("a+", "a_", 0)]
    [InlineData("a_", "a+", 0)]
    [InlineData("+a", "+a", 0)]
    [InlineData("+a", "_a", 0)]
    [InlineData("_a", "+a", 0)]
    [InlineData("+_", "+_", 0)]
    [InlineData("_+", "+_", 0)]
    [InlineData("_+", "_+", 0)]
    [InlineData("+", "_", 0)]
    [InlineData("_", "+", 0)]
    [InlineData("1.0~rc1", "1.0~rc1", 0)]
    [InlineData("1.0~rc1", "1.0", -1)]
    [InlineData("1.0", "1.0~rc1", 1)]
    [InlineData("1.0~rc1", "1.0~rc2", -1)]
    [InlineData("1.0~rc2", "1.0~rc1", 1)]
    [InlineData("1.0~rc1~git123", "1.0~rc1~git123", 0)]
    [InlineData("1.0~rc1~git123", "1.0~rc1", -1)]
    [InlineData("1.0~rc1", "1.0~rc1~git123", 1)]
    [InlineData("1.0^", "1.0^", 0)]
    [InlineData("1.0^", "1.0", 1)]
    [InlineData("1.0", "1.0^", -1)]
    [InlineData("1.0^git1", "1.0^git1", 0)]
    [InlineData("1.0^git1", "1.0", 1)]
    [InlineData("1.0", "1.0^git1", -1)]
    [InlineData("1.0^git1", "1.0^git2", -1)]
    [InlineData("1.0^git2", "1.0^git1", 1)]
    [InlineData("1.0^git1", "1.01", -1)]
    [InlineData("1.01", "1.0^git1", 1)]
    [InlineData("1.0^20160101", "1.0^20160101", 0)]
    [InlineData("1.0^20160101", "1.0.1", -1)]
    [InlineData("1.0.1", "1.0^20160101", 1)]
    [InlineData("1.0^20160101^git1", "1.0^20160101^git1", 0)]
    [InlineData("1.0^20160102", "1.0^20160101^git1", 1)]
    [InlineData("1.0^20160101^git1", "1.0^20160102", -1)]
    [InlineData("1.0~rc1^git1", "1.0~rc1^git1", 0)]
    [InlineData("1.0~rc1^git1", "1.0~rc1", 1)]
    [InlineData("1.0~rc1", "1.0~rc1^git1", -1)]
    [InlineData("1.0^git1~pre", "1.0^git1~pre", 0)]
    [InlineData("1.0^git1", "1.0^git1~pre", 1)]
    [InlineData("1.0^git1~pre", "1.0^git1", -1)]
    public void Compare_RpmTestSuiteVector_MatchesRpmvercmp(string a, string b, int expected)
    {
        Assert.Equal(expected, RpmVersion.Compare(a, b));
    }

    [Theory]
    [InlineData("1:1.0-1", "2.0-1", 1)]
    [InlineData("1.0-1", "0:1.0-1", 0)]
    [InlineData("1.0", "1.0-5", 0)]
    [InlineData("1.0-5", "1.0-6", -1)]
    [InlineData("2:1.0-1", "10:0.1-1", -1)]
    public void Compare_Evr_EpochFirstMissingEpochIsZeroReleaseOnlyWhenBoth(string a, string b, int expected)
    {
        Assert.Equal(expected, RpmVersion.Compare(Evr.Parse(a), Evr.Parse(b)));
    }

    [Theory]
    [InlineData("1:3.0.7-27.el9", 1, "3.0.7", "27.el9")]
    [InlineData("3.0.7-27.el9", null, "3.0.7", "27.el9")]
    [InlineData("5.2.15", null, "5.2.15", null)]
    [InlineData("0:1.0", 0, "1.0", null)]
    [InlineData("a:1.0-1", null, "a:1.0", "1")]
    public void Parse_RpmEvr_SplitsLikeRpm(string text, int? epoch, string version, string? release)
    {
        Evr evr = Evr.Parse(text);

        Assert.Equal(new Evr(epoch, version, release), evr);
        Assert.Equal(text, evr.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("1:")]
    [InlineData("-1")]
    [InlineData("99999999999:1.0")]
    public void TryParse_InvalidEvr_ReturnsFalse(string text)
    {
        Assert.False(Evr.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Evr.Parse(text));
    }

    [Property]
    public Property Compare_AnyTwoVersions_IsAntisymmetric() =>
        Prop.ForAll(s_versions, s_versions, (a, b) => RpmVersion.Compare(a, b) == -RpmVersion.Compare(b, a));

    [Property]
    public Property Compare_AnyVersionWithItself_IsZero() =>
        Prop.ForAll(s_versions, a => RpmVersion.Compare(a, new string(a.AsSpan())) == 0);

    [Property]
    public Property ParseToString_AnyEvr_RoundTrips() =>
        Prop.ForAll(
            Gen.Choose(0, 5).ToArbitrary(),
            s_versions,
            (epoch, version) =>
            {
                string v = "1" + version.Replace("-", string.Empty, StringComparison.Ordinal).Replace(":", string.Empty, StringComparison.Ordinal);
                var evr = new Evr(epoch, v, "3.el9");
                return Evr.Parse(evr.ToString()) == evr;
            });
}
