using CernVM.Preserve.Engine.Restorer;
using CernVM.Preserve.Engine.Trees;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Restorer;

/// <summary>
/// An entry the kernel refuses to make, as root too, is an error for that entry (RST003) and the restore goes on with
/// the rest: a symlink whose target is longer than the kernel takes (PATH_MAX, 4096 bytes), a file or a hard link
/// whose name is (NAME_MAX, 255 bytes), both ENAMETOOLONG, which a catalog may hold (another system's, or a hand-made
/// archive). The same calls report any other refusal of the kernel the same way.
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

    [Fact]
    public async Task RestoreAsync_NamesLongerThanTheKernelTakes_AnErrorForEach_TheRestRestored()
    {
        // A name of more than 255 bytes (NAME_MAX): a file written whole with its content, and a hard link, are each
        // refused by the kernel (ENAMETOOLONG); a hard link to the file that could not be made says so, once.
        string longFile = new('f', 300), longLink = new('h', 300);
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.File("ok", "kept");
        b.File(longFile, "never written");
        b.HardLink("again", longFile);
        b.HardLink(longLink, "ok");
        LoadedTree tree = await a.StoreAsync(b);

        RestoreResult r = await new TreeRestorer(a.Archive, null).RestoreAsync(tree, new RestoreOptions { Target = a["out"] }, default);

        Assert.Equal(
            [("RST003", longFile), ("RST003", longLink), ("RST005", "again")],
            r.Problems.Select(p => (p.Code, p.Path)).Order());
        Assert.All(r.Problems, p => Assert.True(p.IsError));
        Assert.Contains("name too long", r.Problems.First(p => p.Path == longFile).Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("name too long", r.Problems.First(p => p.Path == longLink).Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("kept", await File.ReadAllTextAsync(a["out/ok"]));
        Assert.Equal(["ok"], Directory.EnumerateFileSystemEntries(a["out"]).Select(Path.GetFileName));
    }
}
