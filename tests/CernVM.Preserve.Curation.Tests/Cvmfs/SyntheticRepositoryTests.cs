using System.Text;
using CernVM.Preserve.Curation.Cvmfs;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Cvmfs;

/// <summary>The current catalog schema (2.5 revision 7) and signing, on a repository written by <see cref="SyntheticRepository"/>.</summary>
public sealed class SyntheticRepositoryTests : IDisposable
{
    private readonly ExtractedData _data = new();

    public void Dispose() => _data.Dispose();

    [Theory]
    [InlineData(CvmfsHashAlgorithm.Sha1)]
    [InlineData(CvmfsHashAlgorithm.Shake128)]
    public async Task VerifyAsync_FreshlySignedRepository_VerifiesWithoutWarnings(CvmfsHashAlgorithm algorithm)
    {
        SyntheticRepository synthetic = Create(algorithm);
        using var repository = await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(synthetic.Root), CvmfsSelector.Current);

        RepositoryVerification verification = await repository.VerifyAsync(synthetic.MasterKey, DateTimeOffset.UtcNow);

        Assert.Equal(SyntheticRepository.Fqrn, verification.RepositoryName);
        Assert.Equal(5, verification.Revision);
        Assert.Equal(synthetic.CurrentRoot, verification.RootCatalog);
        Assert.Equal(algorithm, verification.CertificateFingerprint.Hash.Algorithm);
        Assert.Empty(verification.Warnings);
    }

    [Theory]
    [InlineData(CvmfsHashAlgorithm.Sha1)]
    [InlineData(CvmfsHashAlgorithm.Shake128)]
    public async Task WalkAsync_Schema25Revision7_DecodesEveryColumn(CvmfsHashAlgorithm algorithm)
    {
        SyntheticRepository synthetic = Create(algorithm);
        using var repository = await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(synthetic.Root), CvmfsSelector.Current);

        var entries = new Dictionary<string, CvmfsEntry>();
        await foreach (CvmfsEntry entry in repository.WalkAsync())
        {
            entries.Add(entry.Path, entry);
        }

        Assert.Equal("2.5", repository.RootCatalog.Schema);
        Assert.Equal(7, repository.RootCatalog.SchemaRevision);
        Assert.Equal(14, entries.Count);

        CvmfsEntry chunked = entries["/dir/chunked"];
        Assert.Null(chunked.ContentHash);
        Assert.Equal([(0L, 1000L), (1000L, 2000L)], chunked.Chunks.Select(c => (c.Offset, c.Size)));
        Assert.All(chunked.Chunks, c => Assert.Equal(ObjectSuffix.Partial, c.Hash.Suffix));
        Assert.All(chunked.Chunks, c => Assert.Equal(algorithm, c.Hash.Algorithm));

        Assert.Equal(7, entries["/dir/a"].HardlinkGroup);
        Assert.Equal(2, entries["/dir/b"].LinkCount);

        CvmfsEntry attrs = entries["/dir/attrs"];
        Assert.Equal(123456789, attrs.MtimeNanoseconds);
        Assert.Equal(1000, attrs.Uid);
        Assert.Equal(1001, attrs.Gid);
        Assert.Equal(["user.foo", "user.empty"], attrs.Xattrs.Select(x => x.Key));
        Assert.Equal("bar"u8.ToArray(), attrs.Xattrs[0].Value);

        Assert.Equal(CvmfsHashAlgorithm.Ripemd160, entries["/dir/rmd"].ContentHash?.Algorithm);
        Assert.Equal(CvmfsCompressionAlgorithm.None, entries["/dir/plain"].Compression);
        Assert.True(entries["/ext"].IsExternal);
        Assert.Equal(CvmfsEntryKind.Special, entries["/fifo"].Kind);
        Assert.Equal("$(ARCH)/bin", entries["/link"].SymlinkTarget);
        Assert.True(entries["/nested"].IsNestedCatalogRoot);
        Assert.Equal(5, entries["/nested/inner"].Size);
        Assert.Equal(NestedSize(repository), repository.RootCatalog.NestedCatalogs.Single().Size);
    }

    [Fact]
    public async Task OpenContentAsync_ChunkedRipemdAndUncompressedFiles_ReturnOriginalBytes()
    {
        SyntheticRepository synthetic = Create(CvmfsHashAlgorithm.Sha1);
        using var repository = await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(synthetic.Root), CvmfsSelector.Current);
        var entries = new Dictionary<string, CvmfsEntry>();
        await foreach (CvmfsEntry entry in repository.WalkAsync())
        {
            entries.Add(entry.Path, entry);
        }

        Assert.Equal(synthetic.ChunkedContent, await ReadAsync(repository, entries["/dir/chunked"]));
        Assert.Equal("rmd\n", Encoding.ASCII.GetString(await ReadAsync(repository, entries["/dir/rmd"])));
        Assert.Equal("plain\n", Encoding.ASCII.GetString(await ReadAsync(repository, entries["/dir/plain"])));
        Assert.Equal("hard-linked\n", Encoding.ASCII.GetString(await ReadAsync(repository, entries["/dir/b"])));
        await Assert.ThrowsAsync<CvmfsFormatException>(() => repository.OpenContentAsync(entries["/ext"]));
        await Assert.ThrowsAsync<ArgumentException>(() => repository.OpenContentAsync(entries["/link"]));
        Assert.Empty(await repository.CheckAsync(readContent: true));
    }

    [Fact]
    public async Task OpenContentAsync_RemovedChunk_ThrowsMissingObjectNamingChunk()
    {
        SyntheticRepository synthetic = Create(CvmfsHashAlgorithm.Sha1);
        File.Delete(Path.Combine(synthetic.Root, synthetic.ChunkObjects[1].ObjectPath));
        using var repository = await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(synthetic.Root), CvmfsSelector.Current);
        CvmfsEntry? chunked = null;
        await foreach (CvmfsEntry entry in repository.WalkAsync())
        {
            chunked = entry.Path == "/dir/chunked" ? entry : chunked;
        }

        CvmfsIntegrityException ex = await Assert.ThrowsAsync<CvmfsIntegrityException>(() => repository.OpenContentAsync(chunked!));

        Assert.Equal(CvmfsProblem.MissingObject, ex.Problem);
        Assert.Equal(synthetic.ChunkObjects[1].ObjectName, ex.Subject);
        Assert.EndsWith("P", ex.Subject, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CvmfsHashAlgorithm.Sha1)]
    [InlineData(CvmfsHashAlgorithm.Shake128)]
    public async Task ListClosureAsync_Schema25_ListsSignedArtefactsCatalogsFilesAndChunksButNotExternalOrBulk(CvmfsHashAlgorithm algorithm)
    {
        SyntheticRepository synthetic = Create(algorithm);
        var source = new FileSystemCvmfsSource(synthetic.Root);
        using var repository = await CvmfsRepository.OpenAsync(source, CvmfsSelector.Current);

        IReadOnlyList<ContentHash> closure = await repository.ListClosureAsync();

        Assert.Equal(synthetic.CurrentRoot, closure[0]);
        Assert.Equal(
            [ObjectSuffix.Catalog, ObjectSuffix.Certificate, ObjectSuffix.History, ObjectSuffix.MetaInfo],
            closure.Take(4).Select(h => h.Suffix));
        Assert.Contains(synthetic.NestedCatalog, closure);
        Assert.All(synthetic.ChunkObjects, c => Assert.Contains(c, closure));
        Assert.DoesNotContain(closure, h => h.DigestEquals(synthetic.ExternalContent));
        Assert.DoesNotContain(closure, h => h.DigestEquals(synthetic.ChunkedBulkHash));
        Assert.DoesNotContain(closure, h => h.DigestEquals(synthetic.OlderRoot));
        Assert.Equal(closure.Count, closure.Distinct().Count());
        foreach (ContentHash hash in closure)
        {
            await source.FetchObjectAsync(hash, CancellationToken.None);
        }
    }

    [Fact]
    public async Task OpenAsync_TagAndRevisionThroughHistory_ResolveOlderRootCatalog()
    {
        SyntheticRepository synthetic = Create(CvmfsHashAlgorithm.Shake128);
        var source = new FileSystemCvmfsSource(synthetic.Root);

        using var byTag = await CvmfsRepository.OpenAsync(source, CvmfsSelector.ForTag("release-4"));
        using var byRevision = await CvmfsRepository.OpenAsync(source, CvmfsSelector.ForRevision(4));
        using var current = await CvmfsRepository.OpenAsync(source, CvmfsSelector.ForTag("trunk"));
        CvmfsHistory? history = await current.GetHistoryAsync();

        Assert.Equal(synthetic.OlderRoot, byTag.RootHash);
        Assert.Equal(synthetic.OlderRoot, byRevision.RootHash);
        Assert.Equal(synthetic.CurrentRoot, current.RootHash);
        Assert.Equal(synthetic.OlderRoot, current.RootCatalog.PreviousRevision);
        Assert.NotNull(history);
        Assert.Equal(["trunk", "release-4"], history.Tags.Select(t => t.Name));
        CvmfsTag old = history.FindTag("release-4")!;
        Assert.Equal("the old one", old.Description);
        Assert.Equal(string.Empty, old.Branch);
        Assert.Equal(4, old.Revision);
        Assert.Equal(SyntheticRepository.Fqrn, history.Properties["fqrn"]);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => CvmfsRepository.OpenAsync(source, CvmfsSelector.ForTag("no-such-tag")));
    }

    private static long NestedSize(CvmfsRepository repository) => repository.RootCatalog.NestedCatalogs.Single().Size ?? -1;

    private static async Task<byte[]> ReadAsync(CvmfsRepository repository, CvmfsEntry entry)
    {
        await using Stream stream = await repository.OpenContentAsync(entry);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private SyntheticRepository Create(CvmfsHashAlgorithm algorithm) =>
        new(Path.Combine(_data.Root, algorithm.ToString()), algorithm);
}
