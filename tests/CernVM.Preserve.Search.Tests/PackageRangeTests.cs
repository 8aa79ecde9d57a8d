using CernVM.Preserve.Cli.Tests;
using Xunit;

namespace CernVM.Preserve.Search.Tests;

/// <summary>Ranges parsed with the column of each error, and compared as rpm and dpkg themselves compare (their own tools are the oracle).</summary>
public sealed class PackageRangeTests
{
    [Theory]
    [InlineData("openssl<", 9, "a version is expected")]
    [InlineData("<0.9.8e", 1, "a package name is expected")]
    [InlineData("openssl<>1", 8, "'<>' is not a comparison")]
    [InlineData("glibc>=2.3;<2.4", 11, "';'")]
    [InlineData("glibc>=2.3,", 12, "a comparison is expected")]
    [InlineData("glibc>=x:2.3", 8, "is not a version")]
    [InlineData("open ssl", 5, "no spaces")]
    [InlineData("glibc>=2.3,<2.4-", 13, "is not a version")]
    public void Parse_BadRange_SaysWhereAndWhy(string text, int column, string reason)
    {
        QuerySyntaxException e = Assert.Throws<QuerySyntaxException>(() => PackageRange.Parse(text));
        Assert.Equal(column, e.Column);
        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
        Assert.Equal(Core.FailureKind.Usage, e.Kind);
    }

    [Fact]
    public void Parse_Ranges()
    {
        Assert.Equal(new PackageRange("openssl", []), PackageRange.Parse("openssl"), RangeComparer.Instance);
        PackageRange r = PackageRange.Parse("glibc>=2.3,<2.4");
        Assert.Equal("glibc", r.Name);
        Assert.Equal([new VersionBound(Curation.Packages.RequirementComparison.GreaterOrEqual, "2.3"), new VersionBound(Curation.Packages.RequirementComparison.Less, "2.4")], r.Bounds);
        Assert.Equal("glibc>=2.3,<2.4", r.ToString());
    }

    private sealed class RangeComparer : IEqualityComparer<PackageRange>
    {
        public static RangeComparer Instance { get; } = new();

        public bool Equals(PackageRange? x, PackageRange? y) => x!.Name == y!.Name && x.Bounds.SequenceEqual(y.Bounds);

        public int GetHashCode(PackageRange obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Pairs => new()
    {
        { "1.0~rc1", "1.0" }, { "1.0^post1", "1.0" }, { "1.0~rc1", "1.0~rc2" }, { "1.0^1", "1.0.1" }, { "1.0~", "1.0" },
        { "2.34", "2.4" }, { "1.1.1k", "1.1.1l" }, { "1:1.0", "2.0" }, { "0:1.0", "1.0" }, { "1.0a", "1.0" }, { "1.0-1", "1.0-1~bpo1" },
        { "2.36-9+deb12u4", "2.36" }, { "2.36-9+deb12u4", "2.36^" }, { "2.36-9+deb12u4", "2.36~" }, { "1.0+b1", "1.0" },
    };

    /// <summary>dpkg --compare-versions is the oracle for dpkg rules.</summary>
    [Theory]
    [MemberData(nameof(Pairs))]
    public void Matches_DpkgRules_AsDpkgCompares(string installed, string bound)
    {
        int expected = CliRunner.Sh($"dpkg --compare-versions '{installed}' lt '{bound}' && echo -1 || (dpkg --compare-versions '{installed}' eq '{bound}' && echo 0 || echo 1)").Trim() switch
        {
            "-1" => -1,
            "0" => 0,
            _ => 1,
        };
        (int? epoch, string version, string release) = Split(installed);
        var row = new PackageRow("x", 1, "dpkg", "p", epoch, version, release, "amd64");
        Assert.Equal(expected < 0, PackageRange.Parse($"p<{bound}").Matches(row));
        Assert.Equal(expected == 0, PackageRange.Parse($"p={bound}").Matches(row));
        Assert.Equal(expected > 0, PackageRange.Parse($"p>{bound}").Matches(row));
    }

    /// <summary>rpm's own rpm.vercmp (through its Lua interpreter) is the oracle for rpm rules, on versions with a release on both sides.</summary>
    [Theory]
    [MemberData(nameof(Pairs))]
    public void Matches_RpmRules_AsRpmCompares(string installed, string bound)
    {
        if (installed.Contains('+', StringComparison.Ordinal) || bound.Contains('+', StringComparison.Ordinal) || installed.Contains(':', StringComparison.Ordinal))
        {
            return; // Debian-only spellings: rpm's vercmp has no epoch argument and '+' is a separator for it
        }

        (_, string iv, string ir) = Split(installed);
        (int? be, string bv, string br) = Split(bound);
        string lua = br.Length > 0 && ir.Length > 0
            ? $"local c = rpm.vercmp('{iv}', '{bv}'); if c == 0 then c = rpm.vercmp('{ir}', '{br}') end; print(c)"
            : $"print(rpm.vercmp('{iv}', '{bv}'))";
        int rpmSays = int.Parse(CliRunner.Sh($"rpm --eval \"%{{lua: {lua}}}\"").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        if ((be ?? 0) > 0)
        {
            rpmSays = -1; // the installed side has epoch 0
        }

        var row = new PackageRow("x", 1, "rpm-sqlite", "p", null, iv, ir, "x86_64");
        Assert.Equal(rpmSays < 0, PackageRange.Parse($"p<{bound}").Matches(row));
        Assert.Equal(rpmSays == 0, PackageRange.Parse($"p={bound}").Matches(row));
        Assert.Equal(rpmSays > 0, PackageRange.Parse($"p>{bound}").Matches(row));
    }

    private static (int? Epoch, string Version, string Release) Split(string evr)
    {
        int? epoch = null;
        int colon = evr.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            epoch = int.Parse(evr[..colon], System.Globalization.CultureInfo.InvariantCulture);
            evr = evr[(colon + 1)..];
        }

        int dash = evr.LastIndexOf('-');
        return dash < 0 ? (epoch, evr, "") : (epoch, evr[..dash], evr[(dash + 1)..]);
    }
}
