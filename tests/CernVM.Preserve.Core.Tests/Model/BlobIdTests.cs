using Xunit;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Core.Tests.Model;

public class BlobIdTests
{
    [Fact]
    public void Of_EmptyInput_IsTheSha256OfNothing()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", BlobId.Of([]).ToString());
    }

    [Fact]
    public void Key_SplitsOnTheFirstTwoDigits()
    {
        BlobId id = BlobId.Of("abc"u8);
        Assert.Equal("blobs/sha256/ba/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", id.Key);
    }

    [Theory]
    [InlineData("")]
    [InlineData("xyz")]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a")]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015adx")]
    [InlineData("zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    public void TryParse_NotSixtyFourHexDigits_Fails(string text)
    {
        Assert.False(BlobId.TryParse(text, out _));
        Assert.Throws<FormatException>(() => BlobId.Parse(text));
    }

    [Fact]
    public void Parse_UpperCase_GivesTheSameIdAndPrintsLowerCase()
    {
        BlobId a = BlobId.Parse("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
        Assert.Equal(BlobId.Of("abc"u8), a);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", a.ToString());
    }

    [FsCheck.Xunit.Property]
    public bool ToStringThenParse_GivesTheSameId(byte[] content)
    {
        BlobId id = BlobId.Of(content);
        return BlobId.Parse(id.ToString()) == id && BlobId.FromDigest(id.ToDigest()) == id;
    }

    [FsCheck.Xunit.Property]
    public bool CompareTo_AgreesWithOrdinalOrderOfTheHexText(byte[] a, byte[] b)
    {
        BlobId x = BlobId.Of(a), y = BlobId.Of(b);
        return Math.Sign(x.CompareTo(y)) == Math.Sign(string.CompareOrdinal(x.ToString(), y.ToString()));
    }
}
