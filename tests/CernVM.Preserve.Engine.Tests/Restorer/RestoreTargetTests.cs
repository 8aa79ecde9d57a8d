using CernVM.Preserve.Core;
using CernVM.Preserve.Engine.Restorer;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Restorer;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RestoreTargetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cvmp-target-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Prepare_DanglingSymlink_IsRefusedAsNotADirectory()
    {
        string link = Path.Combine(_dir, "link");
        File.CreateSymbolicLink(link, Path.Combine(_dir, "nowhere"));

        PreserveException e = Assert.Throws<PreserveException>(() => RestoreTarget.Prepare(link));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Equal($"{link} exists and is not a directory.", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "nowhere")));
    }

    [Fact]
    public void Prepare_BelowAFile_CannotBeCreated()
    {
        File.WriteAllText(Path.Combine(_dir, "file"), "x");
        string target = Path.Combine(_dir, "file", "out");

        PreserveException e = Assert.Throws<PreserveException>(() => RestoreTarget.Prepare(target));

        Assert.Equal(FailureKind.Environment, e.Kind);
        Assert.StartsWith($"{target}: cannot create the directory (", e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(e.InnerException);
    }

    [Fact]
    public void Workers_NotGiven_IsOnePerProcessor()
    {
        Assert.Equal(Math.Max(1, Environment.ProcessorCount), new RestoreOptions { Target = _dir }.Workers);
    }
}
