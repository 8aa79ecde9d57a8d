using System.Security.Cryptography;
using System.Text;
using CernVM.Preserve.Curation.Cvmfs;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Cvmfs;

/// <summary>guinea_pig_repo_20 (testmigration.cern.ch): the CernVM-FS 2.0 layout, catalog schema 1.2.</summary>
public class GuineaPigRepositoryTests : IClassFixture<CvmfsRepositoriesFixture>
{
    private const string Revision3Root = "e1db87c42de2501a3999b6fbbfdf9674ad968e71";
    private const string Revision2Root = "713ca8a74dd20682338da781e314ac2b8ce883e4";
    private const string Revision1Root = "1b027e59f09fa69514a29811bcc22427fac3cad3";
    private const string NestedCatalog = "9228a3182f8b26a3183055b65030cab451ed96c9";

    private readonly CvmfsRepositoriesFixture _fixture;

    public GuineaPigRepositoryTests(CvmfsRepositoriesFixture fixture)
    {
        _fixture = fixture;
    }

    [Theory]
    [InlineData(3, Revision3Root, 1397036889L)]
    [InlineData(2, Revision2Root, 1397036395L)]
    public async Task VerifyAsync_GuineaPigWithMasterKey_VerifiesManifestWhitelistAndCertificate(int revision, string root, long published)
    {
        using var repository = await CvmfsRepository.OpenAsync(Source(revision), CvmfsSelector.Current);
        using RSA master = RSA.Create();
        master.ImportFromPem(_fixture.GuineaPigMasterKeyPem);

        RepositoryVerification verification = await repository.VerifyAsync(master, DateTimeOffset.UtcNow);

        Assert.Equal("testmigration.cern.ch", verification.RepositoryName);
        Assert.Equal(revision, verification.Revision);
        Assert.Equal(root, verification.RootCatalog.ToString());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(published), verification.PublishTime);
        Assert.Equal("F2:13:0A:29:6B:AE:67:49:F8:6A:11:AE:0F:AE:B2:79:9E:8D:90:C6", verification.CertificateFingerprint.ToString());
        Assert.Equal(new DateTimeOffset(2014, 5, 9, 9, 34, 11, TimeSpan.Zero), verification.WhitelistExpiry);
        Assert.Contains(verification.Warnings, w => w.Contains("expired", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_WrongMasterKey_ThrowsBadSignatureOnWhitelist()
    {
        using var repository = await CvmfsRepository.OpenAsync(Source(3), CvmfsSelector.Current);
        using RSA other = RSA.Create();
        other.ImportFromPem(_fixture.CorruptMasterKeyPem);

        CvmfsIntegrityException ex = await Assert.ThrowsAsync<CvmfsIntegrityException>(() => repository.VerifyAsync(other, DateTimeOffset.UtcNow));

        Assert.Equal(CvmfsProblem.BadSignature, ex.Problem);
        Assert.Equal(".cvmfswhitelist", ex.Subject);
    }

    [Fact]
    public async Task VerifyAsync_NoMasterKey_WarnsThatWhitelistSignatureIsUnchecked()
    {
        using var repository = await CvmfsRepository.OpenAsync(Source(3), CvmfsSelector.Current);

        RepositoryVerification verification = await repository.VerifyAsync(null, new DateTimeOffset(2014, 4, 10, 0, 0, 0, TimeSpan.Zero));

        Assert.Contains(verification.Warnings, w => w.Contains("not verified", StringComparison.Ordinal));
        Assert.DoesNotContain(verification.Warnings, w => w.Contains("expired", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpenAsync_Revision3_ReadsLegacyCatalogProperties()
    {
        using var repository = await CvmfsRepository.OpenAsync(Source(3), CvmfsSelector.Current);

        Assert.Equal(Revision3Root, repository.RootHash.ToString());
        Assert.Equal(3, repository.Revision);
        Assert.Equal("1.2", repository.RootCatalog.Schema);
        Assert.Equal(Revision2Root, repository.RootCatalog.PreviousRevision?.ToString());
        NestedCatalogReference nested = Assert.Single(repository.RootCatalog.NestedCatalogs);
        Assert.Equal("/dir5/ndir5", nested.Path);
        Assert.Equal(NestedCatalog, nested.Hash.ToString());
        Assert.Null(nested.Size);
        Assert.Equal(3600, repository.Manifest?.CatalogTtl);
        Assert.Equal(new string('0', 40), repository.Manifest?.MicroCatalog?.ToString());
    }

    [Fact]
    public async Task WalkAsync_Revision3_ListsEveryEntryAcrossTheNestedCatalog()
    {
        using var repository = await CvmfsRepository.OpenAsync(Source(3), CvmfsSelector.Current);

        List<CvmfsEntry> entries = await ToListAsync(repository.WalkAsync());

        Assert.Equal(26, entries.Count);
        Assert.Equal(string.Empty, entries[0].Path);
        Assert.Equal(16, entries.Count(e => e.Kind == CvmfsEntryKind.Directory));
        Assert.Equal(9, entries.Count(e => e.Kind == CvmfsEntryKind.File));
        Assert.Equal(entries.Count, entries.Select(e => e.Path).Distinct().Count());

        CvmfsEntry link = Assert.Single(entries, e => e.Kind == CvmfsEntryKind.Symlink);
        Assert.Equal("/dir4/symlink_to_meaningless_file", link.Path);
        Assert.Equal("meaningless_file", link.SymlinkTarget);
        Assert.Equal(16, link.Size);

        CvmfsEntry mountpoint = entries.Single(e => e.Path == "/dir5/ndir5");
        Assert.True(mountpoint.IsNestedCatalogRoot);
        Assert.Equal(CvmfsEntryKind.Directory, mountpoint.Kind);

        CvmfsEntry awk = entries.Single(e => e.Path == "/dir3/ndir3/awk");
        Assert.Equal(331920, awk.Size);
        Assert.Equal(Convert.ToInt64("100755", 8), awk.Mode);
        Assert.Equal(1397036825, awk.MtimeSeconds);
        Assert.Equal("c2ccd8ec97ab28c586be9c85dc46a7cadf5cbaa2", awk.ContentHash?.ToString());
        Assert.Null(awk.Uid);
        Assert.Empty(awk.Chunks);
        Assert.Equal(CvmfsCompressionAlgorithm.Zlib, awk.Compression);

        Assert.Contains(entries, e => e.Path == "/dir5/ndir5/nndir3/outlaw");
        Assert.Contains(entries, e => e.Path == "/dir2/ndir1/nndir2/file");
    }

    [Fact]
    public async Task OpenContentAsync_EveryFileOfRevision3_MatchesCatalogSizeAndKnownText()
    {
        using var repository = await CvmfsRepository.OpenAsync(Source(3), CvmfsSelector.Current);
        var texts = new Dictionary<string, string>();

        await foreach (CvmfsEntry entry in repository.WalkAsync())
        {
            if (entry.Kind != CvmfsEntryKind.File)
            {
                continue;
            }

            await using Stream content = await repository.OpenContentAsync(entry);
            using var buffer = new MemoryStream();
            await content.CopyToAsync(buffer);
            Assert.Equal(entry.Size, buffer.Length);
            texts[entry.Path] = Encoding.UTF8.GetString(buffer.ToArray());
        }

        Assert.Equal(9, texts.Count);
        Assert.Equal("meaningless file content\n", texts["/dir4/meaningless_file"]);
        Assert.Equal("NYPD Stahp\n", texts["/dir5/ndir5/nndir3/NYPD"]);
        Assert.Equal("Reading this text is prohibited by federal law\n", texts["/dir5/ndir5/nndir3/outlaw"]);
        Assert.StartsWith("\u007fELF", texts["/dir3/ndir3/awk"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_Revision3WithContent_FindsNothing()
    {
        using var repository = await CvmfsRepository.OpenAsync(Source(3), CvmfsSelector.Current);

        Assert.Empty(await repository.CheckAsync(readContent: true));
    }

    [Fact]
    public async Task OpenAsync_Revision2ByNumberFromRevision3_FollowsPreviousRevisionChain()
    {
        using var repository = await CvmfsRepository.OpenAsync(Source(3), CvmfsSelector.ForRevision(2));

        Assert.Equal(Revision2Root, repository.RootHash.ToString());
        Assert.Equal(2, repository.Revision);
        List<CvmfsEntry> entries = await ToListAsync(repository.WalkAsync());
        Assert.Single(entries);

        using RSA master = RSA.Create();
        master.ImportFromPem(_fixture.GuineaPigMasterKeyPem);
        RepositoryVerification verification = await repository.VerifyAsync(master, DateTimeOffset.UtcNow);
        Assert.Equal(3, verification.Revision);
        Assert.Contains(verification.Warnings, w => w.Contains("trusted only through it", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpenAsync_Revision1ByNumber_ReadsItsFile()
    {
        using var repository = await CvmfsRepository.OpenAsync(Source(3), CvmfsSelector.ForRevision(1));

        Assert.Equal(Revision1Root, repository.RootHash.ToString());
        Assert.Null(repository.RootCatalog.PreviousRevision);
        CvmfsEntry file = (await ToListAsync(repository.WalkAsync())).Single(e => e.Kind == CvmfsEntryKind.File);
        Assert.Equal("/empty", file.Path);
        await using Stream content = await repository.OpenContentAsync(file);
        Assert.Equal(51, content.Length);
    }

    [Fact]
    public async Task OpenAsync_UnknownRevision_ThrowsKeyNotFound()
    {
        await Assert.ThrowsAsync<KeyNotFoundException>(() => CvmfsRepository.OpenAsync(Source(3), CvmfsSelector.ForRevision(7)));
    }

    [Fact]
    public async Task OpenPreviousRevisionAsync_Revision3_OpensRevision2ThenRevision1ThenStops()
    {
        using var repository = await CvmfsRepository.OpenAsync(Source(3), CvmfsSelector.Current);

        using CvmfsRepository? revision2 = await repository.OpenPreviousRevisionAsync();
        using CvmfsRepository? revision1 = await revision2!.OpenPreviousRevisionAsync();

        Assert.Equal(2, revision2.Revision);
        Assert.Equal(1, revision1!.Revision);
        Assert.Null(await revision1.OpenPreviousRevisionAsync());
    }

    [Fact]
    public async Task OpenAsync_ByRootHash_OpensThatRevision()
    {
        using var repository = await CvmfsRepository.OpenAsync(Source(3), CvmfsSelector.ForRootHash(ContentHash.Parse(Revision2Root)));

        Assert.Equal(2, repository.Revision);
    }

    [Fact]
    public async Task OpenAsync_TagWithoutHistoryDatabase_ThrowsKeyNotFoundNamingTheReason()
    {
        using var current = await CvmfsRepository.OpenAsync(Source(3), CvmfsSelector.Current);
        Assert.Null(current.Manifest?.History);
        Assert.Null(await current.GetHistoryAsync());

        KeyNotFoundException ex = await Assert.ThrowsAsync<KeyNotFoundException>(() => CvmfsRepository.OpenAsync(Source(3), CvmfsSelector.ForTag("trunk")));

        Assert.Contains("history", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListClosureAsync_Revision3_ListsCatalogsCertificateAndFileObjectsThatAllExist()
    {
        FileSystemCvmfsSource source = Source(3);
        using var repository = await CvmfsRepository.OpenAsync(source, CvmfsSelector.Current);

        IReadOnlyList<ContentHash> closure = await repository.ListClosureAsync();

        Assert.Equal(Revision3Root + "C", closure[0].ObjectName);
        Assert.Contains(closure, h => h.ObjectName == "bd46e502db6e41c972be183eb2bbac2110515e1fX");
        Assert.Contains(closure, h => h.ObjectName == NestedCatalog + "C");
        Assert.Contains(closure, h => h.ObjectName == "e337ba40d9e0f21fec09fe7535efa650bac187fe");
        Assert.DoesNotContain(closure, h => h.ToString() == Revision2Root);
        Assert.Equal(10, closure.Count);
        foreach (ContentHash hash in closure)
        {
            Assert.NotEmpty(await source.FetchObjectAsync(hash, CancellationToken.None));
        }
    }

    [Fact]
    public async Task OpenAsync_OverHttpFromLoopback_WalksReadsAndVerifies()
    {
        using var server = new LoopbackRepositoryServer(_fixture.Revision3);
        using var source = new HttpCvmfsSource(server.BaseUrl) { RequestTimeout = TimeSpan.FromSeconds(10) };
        using var repository = await CvmfsRepository.OpenAsync(source, CvmfsSelector.Current);
        using RSA master = RSA.Create();
        master.ImportFromPem(_fixture.GuineaPigMasterKeyPem);

        RepositoryVerification verification = await repository.VerifyAsync(master, DateTimeOffset.UtcNow);
        IReadOnlyList<CvmfsFinding> findings = await repository.CheckAsync(readContent: true);
        CvmfsIntegrityException missing = await Assert.ThrowsAsync<CvmfsIntegrityException>(
            () => source.FetchObjectAsync(ContentHash.Parse("0000000000000000000000000000000000000000", ObjectSuffix.Partial), CancellationToken.None));

        Assert.Equal(3, verification.Revision);
        Assert.Empty(findings);
        Assert.Equal(CvmfsProblem.MissingObject, missing.Problem);
        Assert.Equal("0000000000000000000000000000000000000000P", missing.Subject);
        Assert.True(server.RequestCount > 10);
    }

    [Fact]
    public async Task TryFetchFileAsync_HttpServerDown_ThrowsSourceException()
    {
        Uri url;
        using (var server = new LoopbackRepositoryServer(_fixture.Revision3))
        {
            url = server.BaseUrl;
        }

        using var source = new HttpCvmfsSource(url) { RequestTimeout = TimeSpan.FromSeconds(5) };

        await Assert.ThrowsAsync<CvmfsSourceException>(() => source.TryFetchFileAsync(".cvmfspublished", CancellationToken.None));
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (T item in items)
        {
            list.Add(item);
        }

        return list;
    }

    private FileSystemCvmfsSource Source(int revision) =>
        new(revision == 2 ? _fixture.Revision2 : _fixture.Revision3);
}
