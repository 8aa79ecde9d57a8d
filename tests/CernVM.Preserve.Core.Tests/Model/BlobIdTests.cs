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
    private static BlobId WithByte(int index, byte value)
    {
        byte[] digest = new byte[32];
        digest[index] = value;
        return BlobId.FromDigest(digest);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    public void FromDigest_NotThirtyTwoBytes_IsRefused(int length)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => BlobId.FromDigest(new byte[length]));
        Assert.StartsWith("A SHA-256 digest has 32 bytes.", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(23)]
    [InlineData(24)]
    [InlineData(31)]
    public void Equality_IdsDifferingInOneByteAnywhere_AreDifferentAndOrderedByThatByte(int index)
    {
        BlobId zero = BlobId.FromDigest(new byte[32]), one = WithByte(index, 1), two = WithByte(index, 2);

        Assert.False(zero == one);
        Assert.True(zero != one);
        Assert.False(zero.Equals(one));
        Assert.False(zero.Equals((object)one));
        Assert.True(one == WithByte(index, 1));
        Assert.False(one != WithByte(index, 1));
        Assert.True(one.Equals((object)WithByte(index, 1)));
        Assert.Equal(one.GetHashCode(), WithByte(index, 1).GetHashCode());
        Assert.True(zero.CompareTo(one) < 0);
        Assert.True(two.CompareTo(one) > 0);
        Assert.Equal(0, one.CompareTo(WithByte(index, 1)));
        Assert.Equal(one, BlobId.FromDigest(one.ToDigest()));
        Assert.Equal(1, one.ToDigest()[index]);
        Assert.Equal(1, one.ToDigest().Sum(b => b));
    }

    [Fact]
    public void Equals_NotABlobId_IsFalse() => Assert.False(BlobId.Of("abc"u8).Equals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));

    [Fact]
    public void Parse_NotAnId_SaysWhatItGotAndWhatAnIdIs()
    {
        FormatException e = Assert.Throws<FormatException>(() => BlobId.Parse("abc"));
        Assert.Equal("'abc' is not a SHA-256 blob id (64 hex digits).", e.Message);
    }
}
