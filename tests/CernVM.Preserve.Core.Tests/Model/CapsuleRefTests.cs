using Xunit;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Core.Tests.Model;

public class CapsuleRefTests
{
    [Theory]
    [InlineData("aleph-alpha", "aleph-alpha", null)]
    [InlineData("aleph-alpha@v2", "aleph-alpha", 2)]
    [InlineData("sl4.alpha_11.6@12", "sl4.alpha_11.6", 12)]
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
    public void TryParse_InvalidReference_Fails(string text) => Assert.False(CapsuleRef.TryParse(text, out _));

    [Fact]
    public void CapsuleName_LongerThan64_IsRefused()
    {
        Assert.True(CapsuleName.TryParse(new string('a', 64), out _));
        Assert.False(CapsuleName.TryParse(new string('a', 65), out _));
    }

    [Fact]
    public void ToString_WritesTheCanonicalForm() =>
        Assert.Equal("demo@v3", CapsuleRef.Parse("demo@3").ToString());
}
