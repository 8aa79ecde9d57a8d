using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Cvmfs;
using CernVM.Preserve.Curation.Spec;
using CernVM.Preserve.Curation.Tests.Cvmfs;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Engine.Archiver;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Spec;

/// <summary>A spec naming a CernVM-FS revision: the manifest records the revision and keeps its signed artefacts.</summary>
public sealed class CvmfsSpecCaptureTests : IClassFixture<CvmfsRepositoriesFixture>, IDisposable
{
    private readonly CvmfsRepositoriesFixture _fixture;
    private readonly string _dir = Directory.CreateTempSubdirectory("cvmp-spec-cvmfs-").FullName;

    public CvmfsSpecCaptureTests(CvmfsRepositoriesFixture fixture) => _fixture = fixture;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<(Archive Archive, SnapshotResult Result)> CaptureAsync() => CaptureAsync(_fixture.Revision3, _fixture.GuineaPigMasterKeyPem);

    private async Task<(Archive Archive, SnapshotResult Result)> CaptureAsync(string repository, string masterKeyPem)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "root/etc"));
        File.WriteAllText(Path.Combine(_dir, "root/etc/redhat-release"), "Scientific Linux SL release 5.11 (Boron)\n");
        File.WriteAllText(Path.Combine(_dir, "master.pub"), masterKeyPem);
        string specPath = Path.Combine(_dir, "capsule.yaml");
        File.WriteAllText(specPath, $"""
            name: cvmfs-env
            os:
              rootfs: root
            cvmfs:
              - repository: {repository}
                publicKey: master.pub
            """);
        CapsuleSpec spec = CapsuleSpecLoader.Load(specPath);
        Archive archive = await Archive.InitAsync(new FileSystemObjectStore(Path.Combine(_dir, "a")), null, default);
        PreparedCapture prepared = await new EnvironmentCapture(archive).PrepareAsync(spec, [], default);
        try
        {
            SnapshotResult r = await new TreeSnapshotter(archive).SnapshotAsync(
                new SnapshotOptions { Source = specPath, Tree = prepared.Tree, Capsule = CapsuleName.Parse(spec.Name), DescribeEnvironment = prepared.Describe },
                default);
            return (archive, r);
        }
        finally
        {
            foreach (IDisposable d in prepared.Resources)
            {
                d.Dispose();
            }
        }
    }

    [Fact]
    public async Task Snapshot_SpecWithCvmfs_RecordsTheRevisionAndKeepsItsSignedArtefacts()
    {
        (Archive archive, SnapshotResult r) = await CaptureAsync();
        await using (archive)
        {
            CvmfsComponent cvmfs = r.Version.Manifest.Components!.Cvmfs![0];
            Assert.Equal(CvmfsRealData.GuineaPigName, cvmfs.Fqrn);
            Assert.Equal("/cvmfs/" + CvmfsRealData.GuineaPigName, cvmfs.MountPoint);
            Assert.Equal(3, cvmfs.Revision);
            Assert.Contains(r.Version.Manifest.Warnings, w => w.Code == "CAP020" && w.Message.Contains("expired", StringComparison.OrdinalIgnoreCase));

            // The signed manifest is kept byte for byte; file objects are rebuilt from the tree, not stored twice.
            string published = cvmfs.Artefacts.Published!;
            byte[] kept = await archive.Blobs.GetAsync(BlobId.Parse(published), default);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(_fixture.Revision3, ".cvmfspublished")), kept);
            Assert.NotEmpty(cvmfs.Artefacts.Objects);
            Assert.True(cvmfs.Artefacts.ObjectsFromTree > 0);
            Assert.Equal("Scientific Linux SL release 5.11 (Boron)", r.Version.Manifest.Components!.Os!.Release);
            Assert.True(r.Version.Manifest.Tree.Files >= 9);
        }
    }

    [Fact]
    public async Task Export_CapturedRevision_GivesBackTheRepositoryObjectForObjectAndItVerifies()
    {
        (Archive archive, SnapshotResult r) = await CaptureAsync();
        await using (archive)
        {
            byte[] catalog = await archive.Blobs.GetAsync(BlobId.Parse(r.Version.Manifest.Tree.Catalog), default);
            List<TreeEntry> entries = CernVM.Preserve.Catalog.TreeCatalog.ReadAll(catalog, "catalog");
            string target = Path.Combine(_dir, "stratum", CvmfsRealData.GuineaPigName);
            CvmfsExportResult x = await new CvmfsStratumExporter(archive).ExportAsync(entries, r.Version.Manifest.Components!.Cvmfs![0], target, default);
            Assert.Equal(0, x.ObjectsOmitted);
            Assert.True(x.ObjectsRebuilt > 0);

            // Every object written is the original, byte for byte, and the revision's whole closure is there.
            string[] written = Directory.GetFiles(Path.Combine(target, "data"), "*", SearchOption.AllDirectories);
            foreach (string f in written.Append(Path.Combine(target, ".cvmfspublished")).Append(Path.Combine(target, ".cvmfswhitelist")))
            {
                string relative = Path.GetRelativePath(target, f);
                Assert.True(File.ReadAllBytes(Path.Combine(_fixture.Revision3, relative)).AsSpan().SequenceEqual(File.ReadAllBytes(f)), relative);
            }

            using CvmfsRepository original = await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(_fixture.Revision3), CvmfsSelector.Current);
            Assert.Equal((await original.ListClosureAsync()).Count, written.Length);

            // The copy is a repository in its own right: signatures verify and every object reads back.
            using CvmfsRepository copy = await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(target), CvmfsSelector.ForRootHash(ContentHash.Parse(x.RootHash, 'C')));
            using System.Security.Cryptography.RSA master = System.Security.Cryptography.RSA.Create();
            master.ImportFromPem(_fixture.GuineaPigMasterKeyPem);
            RepositoryVerification v = await copy.VerifyAsync(master, DateTimeOffset.UtcNow);
            Assert.Equal(CvmfsRealData.GuineaPigName, v.RepositoryName);
            Assert.Empty(await copy.CheckAsync(readContent: true));

            // An existing directory is refused, and nothing in it is touched.
            PreserveException again = await Assert.ThrowsAsync<PreserveException>(() => new CvmfsStratumExporter(archive).ExportAsync(entries, r.Version.Manifest.Components!.Cvmfs![0], target, default));
            Assert.Contains("already exists", again.Message);
        }
    }

    [Fact]
    public async Task Export_RevisionWhoseObjectsAnotherZlibWrote_KeepsThemAndGivesThemBack()
    {
        // The synthetic repository is compressed by .NET's zlib-ng, whose bytes the system zlib does not
        // reproduce: capture must keep those objects, and the export must still equal the original.
        var synthetic = new SyntheticRepository(Path.Combine(_dir, "synthetic"), CvmfsHashAlgorithm.Sha1);
        (Archive archive, SnapshotResult r) = await CaptureAsync(synthetic.Root, synthetic.MasterKey.ExportSubjectPublicKeyInfoPem());
        await using (archive)
        {
            CvmfsComponent component = r.Version.Manifest.Components!.Cvmfs![0];
            byte[] catalog = await archive.Blobs.GetAsync(BlobId.Parse(r.Version.Manifest.Tree.Catalog), default);
            List<TreeEntry> entries = CernVM.Preserve.Catalog.TreeCatalog.ReadAll(catalog, "catalog");
            string target = Path.Combine(_dir, "stratum", SyntheticRepository.Fqrn);
            CvmfsExportResult x = await new CvmfsStratumExporter(archive).ExportAsync(entries, component, target, default);
            Assert.Equal(0, x.ObjectsOmitted);
            Assert.Contains(component.Artefacts.Objects, o => o.Key[^1] is not ('C' or 'X' or 'H' or 'M'));

            foreach (string f in Directory.GetFiles(Path.Combine(target, "data"), "*", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(target, f);
                Assert.True(File.ReadAllBytes(Path.Combine(synthetic.Root, relative)).AsSpan().SequenceEqual(File.ReadAllBytes(f)), relative);
            }

            using CvmfsRepository copy = await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(target), CvmfsSelector.ForRootHash(ContentHash.Parse(x.RootHash, 'C')));
            Assert.Empty(await copy.CheckAsync(readContent: true));
            Assert.Equal(synthetic.CurrentRoot.ToString(), x.RootHash);
        }
    }
}
