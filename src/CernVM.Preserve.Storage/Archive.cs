using System.Security.Cryptography;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Storage;

/// <summary>A capsule version as found in the archive.</summary>
/// <param name="Complete">True when the sidecar exists (FORMAT.md §5.1: only then does the version exist).</param>
public sealed record VersionListing(CapsuleName Capsule, int Version, bool Complete, bool Signed);

/// <summary>A version directory as <see cref="Archive.ListVersionDirectoriesAsync(CapsuleScan, IReadOnlyDictionary{CapsuleName, string}, CancellationToken)"/> found it.</summary>
/// <param name="Complete">Whether the version is complete (FORMAT.md §5.1) when the listing saw the directory's files; null when it read the directory's name only.</param>
public sealed record VersionDirectory(CapsuleName Capsule, int Version, bool? Complete);

/// <summary>One capsule's version directories as <see cref="Archive.ListVersionDirectoriesAsync(CapsuleScan, IReadOnlyDictionary{CapsuleName, string}, CancellationToken)"/> found them.</summary>
/// <param name="Token">The store's token of the capsule's directory (<see cref="IObjectStore.ChildrenTokenAsync"/>), or null.</param>
/// <param name="Versions">Its version directories; null when its token was the one the caller knew: they are those the caller listed when it was given that token.</param>
public sealed record CapsuleDirectories(CapsuleName Capsule, string? Token, IReadOnlyList<VersionDirectory>? Versions);

/// <summary>
/// What <see cref="Archive.ScanCapsulesAsync"/> took: on a directory, every capsule directory with its token; on
/// another store, its one flat listing. Opaque: <see cref="Archive.ListVersionDirectoriesAsync(CapsuleScan, IReadOnlyDictionary{CapsuleName, string}, CancellationToken)"/> reads it.
/// </summary>
public sealed class CapsuleScan
{
    internal CapsuleScan(IReadOnlyList<(CapsuleName Capsule, string? Token)>? capsules, IReadOnlyList<VersionListing>? flat)
    {
        Capsules = capsules;
        Flat = flat;
    }

    internal IReadOnlyList<(CapsuleName Capsule, string? Token)>? Capsules { get; }

    internal IReadOnlyList<VersionListing>? Flat { get; }
}

/// <summary>A manifest read from the archive, checked against its sidecar and its schema.</summary>
public sealed record LoadedManifest(CapsuleName Capsule, int Version, Manifest Manifest, byte[] Bytes, string Sha256, ManifestSignature? Signature);

/// <summary>
/// An opened archive: its descriptor, its blobs, its capsules. Reading and committing follow FORMAT.md;
/// nothing here ever overwrites or deletes an object.
/// </summary>
public sealed class Archive : IAsyncDisposable
{
    private readonly ArchiveListing _listing;

    private Archive(IObjectStore store, ArchiveDescriptor descriptor, int compressionLevel)
    {
        Store = store;
        Descriptor = descriptor;
        Blobs = new BlobStore(store, compressionLevel);
        _listing = new ArchiveListing(store);
    }

    public IObjectStore Store { get; }

    public ArchiveDescriptor Descriptor { get; }

    public BlobStore Blobs { get; }

    public string Location => Store.Location;

    /// <summary>
    /// Makes a new archive: declaration, FORMAT.md, archive.json and the schemas (FORMAT.md §2). The location
    /// must hold no archive yet.
    /// </summary>
    /// <exception cref="PreserveException">Already an archive (Conflict), or not empty (Usage).</exception>
    public static async Task<Archive> InitAsync(IObjectStore store, RetentionDescriptor? retention, CancellationToken cancellationToken)
    {
        // A declaration anywhere in the listing makes it an archive already, whatever sorts before it.
        string? held = null;
        await foreach (string key in store.ListAsync("", cancellationToken).ConfigureAwait(false))
        {
            if (key.StartsWith(ArchiveLayout.DeclarationPrefix, StringComparison.Ordinal))
            {
                throw new PreserveException(FailureKind.Conflict, $"{store.Location} is already an archive ({key}); nothing was changed.");
            }

            held ??= key;
        }

        if (held is not null)
        {
            throw new PreserveException(
                FailureKind.Usage,
                $"{store.Location} is not empty (it holds {held}); an archive is made in an empty or new location.");
        }

        var descriptor = new ArchiveDescriptor
        {
            Id = Guid.NewGuid().ToString("D"),
            Created = ArchiveTime.Format(DateTimeOffset.UtcNow),
            Retention = retention,
        };

        // FORMAT.md §2: the declaration is written last, so a location is an archive only once it is whole.
        await store.PutIfAbsentAsync(ArchiveLayout.FormatDocument, EmbeddedFiles.FormatDocument, cancellationToken).ConfigureAwait(false);
        await store.PutIfAbsentAsync(ArchiveLayout.ManifestSchema, EmbeddedFiles.ManifestSchema, cancellationToken).ConfigureAwait(false);
        await store.PutIfAbsentAsync(ArchiveLayout.EventSchema, EmbeddedFiles.EventSchema, cancellationToken).ConfigureAwait(false);
        await store.PutIfAbsentAsync(ArchiveLayout.CatalogDdl, EmbeddedFiles.CatalogDdl, cancellationToken).ConfigureAwait(false);
        if (!await store.PutIfAbsentAsync(ArchiveLayout.Descriptor, CanonicalJson.Serialize(descriptor), cancellationToken).ConfigureAwait(false))
        {
            // Another init got here between our listing and now: its archive.json stands, not ours.
            throw new PreserveException(FailureKind.Conflict, $"{store.Location}: another process is making an archive here at the same time (its {ArchiveLayout.Descriptor} is there); open that one.");
        }

        // The blob levels, where a store has directories: a snapshot's blobs spread over all 256 of them, and made at
        // its end, one after the other, they were the largest part of a first snapshot's end (docs/benchmarks.md).
        await store.PrepareLevelsAsync(BlobId.KeyLevels, cancellationToken).ConfigureAwait(false);
        await store.FlushAsync(cancellationToken).ConfigureAwait(false);
        await store.PutIfAbsentAsync(ArchiveLayout.Declaration, System.Text.Encoding.ASCII.GetBytes(ArchiveLayout.DeclarationContent), cancellationToken).ConfigureAwait(false);
        await store.FlushAsync(cancellationToken).ConfigureAwait(false);
        return new Archive(store, descriptor, 3);
    }

    /// <summary>Opens an existing archive, refusing anything that is not one, or one of a newer format.</summary>
    /// <exception cref="PreserveException">Kind NotAnArchive, naming the location and what is wrong.</exception>
    public static async Task<Archive> OpenAsync(IObjectStore store, CancellationToken cancellationToken, int compressionLevel = 3)
    {
        if (!await store.ExistsAsync(ArchiveLayout.Declaration, cancellationToken).ConfigureAwait(false))
        {
            string? other = null;
            await foreach (string key in store.ListAsync(ArchiveLayout.DeclarationPrefix, cancellationToken).ConfigureAwait(false))
            {
                other = key;
                break;
            }

            if (other is not null)
            {
                throw new PreserveException(
                    FailureKind.NotAnArchive,
                    $"{store.Location}: the archive is of format {other[ArchiveLayout.DeclarationPrefix.Length..]} ({other}); this software reads format {ArchiveLayout.FormatVersion}. Use a newer cvmpreserve.");
            }

            throw new PreserveException(
                FailureKind.NotAnArchive,
                $"{store.Location} is not a CernVM.Preserve archive (no {ArchiveLayout.Declaration} file). Create one with 'cvmpreserve init {store.Location}'.");
        }

        byte[] json = await store.TryGetAsync(ArchiveLayout.Descriptor, cancellationToken).ConfigureAwait(false)
            ?? throw new PreserveException(FailureKind.Integrity, $"{store.Location}/{ArchiveLayout.Descriptor} is missing: the archive is damaged.");
        ArchiveDescriptor descriptor = CanonicalJson.Deserialize<ArchiveDescriptor>(json, $"{store.Location}/{ArchiveLayout.Descriptor}");
        if (descriptor.Format is < 1 or > ArchiveLayout.FormatVersion || descriptor.FormatName != "cernvm-preserve")
        {
            throw new PreserveException(
                FailureKind.NotAnArchive,
                $"{store.Location}/{ArchiveLayout.Descriptor}: format {descriptor.FormatName} {descriptor.Format}; this software reads cernvm-preserve {ArchiveLayout.FormatVersion}.");
        }

        if (descriptor.Hash != "sha256" || descriptor.Compression != "zstd")
        {
            throw new PreserveException(
                FailureKind.NotAnArchive,
                $"{store.Location}/{ArchiveLayout.Descriptor}: hash '{descriptor.Hash}' and compression '{descriptor.Compression}' are not those of format 1 (sha256, zstd).");
        }

        return new Archive(store, descriptor, compressionLevel);
    }

    /// <summary>The names of every capsule that has at least one version directory.</summary>
    public Task<IReadOnlyList<CapsuleName>> ListCapsulesAsync(CancellationToken cancellationToken) => _listing.CapsulesAsync(cancellationToken);

    /// <summary>Every version directory of a capsule, complete or not, in version order.</summary>
    public Task<IReadOnlyList<VersionListing>> ListVersionsAsync(CapsuleName name, CancellationToken cancellationToken) =>
        _listing.VersionsAsync(name, cancellationToken);

    /// <summary>
    /// Every version directory of every capsule, complete or not, by capsule name then version: what
    /// <see cref="ListCapsulesAsync"/> and <see cref="ListVersionsAsync"/> per capsule give, from one listing
    /// (a thousand capsules on S3 are one listing, not a thousand and one).
    /// </summary>
    public Task<IReadOnlyList<VersionListing>> ListAllVersionsAsync(CancellationToken cancellationToken) => _listing.AllVersionsAsync(cancellationToken);

    /// <summary>
    /// Every capsule's version directories, by capsule name then version, for a reader that keeps what it saw
    /// before (the search index) and looks inside only what is new to it. A directory archive is read level by
    /// level, without opening a version directory (<see cref="VersionDirectory.Complete"/> is then null:
    /// <see cref="IsCompleteAsync"/> tells), and a capsule whose directory still has the token in
    /// <paramref name="knownTokens"/> is not read at all (<see cref="CapsuleDirectories.Versions"/> null); other
    /// stores are read in one flat listing, which tells completeness too, and give no tokens.
    /// </summary>
    public async Task<IReadOnlyList<CapsuleDirectories>> ListVersionDirectoriesAsync(IReadOnlyDictionary<CapsuleName, string> knownTokens, CancellationToken cancellationToken) =>
        await _listing.DirectoriesAsync(await _listing.ScanAsync(cancellationToken).ConfigureAwait(false), knownTokens, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The part of <see cref="ListVersionDirectoriesAsync(IReadOnlyDictionary{CapsuleName, string}, CancellationToken)"/>
    /// that needs no known tokens (every capsule directory's token, or the flat listing), for a reader that takes
    /// it while it reads those tokens elsewhere (the search index opens itself meanwhile).
    /// </summary>
    public Task<CapsuleScan> ScanCapsulesAsync(CancellationToken cancellationToken) => _listing.ScanAsync(cancellationToken);

    /// <summary>As <see cref="ListVersionDirectoriesAsync(IReadOnlyDictionary{CapsuleName, string}, CancellationToken)"/>, from a scan taken before.</summary>
    public Task<IReadOnlyList<CapsuleDirectories>> ListVersionDirectoriesAsync(CapsuleScan scan, IReadOnlyDictionary<CapsuleName, string> knownTokens, CancellationToken cancellationToken) =>
        _listing.DirectoriesAsync(scan, knownTokens, cancellationToken);

    /// <summary>True when the version's manifest and its sidecar are both present: only then does it exist (FORMAT.md §5.1).</summary>
    public Task<bool> IsCompleteAsync(CapsuleName name, int version, CancellationToken cancellationToken) =>
        _listing.IsCompleteAsync(name, version, cancellationToken);

    /// <summary>Resolves NAME or NAME@vN to a complete version and reads its manifest.</summary>
    /// <exception cref="PreserveException">NotFound when there is no such capsule or complete version; Integrity when the manifest fails its checks.</exception>
    public async Task<LoadedManifest> ResolveAsync(CapsuleRef reference, CancellationToken cancellationToken)
    {
        VersionListing chosen = await ChooseAsync(reference, cancellationToken).ConfigureAwait(false);
        return await ReadManifestAsync(reference.Name, chosen.Version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The version <see cref="ResolveAsync"/> would choose and the tree catalog its manifest names, read
    /// without the manifest's checks (sidecar, schema, signature): lets a reader start fetching the catalog,
    /// a blob verified by its own hash, while <see cref="ResolveAsync"/> checks the manifest. Nothing read
    /// here may be used before that check passed and names the same catalog. Null when anything is amiss;
    /// <see cref="ResolveAsync"/> then says what.
    /// </summary>
    public async Task<(int Version, BlobId Catalog)?> PeekCatalogAsync(CapsuleRef reference, CancellationToken cancellationToken)
    {
        try
        {
            VersionListing chosen = await ChooseAsync(reference, cancellationToken).ConfigureAwait(false);
            byte[]? bytes = await Store.TryGetAsync(ArchiveLayout.Manifest(reference.Name, chosen.Version), cancellationToken).ConfigureAwait(false);
            if (bytes is null)
            {
                return null;
            }

            using var doc = System.Text.Json.JsonDocument.Parse(bytes);
            return doc.RootElement.TryGetProperty("tree", out System.Text.Json.JsonElement tree) &&
                   tree.ValueKind == System.Text.Json.JsonValueKind.Object &&
                   tree.TryGetProperty("catalog", out System.Text.Json.JsonElement catalog) &&
                   catalog.ValueKind == System.Text.Json.JsonValueKind.String &&
                   BlobId.TryParse(catalog.GetString()!, out BlobId id)
                ? (chosen.Version, id)
                : null;
        }
        catch (Exception e) when (e is PreserveException or StorageException or System.Text.Json.JsonException or IOException)
        {
            return null;
        }
    }

    private async Task<VersionListing> ChooseAsync(CapsuleRef reference, CancellationToken cancellationToken)
    {
        IReadOnlyList<VersionListing> versions = await ListVersionsAsync(reference.Name, cancellationToken).ConfigureAwait(false);
        if (versions.Count == 0)
        {
            throw new PreserveException(FailureKind.NotFound, $"{Location}: there is no capsule '{reference.Name}' ('cvmpreserve list' shows the capsules).");
        }

        VersionListing? chosen = reference.Version is int v
            ? versions.FirstOrDefault(x => x.Version == v)
            : versions.LastOrDefault(x => x.Complete);
        if (chosen is null)
        {
            throw new PreserveException(FailureKind.NotFound, reference.Version is null
                ? $"{Location}: capsule '{reference.Name}' has no complete version."
                : $"{Location}: capsule '{reference.Name}' has no version v{reference.Version} (it has {string.Join(", ", versions.Select(x => "v" + x.Version))}).");
        }

        if (!chosen.Complete)
        {
            throw new PreserveException(FailureKind.NotFound,
                $"{Location}/{ArchiveLayout.VersionPrefix(reference.Name, chosen.Version)}: this version was never completed (no manifest.json.sha256: its snapshot was interrupted); it does not exist.");
        }

        return chosen;
    }

    /// <summary>Reads one version's manifest and checks it against its sidecar, its schema and its signature.</summary>
    public async Task<LoadedManifest> ReadManifestAsync(CapsuleName name, int version, CancellationToken cancellationToken)
    {
        string key = ArchiveLayout.Manifest(name, version);
        string where = $"{Location}/{key}";
        byte[] bytes = await Store.TryGetAsync(key, cancellationToken).ConfigureAwait(false)
            ?? throw new PreserveException(FailureKind.Integrity, $"{where} is missing.");
        byte[] sidecar = await Store.TryGetAsync(ArchiveLayout.ManifestSidecar(name, version), cancellationToken).ConfigureAwait(false)
            ?? throw new PreserveException(FailureKind.NotFound, $"{where}.sha256 is missing: the version was never completed.");
        string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        string? expected = ManifestCodec.ParseSidecar(sidecar);
        if (expected is null)
        {
            throw new PreserveException(FailureKind.Integrity, $"{where}.sha256 is not a sha256sum line for manifest.json.");
        }

        if (expected != sha)
        {
            throw new PreserveException(FailureKind.Integrity, $"{where}: SHA-256 is {sha} but its sidecar says {expected}: the manifest was altered or damaged.");
        }

        Manifest manifest = ManifestCodec.Decode(bytes, where);
        if (manifest.Capsule != name.Value || manifest.Version != version)
        {
            throw new PreserveException(FailureKind.Integrity, $"{where}: it names {manifest.Capsule}@v{manifest.Version}, not the place it is stored at.");
        }

        ManifestSignature? signature = null;
        byte[]? sig = await Store.TryGetAsync(ArchiveLayout.ManifestSignature(name, version), cancellationToken).ConfigureAwait(false);
        if (sig is not null)
        {
            signature = CanonicalJson.Deserialize<ManifestSignature>(sig, where + ".sig");
            if (signature.Algorithm != "Ed25519")
            {
                throw new PreserveException(FailureKind.Integrity, $"{where}.sig: a signature of algorithm '{signature.Algorithm}', which format 1 does not define (FORMAT.md §5.4: Ed25519).");
            }

            if (!signature.Verify(bytes))
            {
                throw new PreserveException(FailureKind.Integrity, $"{where}.sig: the Ed25519 signature does not verify for this manifest.");
            }
        }

        return new LoadedManifest(name, version, manifest, bytes, sha, signature);
    }

    /// <summary>
    /// Commits a new version: the manifest under the next free version number, the signature, then the
    /// sidecar, then a journal event (FORMAT.md §8). The caller has stored every blob the manifest needs.
    /// Two writers racing for one number cannot both win: the manifest is created only if absent, and the
    /// loser takes the next number.
    /// </summary>
    public async Task<LoadedManifest> CommitAsync(Manifest draft, NSec.Cryptography.Key? signingKey, CancellationToken cancellationToken)
    {
        CapsuleName name = CapsuleName.Parse(draft.Capsule);

        // Blobs first and durable, before any manifest names them.
        await Store.FlushAsync(cancellationToken).ConfigureAwait(false);

        IReadOnlyList<VersionListing> versions = await ListVersionsAsync(name, cancellationToken).ConfigureAwait(false);
        int next = versions.Count == 0 ? 1 : versions[^1].Version + 1;
        for (int attempt = 0; ; attempt++)
        {
            draft.Version = next;
            byte[] bytes = ManifestCodec.Encode(draft);
            if (await Store.PutIfAbsentAsync(ArchiveLayout.Manifest(name, next), bytes, cancellationToken).ConfigureAwait(false))
            {
                ManifestSignature? signature = null;
                if (signingKey is not null)
                {
                    signature = ManifestSignature.Sign(bytes, signingKey);
                    await Store.PutIfAbsentAsync(ArchiveLayout.ManifestSignature(name, next), CanonicalJson.Serialize(signature), cancellationToken).ConfigureAwait(false);
                }

                await Store.FlushAsync(cancellationToken).ConfigureAwait(false);

                // FORMAT.md §8: the sidecar is written last, so a crash never leaves a version that looks complete.
                await Store.PutIfAbsentAsync(ArchiveLayout.ManifestSidecar(name, next), ManifestCodec.Sidecar(bytes), cancellationToken).ConfigureAwait(false);
                await Store.FlushAsync(cancellationToken).ConfigureAwait(false);
                string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
                return new LoadedManifest(name, next, draft, bytes, sha, signature);
            }

            if (attempt > 1000)
            {
                throw new PreserveException(FailureKind.Conflict, $"{Location}: could not claim a version number for '{name}' after many tries.");
            }

            next++;
        }
    }

    /// <summary>Appends an event to the journal (FORMAT.md §7), linked to the newest event before it (§7.1).</summary>
    public async Task WriteEventAsync(PreservationEvent preservationEvent, CancellationToken cancellationToken)
    {
        preservationEvent.PreviousEvent ??= await JournalChain.TailAsync(Store, cancellationToken).ConfigureAwait(false);
        byte[] bytes = CanonicalJson.Serialize(preservationEvent);
        IReadOnlyList<string> errors = ManifestCodec.ValidateEvent(bytes);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Refusing to write an event that fails its schema: " + string.Join("; ", errors));
        }

        await Store.PutIfAbsentAsync(preservationEvent.Key, bytes, cancellationToken).ConfigureAwait(false);
        await Store.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Blobs.Dispose();
        await Store.DisposeAsync().ConfigureAwait(false);
    }
}
