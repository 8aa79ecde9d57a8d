using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Cvmfs;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Engine;
using CernVM.Preserve.Engine.Archiver;
using CernVM.Preserve.Engine.Restorer;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Cvmfs;

/// <summary>A CernVM-FS revision captured into a capsule at its mount point, and given back.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CvmfsCaptureTests : IClassFixture<CvmfsRepositoriesFixture>, IDisposable
{
    private readonly CvmfsRepositoriesFixture _fixture;
    private readonly string _dir = Directory.CreateTempSubdirectory("cvmp-cvmfs-capture-").FullName;

    public CvmfsCaptureTests(CvmfsRepositoriesFixture fixture) => _fixture = fixture;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(Archive Archive, LoadedManifest Version)> SnapshotAsync(ITreeSource tree)
    {
        Archive archive = await Archive.InitAsync(new FileSystemObjectStore(Path.Combine(_dir, "archive")), null, default);
        var snapshotter = new TreeSnapshotter(archive);
        SnapshotResult r = await snapshotter.SnapshotAsync(
            new SnapshotOptions { Source = tree.Description, Tree = tree, Capsule = CapsuleName.Parse("cvmfs-env") }, default);
        return (archive, r.Version);
    }

    private string MakeBase()
    {
        string root = Path.Combine(_dir, "base");
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        File.WriteAllText(Path.Combine(root, "etc", "redhat-release"), "Scientific Linux SL release 4.7 (Beryllium)\n");
        return root;
    }

    [Fact]
    public async Task Snapshot_RevisionMountedUnderCvmfs_RestoresEveryFileWithTheRepositoryContent()
    {
        using CvmfsRepository repo = await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(_fixture.Revision3), CvmfsSelector.Current);
        var tree = new CompositeTreeSource(
            new DirectoryTreeSource(MakeBase(), []),
            [new TreeLayer("/cvmfs/" + CvmfsRealData.GuineaPigName, new CvmfsTreeSource(repo, "testmigration.cern.ch revision 3"), "cvmfs")]);
        (Archive archive, LoadedManifest version) = await SnapshotAsync(tree);
        await using (archive)
        {
            Assert.Contains(version.Manifest.Warnings, w => w.Code == "CAP006" && w.Path == "cvmfs");
            string target = Path.Combine(_dir, "restored");
            RestoreResult restored = await new TreeRestorer(archive).RestoreAsync(version, new RestoreOptions { Target = target }, default);
            Assert.False(restored.HasErrors, string.Join("\n", restored.Problems));

            int files = 0;
            await foreach (CvmfsEntry e in repo.WalkAsync())
            {
                string path = Path.Combine(target, "cvmfs", CvmfsRealData.GuineaPigName) + e.Path;
                switch (e.Kind)
                {
                    case CvmfsEntryKind.File:
                        await using (Stream s = await repo.OpenContentAsync(e))
                        using (var ms = new MemoryStream())
                        {
                            await s.CopyToAsync(ms);
                            Assert.Equal(ms.ToArray(), await File.ReadAllBytesAsync(path));
                        }

                        files++;
                        break;
                    case CvmfsEntryKind.Directory:
                        Assert.True(Directory.Exists(path), path);
                        break;
                    case CvmfsEntryKind.Symlink:
                        Assert.Equal(e.SymlinkTarget, new FileInfo(path).LinkTarget);
                        break;
                }

                if (e.Kind != CvmfsEntryKind.Symlink)
                {
                    Assert.Equal(e.MtimeSeconds, new DateTimeOffset(File.GetLastWriteTimeUtc(path)).ToUnixTimeSeconds());
                    Assert.Equal((UnixFileMode)(e.Mode & 0xFFF), File.GetUnixFileMode(path));
                }
            }

            Assert.True(files >= 9, $"only {files} files in the revision");
            Assert.Equal("Scientific Linux SL release 4.7 (Beryllium)\n", File.ReadAllText(Path.Combine(target, "etc", "redhat-release")));
        }
    }

    [Fact]
    public async Task Snapshot_RevisionWithACorruptObject_FailsNamingItAndCommitsNothing()
    {
        string copy = Path.Combine(_dir, "copy");
        CopyDirectory(_fixture.Revision3, copy);
        using (CvmfsRepository clean = await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(copy), CvmfsSelector.Current))
        {
            CvmfsEntry file = await clean.WalkAsync().FirstAsync(e => e.Kind == CvmfsEntryKind.File && e.ContentHash is not null);
            string objectPath = Path.Combine(copy, file.ContentHash!.Value.ObjectPath);
            byte[] bytes = await File.ReadAllBytesAsync(objectPath);
            bytes[^1] ^= 0xFF;
            await File.WriteAllBytesAsync(objectPath, bytes);
        }

        using CvmfsRepository repo = await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(copy), CvmfsSelector.Current);
        var tree = new CompositeTreeSource(new DirectoryTreeSource(MakeBase(), []), [new TreeLayer("/cvmfs/x", new CvmfsTreeSource(repo, "damaged copy"), "cvmfs")]);
        Archive archive = await Archive.InitAsync(new FileSystemObjectStore(Path.Combine(_dir, "archive")), null, default);
        await using (archive)
        {
            PreserveException e = await Assert.ThrowsAsync<PreserveException>(() =>
                new TreeSnapshotter(archive).SnapshotAsync(new SnapshotOptions { Source = "x", Tree = tree, Capsule = CapsuleName.Parse("x") }, default));
            Assert.Equal(FailureKind.Integrity, e.Kind);
            Assert.Contains("damaged copy", e.Message);
            Assert.Empty(await archive.ListVersionsAsync(CapsuleName.Parse("x"), default));
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }
}
