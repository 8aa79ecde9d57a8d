using CernVM.Preserve.Engine.Restorer;
using CernVM.Preserve.Engine.Trees;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Restorer;

/// <summary>
/// An entry the kernel refuses to make, as root too, is an error for that entry (RST003) and the restore goes on with
/// the rest: here a symlink whose target is longer than the kernel takes (PATH_MAX, 4096 bytes: ENAMETOOLONG), which
/// a catalog may hold (another system's link, or a hand-made archive).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RestoreRefusedByTheKernelTests
{
    [Fact]
    public async Task RestoreAsync_SymlinkTargetTooLong_AnErrorForThatLink_TheRestRestored()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.File("kept", "kept");
        b.Symlink("far", new string('x', 5000));
        b.Symlink("near", "kept");
        LoadedTree tree = await a.StoreAsync(b);

        RestoreResult r = await new TreeRestorer(a.Archive, null).RestoreAsync(tree, new RestoreOptions { Target = a["out"] }, default);

        RestoreProblem refused = Assert.Single(r.Problems, p => p.IsError);
        Assert.Equal(("RST003", "far"), (refused.Code, refused.Path));
        Assert.Contains("name too long", refused.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(Path.Exists(a["out/far"]) || new FileInfo(a["out/far"]).LinkTarget is not null);
        Assert.Equal("kept", new FileInfo(a["out/near"]).LinkTarget);
        Assert.Equal("kept", await File.ReadAllTextAsync(a["out/kept"]));
        Assert.Equal(1, r.NotRestored);
    }
}
