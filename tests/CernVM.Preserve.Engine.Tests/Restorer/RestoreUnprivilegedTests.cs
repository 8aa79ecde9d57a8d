using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Restorer;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Posix;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Restorer;

/// <summary>
/// What a restore does when not run as root (docs/CLI.md, restore): owners are not set (one RST006 for the whole
/// tree), device nodes are not made (RST002 each), and an extended attribute the system refuses is a warning
/// (RST007), the entry itself restored; as root the same attribute is an error for its entry (RST003). The tests run
/// as root and take the other user's way through the restorer's own switch, so that the Engine's tests cover it,
/// not only the command line's (which runs the tool as nobody with setpriv).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RestoreUnprivilegedTests
{
    // Longer than XATTR_NAME_MAX (255): the kernel refuses it with ERANGE, as root too and on every file system.
    private static readonly string RefusedName = "user." + new string('x', 300);

    private static TreeBuilder Tree()
    {
        var b = new TreeBuilder();
        b.Dir("etc", "750");
        b.File("etc/owned", "owned by 1234");
        b.ChangeOwnerAndMode("etc/owned", 1234, "640");
        b.AddXAttr("etc/owned", "user.kept", "a value"u8.ToArray());
        b.Dir("dev");
        b.Device("dev/null", 1, 3);
        return b;
    }

    [Fact]
    public async Task RestoreAsync_NotRoot_NoOwnersNoDevices_EachSaidOnce_TheRestExact()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        LoadedTree tree = await a.StoreAsync(Tree());

        RestoreResult r = await new TreeRestorer(a.Archive, null).RestoreAsync(tree, new RestoreOptions { Target = a["out"] }, privileged: false, default);

        Assert.False(r.HasErrors, string.Join("\n", r.Problems));
        Assert.Equal([("RST002", "dev/null"), ("RST006", null)], r.Problems.Select(p => (p.Code, p.Path)).Order());
        Assert.Equal(1, r.NotRestored);
        Assert.False(Path.Exists(a["out/dev/null"]));
        FileStatus owned = PosixFs.LStat(PosixFs.FromString(a["out/etc/owned"]));
        Assert.NotEqual(1234u, owned.Uid); // the restoring user's
        Assert.Equal(TreeBuilder.Octal("640"), owned.Mode & 0xFFF);
        Assert.Equal(1_200_000_000, owned.MtimeSeconds);
        XAttr kept = Assert.Single(PosixFs.ReadXAttrs(PosixFs.FromString(a["out/etc/owned"])));
        Assert.Equal(("user.kept", "a value"), (System.Text.Encoding.UTF8.GetString(kept.Name), System.Text.Encoding.UTF8.GetString(kept.Value)));
        Assert.Equal("owned by 1234", await File.ReadAllTextAsync(a["out/etc/owned"]));
    }

    [Theory]
    [InlineData("etc/owned")] // a file's metadata, set through the descriptor its content was written with
    [InlineData("etc")] // a directory's, set by path in the last pass
    public async Task RestoreAsync_AttributeTheSystemRefuses_NotRoot_AWarning_TheEntryRestored(string path)
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        TreeBuilder b = Tree();
        b.AddXAttr(path, RefusedName, "v"u8.ToArray());
        LoadedTree tree = await a.StoreAsync(b);

        RestoreResult r = await new TreeRestorer(a.Archive, null).RestoreAsync(tree, new RestoreOptions { Target = a["out"] }, privileged: false, default);

        Assert.False(r.HasErrors, string.Join("\n", r.Problems));
        RestoreProblem refused = Assert.Single(r.Problems, p => p.Code == "RST007");
        Assert.Equal(path, refused.Path);
        Assert.Contains("extended attribute not restored", refused.Message, StringComparison.Ordinal);
        Assert.Equal(path == "etc" ? TreeBuilder.Octal("750") : TreeBuilder.Octal("640"), PosixFs.LStat(PosixFs.FromString(a["out/" + path])).Mode & 0xFFF);
    }

    [Theory]
    [InlineData("etc/owned")]
    [InlineData("etc")]
    public async Task RestoreAsync_AttributeTheSystemRefuses_Root_AnErrorForTheEntry(string path)
    {
        Assert.True(PosixFs.IsPrivileged, "the test suite runs as root (tools/test.sh)");
        await using TestArchive a = await TestArchive.CreateAsync();
        TreeBuilder b = Tree();
        b.AddXAttr(path, RefusedName, "v"u8.ToArray());
        LoadedTree tree = await a.StoreAsync(b);

        RestoreResult r = await new TreeRestorer(a.Archive, null).RestoreAsync(tree, new RestoreOptions { Target = a["out"] }, privileged: true, default);

        Assert.True(r.HasErrors);
        RestoreProblem failed = Assert.Single(r.Problems, p => p.IsError);
        Assert.Equal(("RST003", path), (failed.Code, failed.Path));
    }
}
