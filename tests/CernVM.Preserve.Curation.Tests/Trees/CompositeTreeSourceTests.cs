using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Trees;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Trees;

/// <summary>
/// A layer mounted below a directory that the base tree did not capture (a curator's exclusion, a pseudo
/// file system's mount point): nothing is listed below a directory that was not captured (FORMAT.md §6.2
/// state), so that directory is recorded as a captured one holding the mount point, with CAP006.
/// </summary>
public sealed class CompositeTreeSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cvmp-composite-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Tree(string name, params string[] files)
    {
        string root = Path.Combine(_dir, name);
        foreach (string f in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, f))!);
            File.WriteAllText(Path.Combine(root, f), f);
        }

        return root;
    }

    [Fact]
    public void Walk_LayerBelowAnExcludedDirectory_RecordsThatDirectoryAsCapturedWithCap006()
    {
        string root = Tree("base", "etc/os-release", "opt/vendor/big.bin");
        var tree = new CompositeTreeSource(
            new DirectoryTreeSource(root, ["/opt"]),
            [new TreeLayer("/opt/sw/alpha", new DirectoryTreeSource(Tree("layer", "bin/alpha"), []), "alpha")]);

        List<TreeEntry> entries = tree.Walk(default);

        TreeEntry opt = Assert.Single(entries, e => e.DisplayPath == "opt");
        Assert.Equal(EntryState.Captured, opt.State);
        Assert.Null(opt.Note);
        Assert.DoesNotContain(entries, e => e.DisplayPath.StartsWith("opt/vendor", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.DisplayPath == "opt/sw/alpha/bin/alpha");
        CaptureWarning w = Assert.Single(tree.Warnings, w => w.Code == "CAP006" && w.Path == "opt");
        Assert.Contains("not as excluded (--exclude /opt)", w.Message, StringComparison.Ordinal);
        Assert.Contains(tree.Warnings, w => w.Code == "CAP006" && w.Path == "opt/sw");
        TreeCatalogInvariants.Enforce(entries, "composite");
    }

    [Fact]
    public void Walk_ExcludedDirectoryBesideTheMountPoint_StaysExcluded()
    {
        string root = Tree("base", "etc/os-release", "scratch/tmp.dat", "opt/x");
        var tree = new CompositeTreeSource(
            new DirectoryTreeSource(root, ["/scratch"]),
            [new TreeLayer("/opt/sw", new DirectoryTreeSource(Tree("layer", "bin/alpha"), []), "alpha")]);

        List<TreeEntry> entries = tree.Walk(default);

        Assert.Equal(EntryState.Excluded, Assert.Single(entries, e => e.DisplayPath == "scratch").State);
        Assert.Equal(EntryState.Captured, Assert.Single(entries, e => e.DisplayPath == "opt").State);
        Assert.DoesNotContain(tree.Warnings, w => w.Code == "CAP006");
        TreeCatalogInvariants.Enforce(entries, "composite");
    }
}
