using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Spec;
using CernVM.Preserve.Curation.Tests.Cvmfs;
using CernVM.Preserve.Curation.Trees;
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

    [Fact]
    public async Task Snapshot_SpecWithCvmfs_RecordsTheRevisionAndKeepsItsSignedArtefacts()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "root/etc"));
        File.WriteAllText(Path.Combine(_dir, "root/etc/redhat-release"), "Scientific Linux SL release 5.11 (Boron)\n");
        File.WriteAllText(Path.Combine(_dir, "master.pub"), _fixture.GuineaPigMasterKeyPem);
        string specPath = Path.Combine(_dir, "capsule.yaml");
        File.WriteAllText(specPath, $"""
            name: cvmfs-env
            os:
              rootfs: root
            cvmfs:
              - repository: {_fixture.Revision3}
                publicKey: master.pub
            """);
        CapsuleSpec spec = CapsuleSpecLoader.Load(specPath);
        await using Archive archive = await Archive.InitAsync(new FileSystemObjectStore(Path.Combine(_dir, "a")), null, default);
        PreparedCapture prepared = await new EnvironmentCapture(archive).PrepareAsync(spec, [], default);
        try
        {
            SnapshotResult r = await new TreeSnapshotter(archive).SnapshotAsync(
                new SnapshotOptions { Source = specPath, Tree = prepared.Tree, Capsule = CapsuleName.Parse(spec.Name), Components = prepared.Components, ExtraWarnings = prepared.Warnings },
                default);
            var cvmfs = r.Version.Manifest.Components!["cvmfs"]![0]!;
            Assert.Equal(CvmfsRealData.GuineaPigName, (string)cvmfs["fqrn"]!);
            Assert.Equal("/cvmfs/" + CvmfsRealData.GuineaPigName, (string)cvmfs["mountPoint"]!);
            Assert.Equal(3, (long)cvmfs["revision"]!);
            Assert.Contains(r.Version.Manifest.Warnings, w => w.Code == "CAP020" && w.Message.Contains("expired", StringComparison.OrdinalIgnoreCase));

            // The signed manifest is kept byte for byte.
            string published = (string)cvmfs["artefacts"]![".cvmfspublished"]!;
            byte[] kept = await archive.Blobs.GetAsync(BlobId.Parse(published), default);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(_fixture.Revision3, ".cvmfspublished")), kept);
            Assert.NotEmpty(cvmfs["artefacts"]!["objects"]!.AsObject());
            Assert.Equal("Scientific Linux SL release 5.11 (Boron)", (string)r.Version.Manifest.Components!["os"]!["release"]!);
            Assert.True(r.Version.Manifest.Tree.Files >= 9);
        }
        finally
        {
            foreach (IDisposable d in prepared.Resources)
            {
                d.Dispose();
            }
        }
    }
}
