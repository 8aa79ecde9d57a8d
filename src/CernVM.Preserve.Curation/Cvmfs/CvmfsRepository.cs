using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// One revision of a CernVM-FS repository, read natively from its object store: catalogs, tree,
/// file content, signatures and the closure of objects the revision needs.
/// Every object is checked against its name when fetched, and every nested catalog against the
/// hash its parent records, so a walk that completes has verified the Merkle tree it read.
/// Catalogs are cached (as temporary SQLite files) until disposal; an instance is not thread-safe.
/// </summary>
public sealed class CvmfsRepository : IDisposable
{
    private readonly ICvmfsObjectSource _source;
    private readonly Dictionary<ContentHash, CvmfsCatalog> _catalogs = [];

    private CvmfsRepository(ICvmfsObjectSource source, CvmfsManifest? manifest, CvmfsSelector selector, CvmfsCatalog rootCatalog)
    {
        _source = source;
        Manifest = manifest;
        Selector = selector;
        RootCatalog = rootCatalog;
        _catalogs[rootCatalog.Hash] = rootCatalog;
    }

    /// <summary>The repository's current manifest, or null if the source has none (possible when opened by root hash).</summary>
    public CvmfsManifest? Manifest { get; }

    /// <summary>How this revision was chosen.</summary>
    public CvmfsSelector Selector { get; }

    /// <summary>The root catalog of the opened revision.</summary>
    public CvmfsCatalog RootCatalog { get; }

    /// <summary>The root catalog hash of the opened revision (suffix C).</summary>
    public ContentHash RootHash => RootCatalog.Hash;

    /// <summary>The revision number recorded in the root catalog.</summary>
    public long Revision => RootCatalog.Revision;

    /// <summary>
    /// Opens the revision chosen by <paramref name="selector"/>. The manifest is read if present; the
    /// root catalog is fetched and verified against its hash.
    /// </summary>
    /// <exception cref="CvmfsIntegrityException">A needed file or object is missing or corrupt.</exception>
    /// <exception cref="CvmfsFormatException">The manifest, history or a catalog is malformed.</exception>
    /// <exception cref="KeyNotFoundException">The tag or revision does not exist in the repository.</exception>
    public static async Task<CvmfsRepository> OpenAsync(ICvmfsObjectSource source, CvmfsSelector selector, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        byte[]? manifestBytes = await source.TryFetchFileAsync(CvmfsManifest.FileName, cancellationToken).ConfigureAwait(false);
        CvmfsManifest? manifest = manifestBytes is null ? null : CvmfsManifest.Parse(manifestBytes);
        var opened = new List<CvmfsCatalog>();
        try
        {
            CvmfsCatalog root = await ResolveAsync(source, manifest, selector, opened, cancellationToken).ConfigureAwait(false);
            opened.Remove(root);
            return new CvmfsRepository(source, manifest, selector, root);
        }
        finally
        {
            foreach (CvmfsCatalog catalog in opened)
            {
                catalog.Dispose();
            }
        }
    }

    /// <summary>Reads the history database named by the manifest, or returns null if there is none.</summary>
    public async Task<CvmfsHistory?> GetHistoryAsync(CancellationToken cancellationToken = default)
    {
        if (Manifest?.History is not ContentHash history)
        {
            return null;
        }

        byte[] bytes = await _source.FetchInflatedObjectAsync(history, cancellationToken).ConfigureAwait(false);
        return CvmfsHistory.Open(bytes, history);
    }

    /// <summary>Opens the revision recorded as <c>previous_revision</c> of the root catalog, or returns null at the start of the chain.</summary>
    /// <exception cref="CvmfsIntegrityException">The previous root catalog is missing or corrupt.</exception>
    public async Task<CvmfsRepository?> OpenPreviousRevisionAsync(CancellationToken cancellationToken = default)
    {
        return RootCatalog.PreviousRevision is ContentHash previous
            ? await OpenAsync(_source, CvmfsSelector.ForRootHash(previous), cancellationToken).ConfigureAwait(false)
            : null;
    }

    /// <summary>
    /// Streams every entry of the revision, depth first, children in ordinal name order, the root
    /// (path <c>""</c>) first. Nested catalogs are fetched as they are reached.
    /// </summary>
    /// <exception cref="CvmfsIntegrityException">A catalog is missing or corrupt, or catalogs are inconsistent
    /// (<see cref="CvmfsProblem.CatalogInconsistent"/>; use <see cref="CheckAsync"/> to list every defect instead).</exception>
    public IAsyncEnumerable<CvmfsEntry> WalkAsync(CancellationToken cancellationToken = default) =>
        WalkCoreAsync(report: null, cancellationToken);

    /// <summary>
    /// Streams every entry like <see cref="WalkAsync(CancellationToken)"/>, but reports catalog
    /// inconsistencies to <paramref name="onFinding"/> and goes on, reading what a client would see:
    /// a dangling mount point as an ordinary directory, a nested catalog over a non-empty mount point.
    /// </summary>
    /// <exception cref="CvmfsIntegrityException">The root catalog has no root entry.</exception>
    public IAsyncEnumerable<CvmfsEntry> WalkAsync(Action<CvmfsFinding> onFinding, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(onFinding);
        return WalkCoreAsync(onFinding, cancellationToken);
    }

    /// <summary>
    /// Walks the whole revision and returns every defect found instead of stopping at the first:
    /// catalog inconsistencies, and with <paramref name="readContent"/> also missing or corrupt file objects.
    /// </summary>
    public async Task<IReadOnlyList<CvmfsFinding>> CheckAsync(bool readContent, CancellationToken cancellationToken = default)
    {
        var findings = new List<CvmfsFinding>();
        await foreach (CvmfsEntry entry in WalkCoreAsync(findings.Add, cancellationToken).ConfigureAwait(false))
        {
            if (!readContent || entry.Kind != CvmfsEntryKind.File || entry.IsExternal)
            {
                continue;
            }

            try
            {
                await using Stream content = await OpenContentAsync(entry, cancellationToken).ConfigureAwait(false);
            }
            catch (CvmfsIntegrityException ex)
            {
                findings.Add(new CvmfsFinding(ToFindingCode(ex.Problem), ex.Subject, $"{entry.Path}: {ex.Message}"));
            }
        }

        return findings;
    }

    /// <summary>
    /// Reads the uncompressed content of a regular file, reassembling chunks; each object is verified
    /// against its hash, and the total against the catalog size. The stream is in memory.
    /// </summary>
    /// <exception cref="ArgumentException">The entry is not a regular file.</exception>
    /// <exception cref="CvmfsFormatException">The file is external: its content is not in the repository.</exception>
    /// <exception cref="CvmfsIntegrityException">An object is missing or corrupt, or sizes disagree.</exception>
    public async Task<Stream> OpenContentAsync(CvmfsEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Kind != CvmfsEntryKind.File)
        {
            throw new ArgumentException($"{entry.Path} is a {entry.Kind}, not a regular file.", nameof(entry));
        }

        if (entry.IsExternal)
        {
            throw new CvmfsFormatException(entry.Path, "is an external file; its content is not stored in the repository.");
        }

        var output = new MemoryStream();
        if (entry.Chunks.Count > 0)
        {
            foreach (ContentChunk chunk in entry.Chunks)
            {
                if (chunk.Offset != output.Length)
                {
                    throw new CvmfsIntegrityException(CvmfsProblem.CatalogInconsistent, chunk.Hash.ObjectName, $"chunk of {entry.Path} starts at {chunk.Offset}, expected {output.Length}.");
                }

                byte[] data = await ReadObjectContentAsync(chunk.Hash, entry.Compression, cancellationToken).ConfigureAwait(false);
                if (data.Length != chunk.Size)
                {
                    throw new CvmfsIntegrityException(CvmfsProblem.CatalogInconsistent, chunk.Hash.ObjectName, $"chunk of {entry.Path} has {data.Length} bytes, the catalog says {chunk.Size}.");
                }

                output.Write(data);
            }
        }
        else if (entry.ContentHash is ContentHash hash)
        {
            output.Write(await ReadObjectContentAsync(hash, entry.Compression, cancellationToken).ConfigureAwait(false));
        }

        if (output.Length != entry.Size)
        {
            throw new CvmfsIntegrityException(CvmfsProblem.CatalogInconsistent, entry.ContentHash?.ObjectName ?? entry.Path, $"content of {entry.Path} has {output.Length} bytes, the catalog says {entry.Size}.");
        }

        output.Position = 0;
        return output;
    }

    /// <summary>
    /// Verifies the signed artefacts: the manifest hash and RSA signature with the certificate object X,
    /// the whitelist hash and master-key signature, the repository name, and that the certificate's
    /// fingerprint is whitelisted (cvmfs/manifest_fetch.cc DoVerify). An expired whitelist is a warning:
    /// archived revisions are old by nature.
    /// </summary>
    /// <param name="masterPublicKey">The repository master public key; if null the whitelist signature is not checked (a warning says so).</param>
    /// <param name="now">The time to judge expiry against.</param>
    /// <param name="cancellationToken">Cancels the fetches.</param>
    /// <exception cref="CvmfsIntegrityException">A hash or signature fails, a file is missing, or the certificate is not trusted.</exception>
    public async Task<RepositoryVerification> VerifyAsync(RSA? masterPublicKey, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        CvmfsManifest manifest = Manifest
            ?? throw new CvmfsIntegrityException(CvmfsProblem.MissingObject, CvmfsManifest.FileName, $"file {CvmfsManifest.FileName} is missing from {_source.Location}; nothing to verify.");
        var warnings = new List<string>();

        manifest.VerifyHash();
        if (manifest.RootPathHash != CvmfsManifest.ExpectedRootPathHash)
        {
            throw new CvmfsIntegrityException(CvmfsProblem.Malformed, CvmfsManifest.FileName, $"root path hash R is {manifest.RootPathHash}, clients accept only {CvmfsManifest.ExpectedRootPathHash}.");
        }

        ContentHash certificateHash = manifest.Certificate
            ?? throw new CvmfsIntegrityException(CvmfsProblem.MissingObject, CvmfsManifest.FileName, "the manifest names no certificate (field X).");
        byte[] pem = await _source.FetchInflatedObjectAsync(certificateHash, cancellationToken).ConfigureAwait(false);
        using X509Certificate2 certificate = LoadCertificate(pem, certificateHash.ObjectName);
        manifest.VerifySignature(certificate);

        byte[] whitelistBytes = await _source.FetchFileAsync(CvmfsWhitelist.FileName, cancellationToken).ConfigureAwait(false);
        CvmfsWhitelist whitelist = CvmfsWhitelist.Parse(whitelistBytes);
        if (masterPublicKey is not null)
        {
            whitelist.VerifySignature(masterPublicKey);
        }
        else
        {
            whitelist.VerifyHash();
            warnings.Add("whitelist signature not verified: no master public key was given.");
        }

        string name = manifest.RepositoryName ?? whitelist.RepositoryName;
        if (name != whitelist.RepositoryName)
        {
            throw new CvmfsIntegrityException(CvmfsProblem.Untrusted, CvmfsWhitelist.FileName, $"whitelist is for '{whitelist.RepositoryName}', the manifest for '{name}'.");
        }

        CertificateFingerprint? matched = null;
        foreach (CertificateFingerprint listed in whitelist.Fingerprints)
        {
            CertificateFingerprint actual = CertificateFingerprint.Compute(certificate, listed.Hash.Algorithm);
            if (actual == listed)
            {
                matched = actual;
                break;
            }
        }

        if (matched is not CertificateFingerprint fingerprint)
        {
            throw new CvmfsIntegrityException(CvmfsProblem.Untrusted, certificateHash.ObjectName, $"certificate fingerprint {CertificateFingerprint.Compute(certificate, CvmfsHashAlgorithm.Sha1)} is not in the whitelist of '{whitelist.RepositoryName}'.");
        }

        if (whitelist.IsExpired(now))
        {
            warnings.Add($"whitelist expired at {whitelist.ExpiresAt:yyyy-MM-dd HH:mm:ss}Z; a cvmfs client would refuse the manifest today, mount with CVMFS_ROOT_HASH or re-sign.");
        }

        if (whitelist.RequiresPkcs7)
        {
            warnings.Add("whitelist asks for PKCS#7 verification (Vpkcs7), which is not performed.");
        }

        if (whitelist.RequiresCaChain)
        {
            warnings.Add("whitelist asks for a CA chain check (Wcachain), which is not performed.");
        }

        if (!manifest.RootCatalog.Equals(RootHash))
        {
            warnings.Add($"the signed manifest names root catalog {manifest.RootCatalog} (revision {manifest.Revision}); the opened revision {Revision} ({RootHash}) is trusted only through it.");
        }
        else
        {
            if (manifest.Revision != RootCatalog.Revision)
            {
                warnings.Add($"manifest revision {manifest.Revision} differs from root catalog revision {RootCatalog.Revision}.");
            }

            if (manifest.RootCatalogSize is long size && size != RootCatalog.UncompressedSize)
            {
                warnings.Add($"manifest root catalog size {size} differs from the inflated catalog ({RootCatalog.UncompressedSize} bytes).");
            }
        }

        return new RepositoryVerification(name, manifest.Revision, manifest.RootCatalog, manifest.PublishTime, fingerprint, whitelist.ExpiresAt, warnings);
    }

    /// <summary>
    /// Every object the revision needs, without duplicates: root catalog, the manifest's certificate X,
    /// history H and meta-info M, nested catalogs (recursively), file objects and chunk objects P.
    /// External files are skipped, and so is the whole-file hash of chunked files, which is stored only
    /// with legacy bulk chunks (docs/CVMFS.md §10; cvmfs/catalog_sql.cc SqlListContentHashes).
    /// </summary>
    /// <exception cref="CvmfsIntegrityException">A catalog is missing or corrupt.</exception>
    public async Task<IReadOnlyList<ContentHash>> ListClosureAsync(CancellationToken cancellationToken = default)
    {
        var seen = new HashSet<ContentHash>();
        var closure = new List<ContentHash>();
        void Add(ContentHash hash)
        {
            if (seen.Add(hash))
            {
                closure.Add(hash);
            }
        }

        Add(RootHash);
        if (Manifest is not null)
        {
            foreach (ContentHash? hash in new[] { Manifest.Certificate, Manifest.History, Manifest.MetaInfo })
            {
                if (hash is ContentHash h)
                {
                    Add(h);
                }
            }
        }

        var pending = new Stack<CvmfsCatalog>();
        pending.Push(RootCatalog);
        while (pending.Count > 0)
        {
            CvmfsCatalog catalog = pending.Pop();
            foreach (CatalogRecord record in catalog.ReadAll())
            {
                bool chunked = (record.Flags & CatalogEntryFlags.Chunked) != 0;
                bool external = (record.Flags & CatalogEntryFlags.External) != 0;
                if (record.ContentHash is ContentHash content && !chunked && !external && (record.Flags & CatalogEntryFlags.Directory) == 0)
                {
                    Add(content);
                }
            }

            foreach (ContentHash chunk in catalog.ReadAllChunkHashes())
            {
                Add(chunk);
            }

            // Bind mount points link foreign root catalogs (virtual snapshot directory); they belong to other revisions.
            for (int i = catalog.NestedCatalogs.Count - 1; i >= 0; i--)
            {
                NestedCatalogReference reference = catalog.NestedCatalogs[i];
                Add(reference.Hash);
                pending.Push(await LoadCatalogAsync(reference.Hash, cancellationToken).ConfigureAwait(false));
            }
        }

        return closure;
    }

    /// <summary>Disposes every catalog read (their temporary files are deleted).</summary>
    public void Dispose()
    {
        foreach (CvmfsCatalog catalog in _catalogs.Values)
        {
            catalog.Dispose();
        }

        _catalogs.Clear();
    }

    private static async Task<CvmfsCatalog> ResolveAsync(ICvmfsObjectSource source, CvmfsManifest? manifest, CvmfsSelector selector, List<CvmfsCatalog> opened, CancellationToken cancellationToken)
    {
        async Task<CvmfsCatalog> Load(ContentHash hash)
        {
            CvmfsCatalog catalog = CvmfsCatalog.Open(await source.FetchInflatedObjectAsync(hash, cancellationToken).ConfigureAwait(false), hash);
            opened.Add(catalog);
            return catalog;
        }

        CvmfsManifest RequireManifest() => manifest
            ?? throw new CvmfsIntegrityException(CvmfsProblem.MissingObject, CvmfsManifest.FileName, $"file {CvmfsManifest.FileName} is missing from {source.Location}; it is needed to open the {selector}.");

        async Task<CvmfsHistory?> History()
        {
            CvmfsManifest m = RequireManifest();
            return m.History is ContentHash h
                ? CvmfsHistory.Open(await source.FetchInflatedObjectAsync(h, cancellationToken).ConfigureAwait(false), h)
                : null;
        }

        switch (selector.Kind)
        {
            case CvmfsSelectorKind.RootHash:
                return await Load(selector.RootHashValue).ConfigureAwait(false);

            case CvmfsSelectorKind.Tag:
            {
                CvmfsHistory history = await History().ConfigureAwait(false)
                    ?? throw new KeyNotFoundException($"Repository at {source.Location} has no history database (manifest field H), so tag '{selector.TagName}' cannot be resolved.");
                CvmfsTag tag = history.FindTag(selector.TagName!)
                    ?? throw new KeyNotFoundException($"Repository at {source.Location} has no tag '{selector.TagName}' (history {history.Hash.ObjectName}).");
                return await Load(tag.RootCatalog).ConfigureAwait(false);
            }

            case CvmfsSelectorKind.Revision:
            {
                CvmfsManifest m = RequireManifest();
                long wanted = selector.RevisionNumber;
                if (m.Revision != wanted && await History().ConfigureAwait(false) is CvmfsHistory history && history.FindRevision(wanted) is CvmfsTag tag)
                {
                    return await Load(tag.RootCatalog).ConfigureAwait(false);
                }

                // Walk back from the current root catalog through previous_revision (catalog properties).
                CvmfsCatalog catalog = await Load(m.RootCatalog).ConfigureAwait(false);
                while (catalog.Revision != wanted)
                {
                    if (catalog.Revision < wanted || catalog.PreviousRevision is not ContentHash previous)
                    {
                        throw new KeyNotFoundException($"Repository at {source.Location} has no revision {wanted}: the previous_revision chain from revision {m.Revision} ends at revision {catalog.Revision}.");
                    }

                    catalog = await Load(previous).ConfigureAwait(false);
                }

                return catalog;
            }

            default:
                return await Load(RequireManifest().RootCatalog).ConfigureAwait(false);
        }
    }

    internal static X509Certificate2 LoadCertificate(byte[] pem, string subject)
    {
        string text = Encoding.ASCII.GetString(pem);
        if (!PemEncoding.TryFind(text, out PemFields fields) || text[fields.Label] != "CERTIFICATE")
        {
            throw new CvmfsFormatException(subject, "the certificate object is not a PEM certificate.");
        }

        try
        {
            return X509CertificateLoader.LoadCertificate(Convert.FromBase64String(text[fields.Base64Data]));
        }
        catch (CryptographicException ex)
        {
            throw new CvmfsFormatException(subject, $"the certificate cannot be decoded: {ex.Message}", ex);
        }
    }

    private static CvmfsFindingCode ToFindingCode(CvmfsProblem problem) => problem switch
    {
        CvmfsProblem.MissingObject => CvmfsFindingCode.MissingObject,
        CvmfsProblem.BadHash => CvmfsFindingCode.BadHash,
        CvmfsProblem.CatalogInconsistent => CvmfsFindingCode.ContentSizeMismatch,
        _ => CvmfsFindingCode.Malformed,
    };

    private static CvmfsEntry ToEntry(CatalogRecord record, string path, CvmfsCatalog catalog)
    {
        CatalogEntryFlags flags = record.Flags;
        CvmfsEntryKind kind = (flags & CatalogEntryFlags.Directory) != 0 ? CvmfsEntryKind.Directory
            : (flags & CatalogEntryFlags.Link) != 0 ? CvmfsEntryKind.Symlink
            : (flags & CatalogEntryFlags.Special) != 0 ? CvmfsEntryKind.Special
            : CvmfsEntryKind.File;
        bool chunked = kind == CvmfsEntryKind.File && (flags & CatalogEntryFlags.Chunked) != 0;
        return new CvmfsEntry
        {
            Path = path,
            Kind = kind,
            Mode = record.Mode,
            Uid = record.Uid,
            Gid = record.Gid,
            Size = record.Size,
            MtimeSeconds = record.MtimeSeconds,
            MtimeNanoseconds = record.MtimeNanoseconds ?? 0,
            SymlinkTarget = kind == CvmfsEntryKind.Symlink ? record.Symlink ?? string.Empty : null,
            HardlinkGroup = record.HardlinkGroup,
            LinkCount = record.LinkCount,
            Xattrs = record.Xattrs,
            ContentHash = kind == CvmfsEntryKind.File && !chunked ? record.ContentHash : null,
            Chunks = chunked ? catalog.GetChunks(record.PathKey, record.HashAlgorithm) : [],
            IsExternal = (flags & CatalogEntryFlags.External) != 0,
            Compression = record.Compression,
            IsNestedCatalogRoot = (flags & CatalogEntryFlags.NestedRoot) != 0,
            IsHidden = (flags & CatalogEntryFlags.Hidden) != 0,
            IsDirectIo = (flags & CatalogEntryFlags.DirectIo) != 0,
            Catalog = catalog.Hash,
            Flags = flags,
        };
    }

    private async Task<byte[]> ReadObjectContentAsync(ContentHash hash, CvmfsCompressionAlgorithm compression, CancellationToken cancellationToken)
    {
        byte[] stored = await _source.FetchObjectAsync(hash, cancellationToken).ConfigureAwait(false);
        return compression == CvmfsCompressionAlgorithm.None ? stored : CvmfsCompression.Inflate(stored, hash.ObjectName);
    }

    private async Task<CvmfsCatalog> LoadCatalogAsync(ContentHash hash, CancellationToken cancellationToken)
    {
        if (_catalogs.TryGetValue(hash, out CvmfsCatalog? cached))
        {
            return cached;
        }

        byte[] bytes = await _source.FetchInflatedObjectAsync(hash, cancellationToken).ConfigureAwait(false);
        CvmfsCatalog catalog = CvmfsCatalog.Open(bytes, hash);
        _catalogs[hash] = catalog;
        return catalog;
    }

    private async IAsyncEnumerable<CvmfsEntry> WalkCoreAsync(Action<CvmfsFinding>? report, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        void Defect(CvmfsFindingCode code, string subject, string message)
        {
            if (report is null)
            {
                throw new CvmfsIntegrityException(CvmfsProblem.CatalogInconsistent, subject, message);
            }

            report(new CvmfsFinding(code, subject, message));
        }

        string rootPath = RootCatalog.RootPrefix;
        CatalogRecord root = RootCatalog.Lookup(rootPath)
            ?? throw new CvmfsIntegrityException(CvmfsProblem.CatalogInconsistent, RootHash.ObjectName, $"catalog has no root entry for '{rootPath}'.");
        CheckReferences(RootCatalog, Defect);
        yield return ToEntry(root, rootPath, RootCatalog);

        var pending = new Stack<(string Path, CvmfsCatalog Catalog)>();
        pending.Push((rootPath, RootCatalog));
        var descend = new List<(string Path, CvmfsCatalog Catalog)>();
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (string directory, CvmfsCatalog catalog) = pending.Pop();
            descend.Clear();
            foreach (CatalogRecord child in catalog.ListChildren(directory))
            {
                string path = directory + "/" + child.Name;
                bool isDirectory = (child.Flags & CatalogEntryFlags.Directory) != 0;
                if (isDirectory && (child.Flags & CatalogEntryFlags.NestedMountpoint) != 0)
                {
                    (CvmfsCatalog Catalog, CatalogRecord Root)? nested = await MountAsync(catalog, child, path, Defect, report, cancellationToken).ConfigureAwait(false);
                    if (nested is { } mounted)
                    {
                        // Clients see the nested catalog's root entry at a transition point (catalog_mgr.cc).
                        yield return ToEntry(mounted.Root, path, mounted.Catalog);
                        descend.Add((path, mounted.Catalog));
                        continue;
                    }
                }

                yield return ToEntry(child, path, catalog);
                if (isDirectory)
                {
                    descend.Add((path, catalog));
                }
            }

            for (int i = descend.Count - 1; i >= 0; i--)
            {
                pending.Push(descend[i]);
            }
        }
    }

    private async Task<(CvmfsCatalog Catalog, CatalogRecord Root)?> MountAsync(
        CvmfsCatalog parent, CatalogRecord mountpoint, string path, Action<CvmfsFindingCode, string, string> defect, Action<CvmfsFinding>? report, CancellationToken cancellationToken)
    {
        NestedCatalogReference? reference = parent.NestedCatalogs.FirstOrDefault(r => r.Path == path);
        if (reference is null)
        {
            defect(CvmfsFindingCode.DanglingMountpoint, path, $"is flagged as nested catalog mount point in {parent.Hash.ObjectName}, but that catalog references no nested catalog there.");
            return null;
        }

        CvmfsCatalog nested;
        try
        {
            // The fetch checks the object against the hash the parent records: the Merkle link.
            nested = await LoadCatalogAsync(reference.Hash, cancellationToken).ConfigureAwait(false);
        }
        catch (CvmfsIntegrityException ex) when (report is not null)
        {
            report(new CvmfsFinding(ToFindingCode(ex.Problem), ex.Subject, $"nested catalog for {path}: {ex.Message}"));
            return null;
        }

        if (reference.Size is long size && size != nested.UncompressedSize)
        {
            defect(CvmfsFindingCode.NestedSizeMismatch, reference.Hash.ObjectName, $"nested catalog for {path} has {nested.UncompressedSize} bytes, the parent records {size}.");
        }

        if (nested.RootPrefix.Length > 0 && nested.RootPrefix != path)
        {
            defect(CvmfsFindingCode.NestedPrefixMismatch, reference.Hash.ObjectName, $"nested catalog mounted at {path} has root_prefix '{nested.RootPrefix}'.");
        }

        CatalogRecord? root = nested.Lookup(path);
        if (root is null || (root.Flags & CatalogEntryFlags.NestedRoot) == 0)
        {
            defect(CvmfsFindingCode.NestedRootMissing, path, $"nested catalog {reference.Hash.ObjectName} has no nested-root entry for its mount point.");
            return null;
        }

        var differences = new List<string>();
        Compare("mode", mountpoint.Mode, root.Mode);
        Compare("size", mountpoint.Size, root.Size);
        Compare("mtime", mountpoint.MtimeSeconds, root.MtimeSeconds);
        Compare("uid", mountpoint.Uid, root.Uid);
        Compare("gid", mountpoint.Gid, root.Gid);
        if (mountpoint.Name != root.Name)
        {
            differences.Add($"name '{mountpoint.Name}' vs '{root.Name}'");
        }

        if (differences.Count > 0)
        {
            defect(CvmfsFindingCode.MountpointOutOfSync, path, $"nested catalog mount point out of sync: parent {parent.Hash.ObjectName} and nested {reference.Hash.ObjectName} disagree on {string.Join(", ", differences)}.");
        }

        int hidden = parent.ListChildren(path).Count;
        if (hidden > 0)
        {
            defect(CvmfsFindingCode.NonEmptyMountpoint, path, $"non-empty nested catalog mount point: {parent.Hash.ObjectName} holds {hidden} entries below it, hidden by nested catalog {reference.Hash.ObjectName}.");
        }

        CheckReferences(nested, defect);
        return (nested, root);

        void Compare<T>(string field, T parentValue, T nestedValue)
        {
            if (!EqualityComparer<T>.Default.Equals(parentValue, nestedValue))
            {
                differences.Add($"{field} {parentValue} vs {nestedValue}");
            }
        }
    }

    private static void CheckReferences(CvmfsCatalog catalog, Action<CvmfsFindingCode, string, string> defect)
    {
        foreach (NestedCatalogReference reference in catalog.NestedCatalogs)
        {
            CatalogRecord? mountpoint = catalog.Lookup(reference.Path);
            if (mountpoint is null || (mountpoint.Flags & CatalogEntryFlags.NestedMountpoint) == 0)
            {
                defect(CvmfsFindingCode.NestedReferenceWithoutMountpoint, reference.Path, $"catalog {catalog.Hash.ObjectName} references nested catalog {reference.Hash.ObjectName} here, but has no mount point entry.");
            }
        }
    }
}
