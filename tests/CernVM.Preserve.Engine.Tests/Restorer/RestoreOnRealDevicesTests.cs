using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Restorer;
using CernVM.Preserve.Engine.Trees;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Restorer;

/// <summary>
/// A restore onto file systems that cannot hold what the tree has, mounted by the test (mounting needs root, as
/// the store's full-device tests do): a device too small for a file ends the restore on an environment error naming
/// the file; a file system without extended attributes (ramfs) gets everything else, each attribute left out
/// reported as a warning, through both ways metadata is set (a file's descriptor, a directory's or a link's path).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RestoreOnRealDevicesTests : IDisposable
{
    private readonly string _mount = Directory.CreateTempSubdirectory("cvmp-device-").FullName;
    private bool _mounted;

    public void Dispose()
    {
        if (_mounted)
        {
            Run("umount", _mount);
        }

        Directory.Delete(_mount);
    }

    private void Mount(string type, string options)
    {
        Run("mount", "-t", type, "-o", options, type, _mount);
        _mounted = true;
    }

    private static void Run(string file, params string[] args)
    {
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: exit {p.ExitCode}: {err}");
    }

    [Theory]
    [InlineData(false)] // a file that is a blob of its own
    [InlineData(true)] // small files bundled, together larger than the device
    public async Task RestoreAsync_DeviceTooSmall_EnvironmentErrorNamingTheFile(bool bundled)
    {
        Mount("tmpfs", "size=1m");
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.Dir("data");
        var random = new Random(7);
        if (bundled)
        {
            b.Bundle([.. Enumerable.Range(0, 8).Select(i => ($"data/part{i}", new string((char)('a' + i), 200 * 1024)))]);
        }
        else
        {
            byte[] big = new byte[3 * 1024 * 1024];
            random.NextBytes(big);
            b.File("data/big", big);
        }

        LoadedTree tree = await a.StoreAsync(b);

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() =>
            new TreeRestorer(a.Archive, null).RestoreAsync(tree, new RestoreOptions { Target = Path.Combine(_mount, "out") }, default));

        Assert.Equal(FailureKind.Environment, e.Kind);
        Assert.Matches(@"^" + System.Text.RegularExpressions.Regex.Escape(Path.Combine(_mount, "out", "data")) + @"/(big|part\d): the disk is full \(", e.Message);
    }

    [Fact]
    public async Task RestoreAsync_NoInodeLeftForTheDirectories_EnvironmentErrorAtOnce()
    {
        // The first pass makes the directories and the empty or sparse files: a file system out of inodes (tmpfs
        // with a handful) fails a mkdir with ENOSPC, which ends the restore as a full disk does, not as one
        // "entry not restored" per directory left.
        Mount("tmpfs", "size=1m,nr_inodes=8");
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        for (int i = 0; i < 20; i++)
        {
            b.Dir($"d{i:00}");
        }

        LoadedTree tree = await a.StoreAsync(b);

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() =>
            new TreeRestorer(a.Archive, null).RestoreAsync(tree, new RestoreOptions { Target = Path.Combine(_mount, "out") }, default));

        Assert.Equal(FailureKind.Environment, e.Kind);
        Assert.StartsWith(Path.Combine(_mount, "out") + ": the disk is full (", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestoreAsync_NoExtendedAttributesOnTheTarget_EverythingElseRestored_EachAttributeAWarning()
    {
        Mount("ramfs", "mode=755");
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.Dir("d");
        b.AddXAttr("d", "user.dir", "on the directory"u8.ToArray());
        b.File("d/f", "content");
        b.AddXAttr("d/f", "user.file", "on the file"u8.ToArray());
        b.Symlink("d/l", "f");
        b.AddXAttr("d/l", "trusted.link", "on the link"u8.ToArray());
        LoadedTree tree = await a.StoreAsync(b);
        string target = Path.Combine(_mount, "out");

        RestoreResult r = await new TreeRestorer(a.Archive, null).RestoreAsync(tree, new RestoreOptions { Target = target }, default);

        Assert.False(r.HasErrors, string.Join("\n", r.Problems));
        Assert.Equal(
            [("RST007", "d"), ("RST007", "d/f"), ("RST007", "d/l")],
            r.Problems.Select(p => (p.Code, p.Path)).Order());
        Assert.All(r.Problems, p => Assert.Contains("extended attribute not restored", p.Message, StringComparison.Ordinal));
        Assert.Equal("content", await File.ReadAllTextAsync(Path.Combine(target, "d/f")));
        Assert.Equal("f", new FileInfo(Path.Combine(target, "d/l")).LinkTarget);
        Assert.Equal(
            TreeBuilder.Octal("644"),
            (int)(Posix.PosixFs.LStat(Posix.PosixFs.FromString(Path.Combine(target, "d/f"))).Mode & 0xFFF));
    }
}
