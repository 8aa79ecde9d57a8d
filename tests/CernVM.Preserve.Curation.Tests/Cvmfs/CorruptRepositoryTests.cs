using System.Security.Cryptography;
using CernVM.Preserve.Curation.Cvmfs;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Cvmfs;

/// <summary>
/// corrupt_repo_20 (migrationtest01.cern.ch), the negative case of cvmfs test 568 "Import Corrupt
/// Legacy Repository": a validly signed 2.0 repository whose catalogs are inconsistent.
/// </summary>
public class CorruptRepositoryTests : IClassFixture<CvmfsRepositoriesFixture>
{
    private readonly CvmfsRepositoriesFixture _fixture;

    public CorruptRepositoryTests(CvmfsRepositoriesFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public async Task VerifyAsync_CorruptRepository_CertificateNotInWhitelistIsUntrusted()
    {
        // The manifest hash, its signature and the whitelist signature all verify (they are checked
        // first), but the certificate that signed revision 6 (2014-08-25 14:06) is not the one the
        // whitelist lists (5C:65:…, the certificate of the nested catalogs' legacy manifests).
        using var repository = await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(_fixture.Corrupt), CvmfsSelector.Current);
        using RSA master = RSA.Create();
        master.ImportFromPem(_fixture.CorruptMasterKeyPem);

        CvmfsIntegrityException ex = await Assert.ThrowsAsync<CvmfsIntegrityException>(() => repository.VerifyAsync(master, DateTimeOffset.UtcNow));

        Assert.Equal(CvmfsProblem.Untrusted, ex.Problem);
        Assert.Equal("d82e440ce1955ca4291cac12fba8f6077e855acfX", ex.Subject);
        Assert.Contains("6E:DE:ED:93:5E:A0:78:52:24:5A:23:8A:EE:52:17:01:5E:A7:98:45", ex.Message, StringComparison.Ordinal);
        Assert.Equal(6, repository.Manifest?.Revision);
    }

    [Fact]
    public async Task WalkAsync_CorruptRepository_ThrowsCatalogInconsistent()
    {
        using var repository = await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(_fixture.Corrupt), CvmfsSelector.Current);

        CvmfsIntegrityException ex = await Assert.ThrowsAsync<CvmfsIntegrityException>(async () =>
        {
            await foreach (CvmfsEntry entry in repository.WalkAsync())
            {
                _ = entry;
            }
        });

        Assert.Equal(CvmfsProblem.CatalogInconsistent, ex.Problem);
        Assert.Equal("/dangling_mountpoint", ex.Subject);
        Assert.Contains("mount point", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_CorruptRepository_ReportsEveryDefectByCode()
    {
        using var repository = await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(_fixture.Corrupt), CvmfsSelector.Current);

        IReadOnlyList<CvmfsFinding> findings = await repository.CheckAsync(readContent: true);

        CvmfsFinding dangling = Assert.Single(findings, f => f.Code == CvmfsFindingCode.DanglingMountpoint);
        Assert.Equal("/dangling_mountpoint", dangling.Subject);

        CvmfsFinding outOfSync = Assert.Single(findings, f => f.Code == CvmfsFindingCode.MountpointOutOfSync);
        Assert.Equal("/nested_mountpoint_out_of_sync", outOfSync.Subject);
        Assert.Contains("out of sync", outOfSync.Message, StringComparison.Ordinal);
        Assert.Contains("size 1024 vs 4096", outOfSync.Message, StringComparison.Ordinal);
        Assert.Contains("1b3640ed5844ad50a8c611d516ad67bedc466bdaC", outOfSync.Message, StringComparison.Ordinal);

        CvmfsFinding nonEmpty = Assert.Single(findings, f => f.Code == CvmfsFindingCode.NonEmptyMountpoint);
        Assert.Equal("/non_empty_nested_mountpoint", nonEmpty.Subject);
        Assert.Contains("3 entries", nonEmpty.Message, StringComparison.Ordinal);

        Assert.Equal(3, findings.Count);
    }

    [Fact]
    public async Task WalkAsync_WithFindingCallback_ListsWhatAClientWouldSee()
    {
        using var repository = await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(_fixture.Corrupt), CvmfsSelector.Current);
        var findings = new List<CvmfsFinding>();
        var paths = new List<string>();

        await foreach (CvmfsEntry entry in repository.WalkAsync(findings.Add))
        {
            paths.Add(entry.Path);
        }

        // The nested catalog hides the parent's entries below the mount point.
        Assert.Contains("/non_empty_nested_mountpoint/non_hidden_content_1/foo", paths);
        Assert.DoesNotContain("/non_empty_nested_mountpoint/hidden_content_1", paths);

        // A dangling mount point is read as an ordinary directory of the parent catalog.
        Assert.Contains("/dangling_mountpoint/dummy_content_1/content", paths);
        Assert.Contains("/nested_mountpoint_out_of_sync/README", paths);
        Assert.Equal(3, findings.Count);
    }
}
