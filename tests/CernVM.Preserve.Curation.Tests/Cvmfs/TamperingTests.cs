using System.Security.Cryptography;
using System.Text;
using CernVM.Preserve.Curation.Cvmfs;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Cvmfs;

/// <summary>Damage a private copy of guinea_pig_repo_20 revision 3 and expect errors that name the damaged object.</summary>
public sealed class TamperingTests : IDisposable
{
    private const string Awk = "c2ccd8ec97ab28c586be9c85dc46a7cadf5cbaa2";
    private const string Nypd = "609c35b04368a895a71d04769dca32ba03154d38";
    private const string NestedCatalog = "9228a3182f8b26a3183055b65030cab451ed96c9C";
    private const string RootCatalog = "e1db87c42de2501a3999b6fbbfdf9674ad968e71C";
    private const string Certificate = "bd46e502db6e41c972be183eb2bbac2110515e1fX";

    private readonly ExtractedData _data = new();
    private readonly string _root;

    public TamperingTests()
    {
        _root = ExtractedData.RepositoryRoot(_data.Extract("guinea_pig_repo_20-revision-3.tar.gz"), CvmfsRealData.GuineaPigName);
    }

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task OpenContentAsync_FlippedByteInFileObject_ThrowsBadHashNamingObject()
    {
        FlipByte(ObjectFile(Awk));
        using var repository = await OpenAsync();
        CvmfsEntry awk = await FindAsync(repository, "/dir3/ndir3/awk");

        CvmfsIntegrityException ex = await Assert.ThrowsAsync<CvmfsIntegrityException>(() => repository.OpenContentAsync(awk));

        Assert.Equal(CvmfsProblem.BadHash, ex.Problem);
        Assert.Equal(Awk, ex.Subject);
        Assert.Contains("data/c2/ccd8ec97ab28c586be9c85dc46a7cadf5cbaa2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_FlippedByteInFileObject_ReportsBadHashFinding()
    {
        FlipByte(ObjectFile(Awk));
        using var repository = await OpenAsync();

        IReadOnlyList<CvmfsFinding> findings = await repository.CheckAsync(readContent: true);

        CvmfsFinding finding = Assert.Single(findings);
        Assert.Equal(CvmfsFindingCode.BadHash, finding.Code);
        Assert.Equal(Awk, finding.Subject);
        Assert.Contains("/dir3/ndir3/awk", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WalkAsync_FlippedByteInNestedCatalog_ThrowsBadHashNamingCatalog()
    {
        FlipByte(ObjectFile(NestedCatalog));
        using var repository = await OpenAsync();

        CvmfsIntegrityException ex = await Assert.ThrowsAsync<CvmfsIntegrityException>(async () =>
        {
            await foreach (CvmfsEntry entry in repository.WalkAsync())
            {
                _ = entry;
            }
        });

        Assert.Equal(CvmfsProblem.BadHash, ex.Problem);
        Assert.Equal(NestedCatalog, ex.Subject);
    }

    [Fact]
    public async Task OpenAsync_FlippedByteInRootCatalog_ThrowsBadHashNamingCatalog()
    {
        FlipByte(ObjectFile(RootCatalog));

        CvmfsIntegrityException ex = await Assert.ThrowsAsync<CvmfsIntegrityException>(OpenAsync);

        Assert.Equal(CvmfsProblem.BadHash, ex.Problem);
        Assert.Equal(RootCatalog, ex.Subject);
    }

    [Fact]
    public async Task VerifyAsync_ChangedManifestField_ThrowsBadHashOnManifest()
    {
        string manifest = Path.Combine(_root, ".cvmfspublished");
        byte[] bytes = File.ReadAllBytes(manifest);
        int index = Encoding.ASCII.GetString(bytes).IndexOf("T1397036889", StringComparison.Ordinal);
        bytes[index + 10] = (byte)'8';
        File.WriteAllBytes(manifest, bytes);
        using var repository = await OpenAsync();

        CvmfsIntegrityException ex = await Assert.ThrowsAsync<CvmfsIntegrityException>(() => repository.VerifyAsync(null, DateTimeOffset.UtcNow));

        Assert.Equal(CvmfsProblem.BadHash, ex.Problem);
        Assert.Equal(".cvmfspublished", ex.Subject);
    }

    [Fact]
    public async Task VerifyAsync_FlippedByteInManifestSignature_ThrowsBadSignature()
    {
        string manifest = Path.Combine(_root, ".cvmfspublished");
        byte[] bytes = File.ReadAllBytes(manifest);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(manifest, bytes);
        using var repository = await OpenAsync();

        CvmfsIntegrityException ex = await Assert.ThrowsAsync<CvmfsIntegrityException>(() => repository.VerifyAsync(null, DateTimeOffset.UtcNow));

        Assert.Equal(CvmfsProblem.BadSignature, ex.Problem);
        Assert.Equal(".cvmfspublished", ex.Subject);
    }

    [Fact]
    public async Task VerifyAsync_ChangedWhitelistFingerprint_ThrowsBadHashOnWhitelist()
    {
        string whitelist = Path.Combine(_root, ".cvmfswhitelist");
        byte[] bytes = File.ReadAllBytes(whitelist);
        int index = Encoding.ASCII.GetString(bytes).IndexOf("F2:13", StringComparison.Ordinal);
        bytes[index] = (byte)'E';
        File.WriteAllBytes(whitelist, bytes);
        using var repository = await OpenAsync();
        using RSA master = RSA.Create();
        string keys = _data.Extract("guinea_pig_repo_20-keys.tar.gz");
        master.ImportFromPem(File.ReadAllText(Path.Combine(keys, "etc", "cvmfs", "keys", "testmigration.cern.ch.pub")));

        CvmfsIntegrityException ex = await Assert.ThrowsAsync<CvmfsIntegrityException>(() => repository.VerifyAsync(master, DateTimeOffset.UtcNow));

        Assert.Equal(CvmfsProblem.BadHash, ex.Problem);
        Assert.Equal(".cvmfswhitelist", ex.Subject);
    }

    [Fact]
    public async Task OpenContentAsync_RemovedObject_ThrowsMissingObjectNamingIt()
    {
        File.Delete(ObjectFile(Nypd));
        using var repository = await OpenAsync();
        CvmfsEntry nypd = await FindAsync(repository, "/dir5/ndir5/nndir3/NYPD");

        CvmfsIntegrityException ex = await Assert.ThrowsAsync<CvmfsIntegrityException>(() => repository.OpenContentAsync(nypd));

        Assert.Equal(CvmfsProblem.MissingObject, ex.Problem);
        Assert.Equal(Nypd, ex.Subject);
        Assert.Contains("missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_RemovedCertificate_ThrowsMissingObjectNamingIt()
    {
        File.Delete(ObjectFile(Certificate));
        using var repository = await OpenAsync();

        CvmfsIntegrityException ex = await Assert.ThrowsAsync<CvmfsIntegrityException>(() => repository.VerifyAsync(null, DateTimeOffset.UtcNow));

        Assert.Equal(CvmfsProblem.MissingObject, ex.Problem);
        Assert.Equal(Certificate, ex.Subject);
    }

    [Fact]
    public async Task OpenAsync_RemovedManifest_ThrowsMissingObjectNamingFile()
    {
        File.Delete(Path.Combine(_root, ".cvmfspublished"));

        CvmfsIntegrityException ex = await Assert.ThrowsAsync<CvmfsIntegrityException>(OpenAsync);

        Assert.Equal(CvmfsProblem.MissingObject, ex.Problem);
        Assert.Equal(".cvmfspublished", ex.Subject);
    }

    private static void FlipByte(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }

    private static async Task<CvmfsEntry> FindAsync(CvmfsRepository repository, string path)
    {
        await foreach (CvmfsEntry entry in repository.WalkAsync())
        {
            if (entry.Path == path)
            {
                return entry;
            }
        }

        throw new InvalidOperationException($"{path} is not in the repository.");
    }

    private string ObjectFile(string objectName) =>
        Path.Combine(_root, ContentHash.ParseObjectName(objectName).ObjectPath);

    private Task<CvmfsRepository> OpenAsync() =>
        CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(_root), CvmfsSelector.Current);
}
