using System.Security.Cryptography;
using System.Text;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;
using Xunit;

namespace CernVM.Preserve.Storage.Tests;

/// <summary>
/// <see cref="Archive"/> on a directory: making one (FORMAT.md §2), opening one and refusing what is not one
/// (§3), finding capsules and versions (§5.1), reading a manifest against its sidecar and signature (§5, §5.4),
/// committing (§8) and appending to the journal (§7). Damage is made by hand in the directory, as a disk or a
/// person would make it.
/// </summary>
public sealed class ArchiveTests : IDisposable
{
    private static readonly CapsuleName Alpha = CapsuleName.Parse("alpha");

    private static readonly NSec.Cryptography.Key Curator = NSec.Cryptography.Key.Create(NSec.Cryptography.SignatureAlgorithm.Ed25519);

    private static readonly string[] OtherInitKeys =
    [
        ArchiveLayout.FormatDocument,
        ArchiveLayout.ManifestSchema,
        ArchiveLayout.EventSchema,
        ArchiveLayout.CatalogDdl,
        ArchiveLayout.Descriptor,
    ];

    private readonly string _root = Directory.CreateTempSubdirectory("cvmp-archive-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private FileSystemObjectStore Store() => new(_root);

    private string Location => Path.GetFullPath(_root);

    private string PathOf(string key) => Path.Combine(_root, key);

    private byte[] ReadFile(string key) => File.ReadAllBytes(PathOf(key));

    /// <summary>Writes (or replaces) an object by hand, past the store, as damage or another tool would.</summary>
    private void WriteFile(string key, byte[] bytes)
    {
        string path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        File.WriteAllBytes(path, bytes);
    }

    private void DeleteFile(string key) => File.Delete(PathOf(key));

    /// <summary>Every key the directory holds, as a new process would list them.</summary>
    private async Task<List<string>> KeysAsync()
    {
        var keys = new List<string>();
        await using var store = Store();
        await foreach (string key in store.ListAsync("", default))
        {
            keys.Add(key);
        }

        return keys;
    }

    /// <summary>A new archive, closed again.</summary>
    private async Task InitAsync()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
    }

    /// <summary>Replaces archive.json with the descriptor Init wrote, changed by <paramref name="change"/>.</summary>
    private void RewriteDescriptor(Action<ArchiveDescriptor> change)
    {
        ArchiveDescriptor descriptor = CanonicalJson.Deserialize<ArchiveDescriptor>(ReadFile(ArchiveLayout.Descriptor), ArchiveLayout.Descriptor);
        change(descriptor);
        WriteFile(ArchiveLayout.Descriptor, CanonicalJson.Serialize(descriptor));
    }

    private static byte[] CatalogContent(string capsule, string source) => Encoding.UTF8.GetBytes($"catalog of {capsule}, {source}");

    private static Manifest Draft(string capsule, string source, BlobId catalog) => new()
    {
        Capsule = capsule,
        Created = ArchiveTime.Format(DateTimeOffset.UtcNow),
        Producer = new Producer("archive-test", "1", "host", "user"),
        Tree = new TreeSummary { Catalog = catalog.ToString(), Source = source, Entries = 1 },
        Statistics = new SnapshotStatistics(),
    };

    /// <summary>Stores a catalog blob and commits a version naming it, its tree's source <paramref name="source"/>.</summary>
    private static async Task<LoadedManifest> CommitAsync(Archive archive, string capsule, string source, NSec.Cryptography.Key? signingKey = null)
    {
        (BlobId catalog, _) = await archive.Blobs.PutAsync(CatalogContent(capsule, source), default);
        return await archive.CommitAsync(Draft(capsule, source, catalog), signingKey, default);
    }

    /// <summary>alpha with v1 "first" and v2 "second", complete, and v3 "third" whose commit stopped before its sidecar.</summary>
    private async Task<Archive> AlphaWithAnInterruptedV3Async()
    {
        Archive archive = await Archive.InitAsync(Store(), null, default);
        await CommitAsync(archive, "alpha", "first");
        await CommitAsync(archive, "alpha", "second");
        await CommitAsync(archive, "alpha", "third");
        DeleteFile(ArchiveLayout.ManifestSidecar(Alpha, 3));
        return archive;
    }

    private static PreservationEvent Event(string dateTime, string detail) => new()
    {
        EventId = Guid.NewGuid().ToString("N"),
        EventType = "ingestion",
        DateTime = dateTime,
        Agent = new Producer("archive-test", "1", "host", "user"),
        Outcome = "success",
        Detail = detail,
    };

    // ---- InitAsync ----

    [Fact]
    public async Task Init_LocationThatIsAnArchive_IsAConflictNamingItsDeclarationAndWritesNothing()
    {
        await InitAsync();
        List<string> before = await KeysAsync();

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.InitAsync(Store(), null, default));

        Assert.Equal(FailureKind.Conflict, e.Kind);
        Assert.Contains($"{Location} is already an archive ({ArchiveLayout.Declaration})", e.Message);
        Assert.Equal(before, await KeysAsync());
    }

    [Fact]
    public async Task Init_ArchiveHoldingAKeyThatSortsBeforeItsDeclaration_IsStillAConflict()
    {
        await InitAsync();
        WriteFile(".DS_Store", "a desktop's leftovers"u8.ToArray());
        List<string> before = await KeysAsync();

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.InitAsync(Store(), null, default));

        Assert.Equal(FailureKind.Conflict, e.Kind);
        Assert.Contains($"is already an archive ({ArchiveLayout.Declaration})", e.Message);
        Assert.Equal(before, await KeysAsync());
    }

    [Fact]
    public async Task Init_AnotherInitWritesItsDescriptorFirst_IsAConflictAndDeclaresNothing()
    {
        // Two inits racing on one empty location: the one whose archive.json is not created must not go on to
        // declare an archive whose descriptor on disk is the other's.
        var racing = new AnsweringStore(Store()) { PutAnswer = key => key == ArchiveLayout.Descriptor ? false : null };

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.InitAsync(racing, null, default));

        Assert.Equal(FailureKind.Conflict, e.Kind);
        Assert.Contains("another process is making an archive here", e.Message);
        Assert.DoesNotContain(ArchiveLayout.Declaration, await KeysAsync());
    }

    [Fact]
    public async Task Init_LocationDeclaringAnotherFormat_IsAConflictNamingThatDeclarationAndWritesNothing()
    {
        WriteFile("0=cernvm-preserve_2", "cernvm-preserve_2\n"u8.ToArray());
        List<string> before = await KeysAsync();

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.InitAsync(Store(), null, default));

        Assert.Equal(FailureKind.Conflict, e.Kind);
        Assert.Contains($"{Location} is already an archive (0=cernvm-preserve_2)", e.Message);
        Assert.Equal(before, await KeysAsync());
    }

    [Fact]
    public async Task Init_LocationHoldingOtherFiles_IsAUsageErrorNamingOneAndWritesNothing()
    {
        WriteFile("notes.txt", "not an archive"u8.ToArray());

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.InitAsync(Store(), null, default));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains($"{Location} is not empty (it holds notes.txt)", e.Message);
        Assert.Equal(["notes.txt"], await KeysAsync());
    }

    [Fact]
    public async Task Init_LocationHoldingSeveralFiles_IsAUsageErrorNamingTheFirstListed()
    {
        // Three keys, so that the first listed, the last listed and any other are told apart.
        WriteFile("notes.txt", "not an archive"u8.ToArray());
        WriteFile("logs/old.log", "an old log"u8.ToArray());
        WriteFile("zeta.bin", "some data"u8.ToArray());

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.InitAsync(Store(), null, default));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Equal($"{Location} is not empty (it holds logs/old.log); an archive is made in an empty or new location.", e.Message);
        Assert.Equal(["logs/old.log", "notes.txt", "zeta.bin"], await KeysAsync());
    }

    [Fact]
    public async Task Init_LocationHoldingSeveralDeclarationsAmongOtherFiles_IsAConflictNamingTheFirstDeclaration()
    {
        // A key that sorts before the declarations, two declarations, and a key after them: only the first
        // declaration is named, neither the key before it nor the other declaration.
        WriteFile(".DS_Store", "a desktop's leftovers"u8.ToArray());
        WriteFile("0=cernvm-preserve_2", "cernvm-preserve_2\n"u8.ToArray());
        WriteFile("0=cernvm-preserve_3", "cernvm-preserve_3\n"u8.ToArray());
        WriteFile("notes.txt", "not an archive"u8.ToArray());
        List<string> before = await KeysAsync();

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.InitAsync(Store(), null, default));

        Assert.Equal(FailureKind.Conflict, e.Kind);
        Assert.Equal($"{Location} is already an archive (0=cernvm-preserve_2); nothing was changed.", e.Message);
        Assert.Equal(before, await KeysAsync());
    }

    [Fact]
    public async Task Init_Descriptor_HasAGuidIdInDFormatAndTheRetentionGiven()
    {
        await using Archive archive = await Archive.InitAsync(Store(), new RetentionDescriptor { Mode = "compliance", Days = 3650 }, default);

        ArchiveDescriptor written = CanonicalJson.Deserialize<ArchiveDescriptor>(ReadFile(ArchiveLayout.Descriptor), ArchiveLayout.Descriptor);
        Assert.True(Guid.TryParseExact(written.Id, "D", out Guid id), $"id '{written.Id}' is not a GUID in D format");
        Assert.NotEqual(Guid.Empty, id);
        Assert.Equal(written.Id, archive.Descriptor.Id);
        Assert.Equal(("compliance", 3650), (written.Retention!.Mode, written.Retention.Days));
        Assert.Equal((1, "cernvm-preserve", "sha256", "zstd"), (written.Format, written.FormatName, written.Hash, written.Compression));
    }

    [Fact]
    public async Task Init_EmptyLocation_WritesTheDocumentsSchemasDescriptorAndDeclarationWithTheirExactBytes()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);

        Assert.Equal(
            OtherInitKeys.Append(ArchiveLayout.Declaration).Order(StringComparer.Ordinal),
            await KeysAsync());
        Assert.Equal(EmbeddedFiles.FormatDocument, ReadFile(ArchiveLayout.FormatDocument));
        Assert.Equal(EmbeddedFiles.ManifestSchema, ReadFile(ArchiveLayout.ManifestSchema));
        Assert.Equal(EmbeddedFiles.EventSchema, ReadFile(ArchiveLayout.EventSchema));
        Assert.Equal(EmbeddedFiles.CatalogDdl, ReadFile(ArchiveLayout.CatalogDdl));
        Assert.Equal(CanonicalJson.Serialize(archive.Descriptor), ReadFile(ArchiveLayout.Descriptor));
        Assert.Equal("cernvm-preserve_1\n", Encoding.ASCII.GetString(ReadFile(ArchiveLayout.Declaration)));
    }

    [Fact]
    public async Task Init_DirectoryArchive_MakesThe256BlobLevels_EmptyAndHoldingNoKey()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);

        string[] levels = Directory.GetDirectories(PathOf("blobs/sha256"));
        Assert.Equal(Enumerable.Range(0, 256).Select(i => i.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)), levels.Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.All(levels, l => Assert.Empty(Directory.EnumerateFileSystemEntries(l)));
        Assert.DoesNotContain(await KeysAsync(), k => k.StartsWith("blobs/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Init_Writes_TheDeclarationLastAfterAFlush()
    {
        var log = new List<StoreCall>();

        await using Archive archive = await Archive.InitAsync(new FaultingStore(Store(), log), null, default);

        List<StoreCall> writes = CommitFaults.Writes(log);
        string order = string.Join("\n", log);
        Assert.True(
            writes.Select(c => c.Op).SequenceEqual([StoreOp.Put, StoreOp.Put, StoreOp.Put, StoreOp.Put, StoreOp.Put, StoreOp.Flush, StoreOp.Put, StoreOp.Flush]),
            "five puts, a flush, the declaration, a flush:\n" + order);
        Assert.Equal(OtherInitKeys.Order(StringComparer.Ordinal), writes.Take(5).Select(c => c.Key).Order(StringComparer.Ordinal));
        Assert.All(writes.Where(c => c.Op == StoreOp.Put), c => Assert.True(c.Created));
        Assert.Equal(ArchiveLayout.Declaration, writes[6].Key);
    }

    // ---- OpenAsync ----

    [Fact]
    public async Task Open_WholeArchive_HasTheDescriptorInitWroteAndTheCompressionLevelAsked()
    {
        string id;
        await using (Archive created = await Archive.InitAsync(Store(), null, default))
        {
            id = created.Descriptor.Id;
        }

        await using Archive archive = await Archive.OpenAsync(Store(), default, compressionLevel: 7);

        Assert.Equal(id, archive.Descriptor.Id);
        Assert.Equal(7, archive.Blobs.CompressionLevel);
        Assert.Equal(Location, archive.Location);
    }

    [Fact]
    public async Task Open_LocationWithoutDeclaration_IsNotAnArchiveNamingTheLocationAndInit()
    {
        WriteFile("notes.txt", "not an archive"u8.ToArray());

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.OpenAsync(Store(), default));

        Assert.Equal(FailureKind.NotAnArchive, e.Kind);
        Assert.Contains($"{Location} is not a CernVM.Preserve archive (no {ArchiveLayout.Declaration} file)", e.Message);
        Assert.Contains($"'cvmpreserve init {Location}'", e.Message);
    }

    [Fact]
    public async Task Open_DeclarationOfAnotherFormat_IsNotAnArchiveNamingThatDeclaration()
    {
        await InitAsync();
        File.Move(PathOf(ArchiveLayout.Declaration), PathOf("0=cernvm-preserve_2"));

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.OpenAsync(Store(), default));

        Assert.Equal(FailureKind.NotAnArchive, e.Kind);
        Assert.Contains($"{Location}: the archive is of format 2 (0=cernvm-preserve_2); this software reads format 1", e.Message);
    }

    [Fact]
    public async Task Open_SeveralDeclarationsOfOtherFormats_IsNotAnArchiveNamingTheFirst()
    {
        // A key that sorts before the declarations, so that a listing of the whole location would name it.
        await InitAsync();
        File.Move(PathOf(ArchiveLayout.Declaration), PathOf("0=cernvm-preserve_2"));
        WriteFile("0=cernvm-preserve_3", "cernvm-preserve_3\n"u8.ToArray());
        WriteFile(".DS_Store", "a desktop's leftovers"u8.ToArray());

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.OpenAsync(Store(), default));

        Assert.Equal(FailureKind.NotAnArchive, e.Kind);
        Assert.Equal($"{Location}: the archive is of format 2 (0=cernvm-preserve_2); this software reads format 1. Use a newer cvmpreserve.", e.Message);
    }

    [Fact]
    public async Task Open_DescriptorMissing_IsIntegrityNamingIt()
    {
        await InitAsync();
        DeleteFile(ArchiveLayout.Descriptor);

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.OpenAsync(Store(), default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains($"{Location}/archive.json is missing", e.Message);
    }

    [Fact]
    public async Task Open_DescriptorNotJson_IsIntegrityNamingIt()
    {
        await InitAsync();
        WriteFile(ArchiveLayout.Descriptor, "not json"u8.ToArray());

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.OpenAsync(Store(), default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.StartsWith($"{Location}/archive.json: not valid JSON (", e.Message);
    }

    [Fact]
    public async Task Open_DescriptorHoldingNull_IsIntegrityNamingIt()
    {
        await InitAsync();
        WriteFile(ArchiveLayout.Descriptor, "null"u8.ToArray());

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.OpenAsync(Store(), default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Equal($"{Location}/archive.json: the file holds 'null', not a JSON object.", e.Message);
    }

    [Fact]
    public async Task Open_DescriptorOfANewerFormat_IsNotAnArchive()
    {
        await InitAsync();
        RewriteDescriptor(d => d.Format = ArchiveLayout.FormatVersion + 1);

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.OpenAsync(Store(), default));

        Assert.Equal(FailureKind.NotAnArchive, e.Kind);
        Assert.Contains($"{Location}/archive.json: format cernvm-preserve 2; this software reads cernvm-preserve 1", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task Open_DescriptorOfAFormatBelowOne_IsNotAnArchive(int format)
    {
        await InitAsync();
        RewriteDescriptor(d => d.Format = format);

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.OpenAsync(Store(), default));

        Assert.Equal(FailureKind.NotAnArchive, e.Kind);
        Assert.Contains($"{Location}/archive.json: format cernvm-preserve {format};", e.Message);
    }

    [Fact]
    public async Task Open_DescriptorOfAnotherFormatName_IsNotAnArchive()
    {
        await InitAsync();
        RewriteDescriptor(d => d.FormatName = "ocfl");

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.OpenAsync(Store(), default));

        Assert.Equal(FailureKind.NotAnArchive, e.Kind);
        Assert.Contains($"{Location}/archive.json: format ocfl 1;", e.Message);
    }

    [Fact]
    public async Task Open_DescriptorWithAnotherHash_IsNotAnArchive()
    {
        await InitAsync();
        RewriteDescriptor(d => d.Hash = "blake3");

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.OpenAsync(Store(), default));

        Assert.Equal(FailureKind.NotAnArchive, e.Kind);
        Assert.Contains($"{Location}/archive.json: hash 'blake3' and compression 'zstd' are not those of format 1", e.Message);
    }

    [Fact]
    public async Task Open_DescriptorWithAnotherCompression_IsNotAnArchive()
    {
        await InitAsync();
        RewriteDescriptor(d => d.Compression = "xz");

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => Archive.OpenAsync(Store(), default));

        Assert.Equal(FailureKind.NotAnArchive, e.Kind);
        Assert.Contains($"{Location}/archive.json: hash 'sha256' and compression 'xz' are not those of format 1", e.Message);
    }

    // ---- ListCapsulesAsync ----

    [Fact]
    public async Task ListCapsules_CapsulesAndStrayKeys_ListsTheValidNamesInOrder()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        await CommitAsync(archive, "beta", "b");
        await CommitAsync(archive, "alpha", "a");
        await archive.Store.PutIfAbsentAsync("capsules/readme", "a file beside the capsules"u8.ToArray(), default);
        await archive.Store.PutIfAbsentAsync("capsules/Not_A_Name/v1/manifest.json", "{}\n"u8.ToArray(), default);
        await archive.Store.PutIfAbsentAsync("capsules/gamma/notes.txt", "beside the version directories"u8.ToArray(), default);
        await archive.Store.PutIfAbsentAsync("capsules/delta/draft/manifest.json", "{}\n"u8.ToArray(), default);
        await archive.Store.PutIfAbsentAsync("capsules/epsilon/x1/manifest.json", "{}\n"u8.ToArray(), default); // not v1
        await archive.Store.PutIfAbsentAsync("capsules/zeta/v/manifest.json", "{}\n"u8.ToArray(), default);
        await archive.Store.PutIfAbsentAsync("capsules/eta/v0/manifest.json", "{}\n"u8.ToArray(), default);

        IReadOnlyList<CapsuleName> names = await archive.ListCapsulesAsync(default);

        Assert.Equal(["alpha", "beta"], names.Select(n => n.Value));
    }

    // ---- ResolveAsync and PeekCatalogAsync ----

    [Fact]
    public async Task Resolve_NameAlone_ReadsTheNewestCompleteVersion()
    {
        await using Archive archive = await AlphaWithAnInterruptedV3Async();

        LoadedManifest m = await archive.ResolveAsync(new CapsuleRef(Alpha, null), default);

        Assert.Equal((2, "second"), (m.Version, m.Manifest.Tree.Source));
    }

    [Fact]
    public async Task Resolve_GivenVersion_ReadsThatVersion()
    {
        await using Archive archive = await AlphaWithAnInterruptedV3Async();

        LoadedManifest m = await archive.ResolveAsync(new CapsuleRef(Alpha, 1), default);

        Assert.Equal((1, "first"), (m.Version, m.Manifest.Tree.Source));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(ReadFile(ArchiveLayout.Manifest(Alpha, 1)))), m.Sha256);
    }

    [Fact]
    public async Task Resolve_UnknownCapsule_IsNotFoundNamingIt()
    {
        await using Archive archive = await AlphaWithAnInterruptedV3Async();

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => archive.ResolveAsync(CapsuleRef.Parse("ghost"), default));

        Assert.Equal(FailureKind.NotFound, e.Kind);
        Assert.Contains($"{Location}: there is no capsule 'ghost'", e.Message);
    }

    [Fact]
    public async Task Resolve_VersionThatDoesNotExist_IsNotFoundListingTheVersionsThereAre()
    {
        await using Archive archive = await AlphaWithAnInterruptedV3Async();

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => archive.ResolveAsync(CapsuleRef.Parse("alpha@v7"), default));

        Assert.Equal(FailureKind.NotFound, e.Kind);
        Assert.Contains($"{Location}: capsule 'alpha' has no version v7 (it has v1, v2, v3)", e.Message);
    }

    [Fact]
    public async Task Resolve_VersionNeverCompleted_IsNotFoundNamingIt()
    {
        await using Archive archive = await AlphaWithAnInterruptedV3Async();

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => archive.ResolveAsync(CapsuleRef.Parse("alpha@v3"), default));

        Assert.Equal(FailureKind.NotFound, e.Kind);
        Assert.Contains($"{Location}/capsules/alpha/v3/: this version was never completed", e.Message);
    }

    [Fact]
    public async Task Resolve_CapsuleWithoutACompleteVersion_IsNotFound()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        await CommitAsync(archive, "beta", "interrupted");
        DeleteFile(ArchiveLayout.ManifestSidecar(CapsuleName.Parse("beta"), 1));

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => archive.ResolveAsync(CapsuleRef.Parse("beta"), default));

        Assert.Equal(FailureKind.NotFound, e.Kind);
        Assert.Contains($"{Location}: capsule 'beta' has no complete version", e.Message);
    }

    [Fact]
    public async Task PeekCatalog_NameAlone_GivesTheNewestCompleteVersionAndItsCatalog()
    {
        await using Archive archive = await AlphaWithAnInterruptedV3Async();

        (int Version, BlobId Catalog)? peeked = await archive.PeekCatalogAsync(new CapsuleRef(Alpha, null), default);

        Assert.Equal<(int, BlobId)?>((2, BlobId.Of(CatalogContent("alpha", "second"))), peeked);
    }

    [Fact]
    public async Task PeekCatalog_GivenVersion_GivesThatVersionAndItsCatalog()
    {
        await using Archive archive = await AlphaWithAnInterruptedV3Async();

        (int Version, BlobId Catalog)? peeked = await archive.PeekCatalogAsync(new CapsuleRef(Alpha, 1), default);

        Assert.Equal<(int, BlobId)?>((1, BlobId.Of(CatalogContent("alpha", "first"))), peeked);
    }

    [Theory]
    [InlineData("ghost")]
    [InlineData("alpha@v7")]
    [InlineData("alpha@v3")]
    public async Task PeekCatalog_NoSuchCompleteVersion_IsNull(string reference)
    {
        await using Archive archive = await AlphaWithAnInterruptedV3Async();

        Assert.Null(await archive.PeekCatalogAsync(CapsuleRef.Parse(reference), default));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("{\"tree\": \"catalog\"}")]
    [InlineData("{\"tree\": {}}")]
    [InlineData("{\"tree\": {\"catalog\": 42}}")]
    [InlineData("{\"tree\": {\"catalog\": \"not a blob id\"}}")]
    public async Task PeekCatalog_ManifestWithoutAUsableCatalog_IsNull(string manifest)
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        CapsuleName odd = CapsuleName.Parse("odd");
        await archive.Store.PutIfAbsentAsync(ArchiveLayout.Manifest(odd, 1), Encoding.UTF8.GetBytes(manifest), default);
        await archive.Store.PutIfAbsentAsync(ArchiveLayout.ManifestSidecar(odd, 1), ManifestCodec.Sidecar(Encoding.UTF8.GetBytes(manifest)), default);

        Assert.Null(await archive.PeekCatalogAsync(new CapsuleRef(odd, null), default));
    }

    // ---- ReadManifestAsync ----

    [Fact]
    public async Task ReadManifest_SignedVersion_GivesTheManifestAndItsVerifiedSignature()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        await CommitAsync(archive, "alpha", "first", Curator);

        LoadedManifest m = await archive.ReadManifestAsync(Alpha, 1, default);

        Assert.Equal(("alpha", 1, "first"), (m.Manifest.Capsule, m.Manifest.Version, m.Manifest.Tree.Source));
        Assert.Equal(ReadFile(ArchiveLayout.Manifest(Alpha, 1)), m.Bytes);
        Assert.NotNull(m.Signature);
        Assert.True(m.Signature.Verify(m.Bytes));
    }

    [Fact]
    public async Task ReadManifest_UnsignedVersion_HasNoSignature()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        await CommitAsync(archive, "alpha", "first");

        LoadedManifest m = await archive.ReadManifestAsync(Alpha, 1, default);

        Assert.Equal("first", m.Manifest.Tree.Source);
        Assert.Null(m.Signature);
    }

    [Fact]
    public async Task ReadManifest_ManifestMissing_IsIntegrityNamingIt()
    {
        await using Archive archive = await AlphaWithAnInterruptedV3Async();

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => archive.ReadManifestAsync(Alpha, 5, default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains($"{Location}/capsules/alpha/v5/manifest.json is missing", e.Message);
    }

    [Fact]
    public async Task ReadManifest_SidecarMissing_IsNotFoundNeverCompleted()
    {
        await using Archive archive = await AlphaWithAnInterruptedV3Async();

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => archive.ReadManifestAsync(Alpha, 3, default));

        Assert.Equal(FailureKind.NotFound, e.Kind);
        Assert.Contains($"{Location}/capsules/alpha/v3/manifest.json.sha256 is missing: the version was never completed", e.Message);
    }

    [Fact]
    public async Task ReadManifest_SidecarNotASha256sumLine_IsIntegrity()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        await CommitAsync(archive, "alpha", "first");
        WriteFile(ArchiveLayout.ManifestSidecar(Alpha, 1), "the manifest is fine\n"u8.ToArray());

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => archive.ReadManifestAsync(Alpha, 1, default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains($"{Location}/capsules/alpha/v1/manifest.json.sha256 is not a sha256sum line", e.Message);
    }

    [Fact]
    public async Task ReadManifest_SidecarOfOtherBytes_IsIntegrityNamingBothHashes()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        await CommitAsync(archive, "alpha", "first");
        string actual = Convert.ToHexStringLower(SHA256.HashData(ReadFile(ArchiveLayout.Manifest(Alpha, 1))));
        string claimed = Convert.ToHexStringLower(SHA256.HashData("another manifest"u8));
        WriteFile(ArchiveLayout.ManifestSidecar(Alpha, 1), ManifestCodec.Sidecar("another manifest"u8.ToArray()));

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => archive.ReadManifestAsync(Alpha, 1, default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains($"{Location}/capsules/alpha/v1/manifest.json: SHA-256 is {actual} but its sidecar says {claimed}", e.Message);
    }

    [Fact]
    public async Task ReadManifest_ManifestOfAnotherCapsuleSameVersion_IsIntegrity()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        await CommitAsync(archive, "alpha", "first");
        CapsuleName beta = CapsuleName.Parse("beta");
        WriteFile(ArchiveLayout.Manifest(beta, 1), ReadFile(ArchiveLayout.Manifest(Alpha, 1)));
        WriteFile(ArchiveLayout.ManifestSidecar(beta, 1), ReadFile(ArchiveLayout.ManifestSidecar(Alpha, 1)));

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => archive.ReadManifestAsync(beta, 1, default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains($"{Location}/capsules/beta/v1/manifest.json: it names alpha@v1, not the place it is stored at", e.Message);
    }

    [Fact]
    public async Task ReadManifest_ManifestOfAnotherVersionSameCapsule_IsIntegrity()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        await CommitAsync(archive, "alpha", "first");
        WriteFile(ArchiveLayout.Manifest(Alpha, 2), ReadFile(ArchiveLayout.Manifest(Alpha, 1)));
        WriteFile(ArchiveLayout.ManifestSidecar(Alpha, 2), ReadFile(ArchiveLayout.ManifestSidecar(Alpha, 1)));

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => archive.ReadManifestAsync(Alpha, 2, default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains($"{Location}/capsules/alpha/v2/manifest.json: it names alpha@v1, not the place it is stored at", e.Message);
    }

    [Fact]
    public async Task ReadManifest_SignatureOfAnotherManifest_IsIntegrity()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        await CommitAsync(archive, "alpha", "first", Curator);
        await CommitAsync(archive, "alpha", "second", Curator);
        WriteFile(ArchiveLayout.ManifestSignature(Alpha, 2), ReadFile(ArchiveLayout.ManifestSignature(Alpha, 1)));

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => archive.ReadManifestAsync(Alpha, 2, default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains($"{Location}/capsules/alpha/v2/manifest.json.sig: the Ed25519 signature does not verify", e.Message);
    }

    [Fact]
    public async Task ReadManifest_SignatureOfAnotherAlgorithm_IsIntegrityNamingIt()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        await CommitAsync(archive, "alpha", "first", Curator);
        string sig = System.Text.Encoding.UTF8.GetString(ReadFile(ArchiveLayout.ManifestSignature(Alpha, 1)));
        Assert.Contains("\"algorithm\": \"Ed25519\"", sig, StringComparison.Ordinal);
        WriteFile(ArchiveLayout.ManifestSignature(Alpha, 1), System.Text.Encoding.UTF8.GetBytes(sig.Replace("\"Ed25519\"", "\"RSA-PSS\"", StringComparison.Ordinal)));

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => archive.ReadManifestAsync(Alpha, 1, default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains($"{Location}/capsules/alpha/v1/manifest.json.sig: a signature of algorithm 'RSA-PSS', which format 1 does not define", e.Message);
    }

    [Fact]
    public async Task ReadManifest_SignatureNotJson_IsIntegrityNamingTheSignatureFile()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        await CommitAsync(archive, "alpha", "first", Curator);
        WriteFile(ArchiveLayout.ManifestSignature(Alpha, 1), "not json"u8.ToArray());

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => archive.ReadManifestAsync(Alpha, 1, default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.StartsWith($"{Location}/capsules/alpha/v1/manifest.json.sig: not valid JSON (", e.Message);
    }

    [Fact]
    public async Task ReadManifest_SignatureHoldingNull_IsIntegrityNamingTheSignatureFile()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        await CommitAsync(archive, "alpha", "first", Curator);
        WriteFile(ArchiveLayout.ManifestSignature(Alpha, 1), "null"u8.ToArray());

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => archive.ReadManifestAsync(Alpha, 1, default));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Equal($"{Location}/capsules/alpha/v1/manifest.json.sig: the file holds 'null', not a JSON object.", e.Message);
    }

    // ---- CommitAsync ----

    [Fact]
    public async Task Commit_AfterTheFirstVersionsWereRemoved_TakesTheNumberAfterTheNewest()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        for (int i = 1; i <= 3; i++)
        {
            await CommitAsync(archive, "alpha", $"v{i}");
        }

        foreach (int v in new[] { 1, 2 })
        {
            foreach (string file in Directory.GetFiles(PathOf(ArchiveLayout.VersionPrefix(Alpha, v))))
            {
                File.Delete(file);
            }
        }

        LoadedManifest m = await CommitAsync(archive, "alpha", "after the removal");

        Assert.Equal(4, m.Version);
        Assert.Equal(4, m.Manifest.Version);
        Assert.True(File.Exists(PathOf(ArchiveLayout.ManifestSidecar(Alpha, 4))));
        Assert.False(File.Exists(PathOf(ArchiveLayout.Manifest(Alpha, 1))));
    }

    [Fact]
    public async Task Commit_EveryVersionNumberTaken_IsAConflictAfterBoundedTriesAndWritesNoVersion()
    {
        await InitAsync();
        List<string> before = await KeysAsync();
        var log = new List<StoreCall>();
        var store = new FaultingStore(
            new AnsweringStore(Store()) { PutAnswer = key => key.EndsWith("/manifest.json", StringComparison.Ordinal) ? false : null },
            log);
        await using Archive archive = await Archive.OpenAsync(store, default);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        Task<LoadedManifest> commit = Task.Run(() => archive.CommitAsync(Draft("alpha", "never stored", BlobId.Of("catalog"u8)), null, timeout.Token));
        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => commit.WaitAsync(TimeSpan.FromSeconds(90)));

        Assert.Equal(FailureKind.Conflict, e.Kind);
        Assert.Contains($"{Location}: could not claim a version number for 'alpha' after many tries", e.Message);
        List<string> tried = log.Where(c => c.Op == StoreOp.Put).Select(c => c.Key).ToList();
        Assert.InRange(tried.Count, 2, 1002);
        Assert.Equal(Enumerable.Range(1, tried.Count).Select(v => ArchiveLayout.Manifest(Alpha, v)), tried);
        Assert.Equal(before, await KeysAsync());
    }

    // ---- WriteEventAsync ----

    [Fact]
    public async Task WriteEvent_NoPreviousEventGiven_LinksToTheNewestEvent()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        PreservationEvent first = Event("2025-01-01T00:00:00.0000000Z", "first");
        await archive.WriteEventAsync(first, default);
        PreservationEvent second = Event("2025-01-02T00:00:00.0000000Z", "second");

        await archive.WriteEventAsync(second, default);

        PreservationEvent stored = CanonicalJson.Deserialize<PreservationEvent>(ReadFile(second.Key), second.Key);
        Assert.Equal(new EventLink(first.Key, Convert.ToHexStringLower(SHA256.HashData(ReadFile(first.Key)))), stored.PreviousEvent);
    }

    [Fact]
    public async Task WriteEvent_PreviousEventAlreadyGiven_KeepsIt()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        await archive.WriteEventAsync(Event("2025-01-01T00:00:00.0000000Z", "first"), default);
        var given = new EventLink($"journal/2024/20240101T000000.0000000Z-{new string('c', 32)}.json", new string('d', 64));
        PreservationEvent second = Event("2025-01-02T00:00:00.0000000Z", "second");
        second.PreviousEvent = given;

        await archive.WriteEventAsync(second, default);

        PreservationEvent stored = CanonicalJson.Deserialize<PreservationEvent>(ReadFile(second.Key), second.Key);
        Assert.Equal(given, stored.PreviousEvent);
    }

    [Fact]
    public async Task WriteEvent_Put_IsFlushedBeforeItReturns()
    {
        await InitAsync();
        var log = new List<StoreCall>();
        await using Archive archive = await Archive.OpenAsync(new FaultingStore(Store(), log), default);
        PreservationEvent e = Event("2025-01-01T00:00:00.0000000Z", "flushed");

        await archive.WriteEventAsync(e, default);

        string order = string.Join("\n", log);
        Assert.True(log[^2] is { Op: StoreOp.Put, Created: true } && log[^2].Key == e.Key, "the event's put, then a flush:\n" + order);
        Assert.True(log[^1].Op == StoreOp.Flush, "the event's put, then a flush:\n" + order);
    }

    /// <summary>An archive owns the store it was given: its disposal disposes the store, which abandons what was staged and never flushed.</summary>
    [Fact]
    public async Task Dispose_DisposesTheStore_StagedBlobAbandoned()
    {
        Archive archive = await Archive.InitAsync(Store(), null, default);
        (BlobId id, _) = await archive.Blobs.PutAsync("staged, never flushed"u8.ToArray(), default);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_root, "tmp")));

        await archive.DisposeAsync();

        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "tmp")));
        Assert.False(File.Exists(Path.Combine(_root, id.Key)));
    }

    [Fact]
    public async Task WriteEvent_EventFailingItsSchema_IsRefusedAndWritesNothing()
    {
        await using Archive archive = await Archive.InitAsync(Store(), null, default);
        List<string> before = await KeysAsync();
        PreservationEvent bad = Event("2025-01-01T00:00:00.0000000Z", "bad");
        bad.EventType = "celebration";

        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => archive.WriteEventAsync(bad, default));

        Assert.Contains("Refusing to write an event that fails its schema", e.Message);
        Assert.Contains("/eventType", e.Message);
        Assert.Equal(before, await KeysAsync());
    }
}
