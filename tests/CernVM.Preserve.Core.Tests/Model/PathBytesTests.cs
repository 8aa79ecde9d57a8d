using System.Text;
using Xunit;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Core.Tests.Model;

public class PathBytesTests
{
    [Fact]
    public void ToDisplay_Latin1Bytes_AreEscaped()
    {
        byte[] path = [(byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)'/', 0xFF];
        Assert.Equal("caf\\xe9/\\xff", PathBytes.ToDisplay(path));
    }

    [Fact]
    public void ToDisplay_ValidUtf8_IsKept() => Assert.Equal("café/ü", PathBytes.ToDisplay("café/ü"u8));

    [FsCheck.Xunit.Property]
    public bool FromDisplay_InvertsToDisplay(byte[] path) =>
        PathBytes.FromDisplay(PathBytes.ToDisplay(path)).AsSpan().SequenceEqual(path);

    [Theory]
    [InlineData("a/b/c", true)]
    [InlineData("", true)]
    [InlineData("../etc", false)]
    [InlineData("a/../b", false)]
    [InlineData("a//b", false)]
    [InlineData("/abs", false)]
    [InlineData("a/./b", false)]
    [InlineData("a/b/", false)]
    public void IsSafeRelative_RefusesTraversal(string path, bool safe) =>
        Assert.Equal(safe, PathBytes.IsSafeRelative(System.Text.Encoding.UTF8.GetBytes(path)));

    [Fact]
    public void IsSafeRelative_RefusesNul()
    {
        Assert.False(PathBytes.IsSafeRelative([(byte)'a', 0, (byte)'b']));
        Assert.False(PathBytes.IsSafeRelative([0, (byte)'a']));
    }
    [Theory]
    [InlineData(new byte[] { 0x61, 0x5C, 0x62 }, "a\\\\b")] // a valid path's backslash is doubled
    [InlineData(new byte[] { 0x5C, 0xFF }, "\\\\\\xff")] // and so is one beside an invalid byte
    [InlineData(new byte[] { 0xFF, 0x61, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80, 0x7F }, "\\xffaé😀\u007f")] // whole sequences kept
    [InlineData(new byte[] { 0x61, 0xC3 }, "a\\xc3")] // a sequence cut short at the end
    [InlineData(new byte[] { 0xE2, 0x82, 0x61 }, "\\xe2\\x82a")] // or in the middle
    [InlineData(new byte[] { 0xC0, 0x80 }, "\\xc0\\x80")] // an overlong NUL
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "\\xed\\xa0\\x80")] // a surrogate
    [InlineData(new byte[] { 0xF8, 0x88, 0x80, 0x80, 0x80 }, "\\xf8\\x88\\x80\\x80\\x80")] // five bytes: no such UTF-8
    [InlineData(new byte[] { 0x80, 0x2F, 0xC3, 0xA9 }, "\\x80/é")]
    [InlineData(new byte[] { 0xFF, 0xE2, 0x82, 0xAC }, "\\xff€")]
    public void ToDisplay_InvalidUtf8_EscapesEachByteNotInAWholeSequence(byte[] path, string display)
    {
        Assert.Equal(display, PathBytes.ToDisplay(path));
        Assert.Equal(path, PathBytes.FromDisplay(display));
    }

    [Theory]
    [InlineData("plain/é", new byte[] { 0x70, 0x6C, 0x61, 0x69, 0x6E, 0x2F, 0xC3, 0xA9 })]
    [InlineData("a\\\\b", new byte[] { 0x61, 0x5C, 0x62 })]
    [InlineData("\\x41\\x4a", new byte[] { 0x41, 0x4A })]
    [InlineData("é\\xffé", new byte[] { 0xC3, 0xA9, 0xFF, 0xC3, 0xA9 })]
    [InlineData("a\\x4", new byte[] { 0x61, 0x5C, 0x78, 0x34 })] // too short to be an escape: kept as written
    [InlineData("a\\x", new byte[] { 0x61, 0x5C, 0x78 })]
    [InlineData("a\\", new byte[] { 0x61, 0x5C })]
    [InlineData("\\xzz", new byte[] { 0x5C, 0x78, 0x7A, 0x7A })] // not hex: kept as written
    [InlineData("\\y41", new byte[] { 0x5C, 0x79, 0x34, 0x31 })]
    [InlineData("axffz", new byte[] { 0x61, 0x78, 0x66, 0x66, 0x7A })] // an x after anything but a backslash is text
    [InlineData("\\\\x41", new byte[] { 0x5C, 0x78, 0x34, 0x31 })] // an escaped backslash, then text
    public void FromDisplay_Escapes_AreReadBackAndAnythingElseKept(string display, byte[] path) =>
        Assert.Equal(path, PathBytes.FromDisplay(display));

    [Theory]
    [InlineData("", "b", "b")]
    [InlineData("a", "b", "a/b")]
    [InlineData("a/b", "cd", "a/b/cd")]
    public void Join_ParentAndName_WithOneSlash(string parent, string name, string joined) =>
        Assert.Equal(Encoding.UTF8.GetBytes(joined), PathBytes.Join(Encoding.UTF8.GetBytes(parent), Encoding.UTF8.GetBytes(name)));

    [Theory]
    [InlineData("ls", "ls")]
    [InlineData("usr/bin/ls", "ls")]
    [InlineData("usr/", "")]
    [InlineData("/ls", "ls")]
    [InlineData("", "")]
    public void Name_IsTheLastSegment(string path, string name) =>
        Assert.Equal(name, Encoding.UTF8.GetString(PathBytes.Name(Encoding.UTF8.GetBytes(path))));

    [Theory]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("...")]
    [InlineData("..a/b")]
    [InlineData("a/.b")]
    [InlineData("a/b..")]
    public void IsSafeRelative_DotsThatAreNames_AreSafe(string path) =>
        Assert.True(PathBytes.IsSafeRelative(Encoding.UTF8.GetBytes(path)));

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/..")]
    [InlineData("a/.")]
    [InlineData("/")]
    public void IsSafeRelative_DotSegmentsAlone_AreRefused(string path) =>
        Assert.False(PathBytes.IsSafeRelative(Encoding.UTF8.GetBytes(path)));

    [Fact]
    public void Compare_IsByteOrder()
    {
        Assert.True(PathBytes.Compare("a"u8, "b"u8) < 0);
        Assert.True(PathBytes.Compare("a"u8, "a/"u8) < 0);
        Assert.True(PathBytes.Compare("a/"u8, "a-"u8) > 0);
        Assert.True(PathBytes.Compare([0x7F], [0x80]) < 0);
        Assert.Equal(0, PathBytes.Compare("ab"u8, "ab"u8));
    }

    [Fact]
    public void EqualityComparer_ComparesTheBytes()
    {
        IEqualityComparer<byte[]> c = PathBytes.EqualityComparer;
        Assert.True(c.Equals([1, 2], [1, 2]));
        Assert.False(c.Equals([1, 2], [1, 3]));
        Assert.False(c.Equals([1, 2], [1, 2, 3]));
        Assert.Equal(c.GetHashCode([1, 2]), c.GetHashCode([1, 2]));
        Assert.NotEqual(c.GetHashCode([1, 2]), c.GetHashCode([2, 1]));
        var set = new HashSet<byte[]>(c) { "usr"u8.ToArray() };
        Assert.Contains("usr"u8.ToArray(), set);
    }
}
