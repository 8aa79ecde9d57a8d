using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Tests.Boot;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Engine;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Trees;

/// <summary>RootfsTree is the one way a root file system's tree source is chosen: a directory, a tarball, an image.</summary>
public sealed class RootfsTreeTests : IDisposable
{
    private readonly Packages.TemporaryDirectory _work = new();
    private readonly List<IDisposable> _resources = [];

    public void Dispose()
    {
        _resources.ForEach(r => r.Dispose());
        _work.Dispose();
    }

    [Fact]
    public void Open_Directory_WalksItWithTheExclusionsAndWithoutTheArchive()
    {
        Shell.Run("mkdir -p root/etc root/archive root/tmp && echo x > root/etc/a && echo y > root/tmp/b.o", _work.Path);
        string root = Path.Combine(_work.Path, "root");

        ITreeSource tree = RootfsTree.Open(root, ["*.o"], [Path.Combine(root, "archive")], "--rootfs root", _resources, CancellationToken.None);

        Assert.IsType<DirectoryTreeSource>(tree);
        Dictionary<string, TreeEntry> entries = tree.Walk(CancellationToken.None).ToDictionary(e => e.DisplayPath);
        Assert.Equal(EntryState.Captured, entries["etc/a"].State);
        Assert.Equal(EntryState.Excluded, entries["tmp/b.o"].State);
        Assert.Equal("the archive itself", entries["archive"].Note);
        Assert.Empty(_resources);
    }

    [Fact]
    public void Open_Tarball_GivesTheSameEntriesAsTheDirectoryAndOpensTheirContent()
    {
        Shell.Run("mkdir -p root/etc && printf hello > root/etc/a && ln -s a root/etc/l && tar --format=posix -C root -czf root.tar.gz .", _work.Path);

        ITreeSource tree = RootfsTree.Open(Path.Combine(_work.Path, "root.tar.gz"), [], [], "--rootfs root.tar.gz", _resources, CancellationToken.None);

        Assert.IsType<TarTreeSource>(tree);
        List<TreeEntry> entries = tree.Walk(CancellationToken.None);
        Assert.Equal(["", "etc", "etc/a", "etc/l"], entries.Select(e => e.DisplayPath));
        Assert.Equal([1L, 2, 3, 4], entries.Select(e => e.Id));
        TreeEntry a = entries.Single(e => e.DisplayPath == "etc/a");
        using IFileContent content = tree.Open(a);
        var buffer = new byte[16];
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(buffer, 0, content.Read(buffer, 0)));
        Assert.Contains(_resources, r => ReferenceEquals(r, tree));
    }

    [Fact]
    public void Open_NothingThere_UsageErrorNamingTheLabelAndThePath()
    {
        string missing = Path.Combine(_work.Path, "nowhere");

        PreserveException e = Assert.Throws<PreserveException>(() => RootfsTree.Open(missing, [], [], "spec.yaml: os.rootfs 'nowhere'", _resources, CancellationToken.None));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Equal($"spec.yaml: os.rootfs 'nowhere' ({missing}) does not exist.", e.Message);
    }
}
