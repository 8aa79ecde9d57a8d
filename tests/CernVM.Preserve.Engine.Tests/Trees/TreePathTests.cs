using CernVM.Preserve.Engine.Trees;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Trees;

public sealed class TreePathTests
{
    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("/", "")]
    [InlineData("/usr/bin/", "usr/bin")]
    [InlineData("usr/b\\xffn", "usr/b\\xffn")]
    public void Parse_AsUsersWriteIt_GivesTheEntrysPath(string? text, string display)
    {
        Assert.Equal(display, CernVM.Preserve.Core.Model.PathBytes.ToDisplay(TreePath.Parse(text)));
    }
}
