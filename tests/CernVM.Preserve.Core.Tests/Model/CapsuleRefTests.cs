using Xunit;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Core.Tests.Model;

public class CapsuleRefTests
{
    [Theory]
    [InlineData("aleph-alpha", "aleph-alpha", null)]
    [InlineData("aleph-alpha@v2", "aleph-alpha", 2)]
    [InlineData("sl4.alpha_11.6@12", "sl4.alpha_11.6", 12)]
    [InlineData("a@v1", "a", 1)]
    [InlineData("9@1", "9", 1)]
    public void TryParse_ValidReference_GivesNameAndVersion(string text, string name, int? version)
    {
        Assert.True(CapsuleRef.TryParse(text, out CapsuleRef r));
        Assert.Equal(name, r.Name.Value);
        Assert.Equal(version, r.Version);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Aleph")]
    [InlineData("-aleph")]
    [InlineData("aleph@")]
    [InlineData("aleph@v0")]
    [InlineData("aleph@v-1")]
    [InlineData("aleph@vx")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData(null)]
    [InlineData("@v1")]
    [InlineData("aleph@vv1")]
    [InlineData("aleph@+1")]
    [InlineData("aleph@ 1")]
    [InlineData("aleph@v1@v2")]
    [InlineData("aleph@V1")]
    public void TryParse_InvalidReference_Fails(string? text) => Assert.False(CapsuleRef.TryParse(text, out _));

    [Fact]
    public void CapsuleName_LongerThan64_IsRefused()
    {
        Assert.True(CapsuleName.TryParse(new string('a', 64), out _));
        Assert.False(CapsuleName.TryParse(new string('a', 65), out _));
    }

    [Fact]
    public void ToString_WritesTheCanonicalForm() =>
        Assert.Equal("demo@v3", CapsuleRef.Parse("demo@3").ToString());
    [Fact]
    public void Parse_InvalidReference_SaysHowToWriteOne()
    {
        FormatException e = Assert.Throws<FormatException>(() => CapsuleRef.Parse("Demo@3"));
        Assert.Equal($"'Demo@3' is not a capsule reference: write NAME or NAME@vN (for example aleph-alpha@v2); a NAME is {CapsuleName.Rule}.", e.Message);
    }

    [Fact]
    public void ToString_NoVersion_IsTheName() => Assert.Equal("demo", CapsuleRef.Parse("demo").ToString());

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("a.b_c-d")]
    public void CapsuleName_Valid_IsKeptAsWritten(string text)
    {
        Assert.True(CapsuleName.TryParse(text, out CapsuleName name));
        Assert.Equal(text, name.Value);
        Assert.Equal(text, name.ToString());
        Assert.Equal(text, CapsuleName.Parse(text).Value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(".a")]
    [InlineData("_a")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("aé")]
    [InlineData("a\n")]
    public void CapsuleName_Invalid_IsRefused(string? text)
    {
        Assert.False(CapsuleName.TryParse(text, out CapsuleName name));
        Assert.Equal(default, name);
    }

    [Fact]
    public void CapsuleName_Parse_Invalid_SaysTheRule()
    {
        FormatException e = Assert.Throws<FormatException>(() => CapsuleName.Parse("A"));
        Assert.Equal($"'A' is not a capsule name: a name is {CapsuleName.Rule}.", e.Message);
    }

    [Fact]
    public void CapsuleName_Uninitialised_HasNoValue()
    {
        CapsuleName none = default;
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => none.Value);
        Assert.Equal("An uninitialised capsule name.", e.Message);
        Assert.Equal(0, none.GetHashCode());
        Assert.True(none == default(CapsuleName));
        Assert.True(none != CapsuleName.Parse("a"));
        Assert.True(none.CompareTo(CapsuleName.Parse("a")) < 0);
    }

    [Fact]
    public void CapsuleName_Equality_IsOrdinalOnTheText()
    {
        CapsuleName a = CapsuleName.Parse("alpha"), b = CapsuleName.Parse("alpha"), c = CapsuleName.Parse("alpha2");

        Assert.True(a == b);
        Assert.False(a != b);
        Assert.True(a.Equals((object)b));
        Assert.False(a.Equals("alpha"));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a.GetHashCode(), c.GetHashCode());
        Assert.False(a == c);
        Assert.True(a != c);
        Assert.False(a.Equals((object)c));
        Assert.Equal(0, a.CompareTo(b));
        Assert.True(a.CompareTo(c) < 0);
        Assert.True(c.CompareTo(a) > 0);
        Assert.True(CapsuleName.Parse("a-b").CompareTo(CapsuleName.Parse("a.b")) < 0); // '-' 0x2D before '.' 0x2E
        Assert.True(CapsuleName.Parse("a_b").CompareTo(CapsuleName.Parse("a9")) > 0); // '_' 0x5F after '9' 0x39
    }
}
