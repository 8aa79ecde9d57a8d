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
    public void IsSafeRelative_RefusesNul() => Assert.False(PathBytes.IsSafeRelative([(byte)'a', 0, (byte)'b']));
}
