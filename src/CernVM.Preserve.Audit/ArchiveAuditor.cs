using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Audit;

/// <summary>
/// Checks an archive the way a data-preservation officer needs it checked: is every byte there, unchanged,
/// signed, locked. It reads the archive through the storage port with its own reading of the format
/// (FORMAT.md §2–§8) and none of the writer's or restorer's code, so a writer's bug cannot hide from it.
/// Blobs are read in parallel, one at a time per worker; catalogs wait on disk: memory does not grow with
/// the archive's bytes, only with its number of blobs (two sets of 32-byte ids).
/// </summary>
public sealed class ArchiveAuditor
{
    private const string CatalogPath = "(tree catalog)";
    private static readonly TimeSpan RetentionHorizon = TimeSpan.FromDays(30);

    private readonly IObjectStore _store;
    private readonly AuditOptions _options;
    private readonly ConcurrentBag<Finding> _findings = [];
    private readonly List<VersionState> _versions = [];
    private readonly HashSet<BlobId> _present = [];
    private readonly HashSet<BlobId> _named = [];
    private readonly ConcurrentDictionary<BlobId, byte> _corrupt = new();
    private readonly ConcurrentDictionary<string, byte> _filesVerified = new(StringComparer.Ordinal);
    private long _blobsChecked;
    private long _bytesChecked;
    private long _filesChecked;
    private int _interrupted;

    private ArchiveAuditor(IObjectStore store, AuditOptions options)
    {
        _store = store;
        _options = options;
    }

    /// <summary>Audits the archive in <paramref name="store"/>.</summary>
    /// <exception cref="PreserveException">The location is not an archive, or one of a newer format (NotAnArchive).</exception>
    /// <exception cref="StorageException">The store cannot be read.</exception>
    public static async Task<AuditReport> RunAsync(IObjectStore store, AuditOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var auditor = new ArchiveAuditor(store, options);
        return await auditor.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    private bool Filtered => _options.Capsule is not null;

    private async Task<AuditReport> RunAsync(CancellationToken cancellationToken)
    {
        string started = ArchiveTime.Format(DateTimeOffset.UtcNow);
        var clock = Stopwatch.StartNew();
        string scratch = Directory.CreateTempSubdirectory("cvmpreserve-audit-").FullName;
        try
        {
            RetentionDeclaration? retention = await CheckSelfDescriptionAsync(cancellationToken).ConfigureAwait(false);
            SortedDictionary<(string Capsule, int Version), VersionKeys> listed = await ListAsync(cancellationToken).ConfigureAwait(false);
            await CheckManifestsAsync(listed, cancellationToken).ConfigureAwait(false);
            CheckVersionChain(listed);
            await OpenCatalogsAsync(scratch, cancellationToken).ConfigureAwait(false);
            CollectNamedBlobs();
            CheckCompleteness();
            JournalCheck journal = await JournalVerifier.VerifyAsync(_store, cancellationToken).ConfigureAwait(false);
            foreach (Finding f in journal.Findings)
            {
                _findings.Add(f);
            }

            (ulong from, ulong to) = Range(journal);
            await CheckFixityAsync(from, to, cancellationToken).ConfigureAwait(false);
            if (retention is not null)
            {
                await CheckRetentionAsync(retention, cancellationToken).ConfigureAwait(false);
            }

            List<Finding> findings = [.. _findings.OrderBy(f => f.Code.Code, StringComparer.Ordinal).ThenBy(f => f.Subject, StringComparer.Ordinal)];
            var coverage = new FixityCoverage(
                _options.Scope.ToString().ToLowerInvariant(),
                Hex(from),
                Hex(to),
                _blobsChecked,
                _bytesChecked,
                _present.Count,
                _versions.Where(v => v.Facts is not null).Sum(v => v.Facts!.TreeBytes),
                findings.Count(f => f.IsError),
                findings.Count(f => !f.IsError));
            return new AuditReport(
                _store.Location,
                started,
                clock.Elapsed,
                coverage,
                [.. _versions.Where(v => v.Facts is not null).Select(v => new AuditedVersion(v.Capsule, v.Version, v.Sha256!, v.Facts!.Created, v.Facts.TreeBytes, v.KeyId is not null, v.KeyId))],
                _interrupted,
                _present.Count,
                _named.Count,
                _filesChecked,
                findings,
                journal);
        }
        finally
        {
            foreach (VersionState v in _versions)
            {
                v.Catalog?.Dispose();
            }

            Directory.Delete(scratch, recursive: true);
        }
    }

    private static string Hex(ulong position) => position >= 1UL << 32 ? "100000000" : position.ToString("x8", CultureInfo.InvariantCulture);

    // FORMAT.md §2.1, §3: the declaration, the descriptor, and the files that make the archive explain itself.
    private async Task<RetentionDeclaration?> CheckSelfDescriptionAsync(CancellationToken cancellationToken)
    {
        byte[]? declaration = await _store.TryGetAsync(ArchiveLayout.Declaration, cancellationToken).ConfigureAwait(false);
        if (declaration is null)
        {
            await foreach (string key in _store.ListAsync(ArchiveLayout.DeclarationPrefix, cancellationToken).ConfigureAwait(false))
            {
                throw new PreserveException(FailureKind.NotAnArchive,
                    $"{_store.Location}: the archive is of format {key[ArchiveLayout.DeclarationPrefix.Length..]} ({key}); this software audits format {ArchiveLayout.FormatVersion}. Use a newer cvmpreserve.");
            }

            throw new PreserveException(FailureKind.NotAnArchive,
                $"{_store.Location} is not a CernVM.Preserve archive (no {ArchiveLayout.Declaration} file): nothing to audit.");
        }

        if (!declaration.AsSpan().SequenceEqual(System.Text.Encoding.ASCII.GetBytes(ArchiveLayout.DeclarationContent)))
        {
            _findings.Add(new Finding(FindingCodes.DeclarationInvalid, ArchiveLayout.Declaration,
                $"{ArchiveLayout.Declaration} holds {declaration.Length} bytes that are not the line '{ArchiveLayout.DeclarationContent.TrimEnd()}' (FORMAT.md §2.1)."));
        }

        foreach (string key in new[] { ArchiveLayout.FormatDocument, ArchiveLayout.ManifestSchema, ArchiveLayout.EventSchema, ArchiveLayout.CatalogDdl })
        {
            if (!await _store.ExistsAsync(key, cancellationToken).ConfigureAwait(false))
            {
                _findings.Add(new Finding(FindingCodes.SelfDescriptionMissing, key, $"{key} is missing: the archive no longer explains itself to a reader without this software (FORMAT.md §2)."));
            }
        }

        byte[]? descriptor = await _store.TryGetAsync(ArchiveLayout.Descriptor, cancellationToken).ConfigureAwait(false);
        if (descriptor is null)
        {
            _findings.Add(new Finding(FindingCodes.DescriptorInvalid, ArchiveLayout.Descriptor, $"{ArchiveLayout.Descriptor} is missing (FORMAT.md §3)."));
            return null;
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(descriptor);
            JsonElement root = doc.RootElement;
            string? problem =
                !root.TryGetProperty("format", out JsonElement format) || format.ValueKind != JsonValueKind.Number || format.GetInt32() != 1 ? "format is not 1"
                : !root.TryGetProperty("formatName", out JsonElement name) || name.GetString() != "cernvm-preserve" ? "formatName is not cernvm-preserve"
                : !root.TryGetProperty("hash", out JsonElement hash) || hash.GetString() != "sha256" ? "hash is not sha256"
                : !root.TryGetProperty("compression", out JsonElement compression) || compression.GetString() != "zstd" ? "compression is not zstd"
                : null;
            if (problem is not null)
            {
                _findings.Add(new Finding(FindingCodes.DescriptorInvalid, ArchiveLayout.Descriptor, $"{ArchiveLayout.Descriptor}: {problem} (FORMAT.md §3)."));
                return null;
            }

            if (root.TryGetProperty("retention", out JsonElement retention) && retention.ValueKind == JsonValueKind.Object)
            {
                return new RetentionDeclaration(retention.GetProperty("mode").GetString()!, retention.GetProperty("days").GetInt32());
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            _findings.Add(new Finding(FindingCodes.DescriptorInvalid, ArchiveLayout.Descriptor, $"{ArchiveLayout.Descriptor}: not valid JSON of §3 ({e.Message})."));
        }

        return null;
    }

    // One listing of the archive: the blobs present and every file of every version directory.
    private async Task<SortedDictionary<(string, int), VersionKeys>> ListAsync(CancellationToken cancellationToken)
    {
        var versions = new SortedDictionary<(string, int), VersionKeys>();
        await foreach (string key in _store.ListAsync(ArchiveLayout.CapsulesPrefix, cancellationToken).ConfigureAwait(false))
        {
            string[] parts = key.Split('/');
            if (parts.Length != 4 || !CapsuleName.TryParse(parts[1], out _) || parts[2].Length < 2 || parts[2][0] != 'v' ||
                !int.TryParse(parts[2].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < 1 ||
                (_options.Capsule is string c && parts[1] != c) || (_options.Version is int only && v != only))
            {
                continue;
            }

            versions.TryGetValue((parts[1], v), out VersionKeys k);
            versions[(parts[1], v)] = parts[3] switch
            {
                "manifest.json" => k with { Manifest = true },
                "manifest.json.sha256" => k with { Sidecar = true },
                "manifest.json.sig" => k with { Signature = true },
                _ => k,
            };
        }

        await foreach (string key in _store.ListAsync("blobs/sha256/", cancellationToken).ConfigureAwait(false))
        {
            if (key.Length == "blobs/sha256/".Length + 3 + 64 && BlobId.TryParse(key.AsSpan(key.Length - 64), out BlobId id) && id.Key == key)
            {
                _present.Add(id);
            }
        }

        return versions;
    }

    // FORMAT.md §5.1, §5.4: sidecar, then schema, then key, then signature and trust.
    private async Task CheckManifestsAsync(SortedDictionary<(string Capsule, int Version), VersionKeys> listed, CancellationToken cancellationToken)
    {
        foreach (((string capsule, int version), VersionKeys keys) in listed)
        {
            string prefix = $"capsules/{capsule}/v{version}/";
            if (!keys.Sidecar)
            {
                _interrupted++;
                _findings.Add(new Finding(FindingCodes.VersionInterrupted, prefix,
                    $"{prefix}: no manifest.json.sha256: an interrupted snapshot; this version does not exist and its number is not reused (FORMAT.md §5.1).",
                    [new AffectedVersion(capsule, version, [])]));
                continue;
            }

            if (!keys.Manifest)
            {
                _findings.Add(new Finding(FindingCodes.ManifestMissing, prefix + "manifest.json",
                    $"{prefix}manifest.json is missing, though its sidecar is there: the version is lost.", [new AffectedVersion(capsule, version, [])]));
                continue;
            }

            _versions.Add(new VersionState(capsule, version, keys.Signature));
        }

        await Parallel.ForEachAsync(
            _versions,
            new ParallelOptions { MaxDegreeOfParallelism = _options.EffectiveParallelism, CancellationToken = cancellationToken },
            async (v, ct) => await CheckManifestAsync(v, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task CheckManifestAsync(VersionState v, CancellationToken cancellationToken)
    {
        string key = v.Prefix + "manifest.json";
        AffectedVersion[] affected = [new AffectedVersion(v.Capsule, v.Version, [])];
        byte[]? manifest = await _store.TryGetAsync(key, cancellationToken).ConfigureAwait(false);
        byte[]? sidecar = await _store.TryGetAsync(key + ".sha256", cancellationToken).ConfigureAwait(false);
        if (manifest is null || sidecar is null)
        {
            _findings.Add(new Finding(FindingCodes.ManifestMissing, key, $"{key} or its sidecar vanished while the audit read them.", affected));
            return;
        }

        string sha = Convert.ToHexStringLower(SHA256.HashData(manifest));
        string text = System.Text.Encoding.ASCII.GetString(sidecar);
        if (text.Length != 64 + 2 + 13 + 1 || !text.EndsWith("  manifest.json\n", StringComparison.Ordinal) ||
            !text[..64].All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
        {
            _findings.Add(new Finding(FindingCodes.SidecarInvalid, key + ".sha256",
                $"{key}.sha256 is not one line '<64 hex>  manifest.json' (FORMAT.md §5.1).", affected));
            return;
        }

        if (text[..64] != sha)
        {
            _findings.Add(new Finding(FindingCodes.ManifestHashMismatch, key,
                $"{key}: SHA-256 is {sha} but its sidecar says {text[..64]}: the manifest was altered or damaged.", affected));
            return;
        }

        IReadOnlyList<string> errors = ManifestCodec.ValidateManifest(manifest);
        if (errors.Count > 0)
        {
            _findings.Add(new Finding(FindingCodes.ManifestSchemaInvalid, key, $"{key}: fails its schema: {string.Join("; ", errors)}.", affected));
            return;
        }

        ManifestFacts facts = ManifestFacts.Read(manifest);
        if (facts.Capsule != v.Capsule || facts.Version != v.Version)
        {
            _findings.Add(new Finding(FindingCodes.ManifestMisplaced, key,
                $"{key}: it names {facts.Capsule}@v{facts.Version}, not the place it is stored at.", affected));
            return;
        }

        if (v.HasSignature)
        {
            byte[]? sig = await _store.TryGetAsync(key + ".sig", cancellationToken).ConfigureAwait(false);
            string? keyId = sig is null ? null : SignatureCheck.Verify(sig, manifest, out string? problem) ?? LogSignature(key, problem!, affected);
            if (keyId is null)
            {
                return;
            }

            v.KeyId = keyId;
            if (_options.TrustedKeyIds is { Count: > 0 } trusted && !trusted.Contains(keyId))
            {
                _findings.Add(new Finding(FindingCodes.SignatureUntrusted, key + ".sig",
                    $"{key}.sig: signed by key {keyId}, which is not among the keys the auditor trusts.", affected));
            }
        }
        else if (_options.TrustedKeyIds is { Count: > 0 })
        {
            _findings.Add(new Finding(FindingCodes.VersionUnsigned, key, $"{key}: not signed, so no trusted curator vouches for it.", affected));
        }

        if (facts.DphepLevel is int level && level >= 4 && (facts.RunEntries == 0 || facts.RunEntriesWithReferences < facts.RunEntries))
        {
            _findings.Add(new Finding(FindingCodes.DphepIncomplete, key,
                $"{key}: declares DPHEP level {level}, which needs run entries whose outputs all have reference outputs; it has {facts.RunEntries} run entries, {facts.RunEntriesWithReferences} with references.",
                affected));
        }

        v.Sha256 = sha;
        v.Facts = facts;
    }

    private string? LogSignature(string key, string problem, AffectedVersion[] affected)
    {
        _findings.Add(new Finding(FindingCodes.SignatureInvalid, key + ".sig", $"{key}.sig: {problem}.", affected));
        return null;
    }

    // FORMAT.md §5.2: previous names the version this one was made after, by number and manifest hash.
    private void CheckVersionChain(SortedDictionary<(string Capsule, int Version), VersionKeys> listed)
    {
        var sha = _versions.Where(v => v.Sha256 is not null).ToDictionary(v => (v.Capsule, v.Version), v => v.Sha256!);
        foreach (VersionState v in _versions.Where(v => v.Facts?.Previous is not null))
        {
            (int pv, string psha) = v.Facts!.Previous!.Value;
            string key = v.Prefix + "manifest.json";
            if (_options.Version is not null && !listed.ContainsKey((v.Capsule, pv)))
            {
                // Only this version is audited: the previous one is judged when it is audited itself.
                continue;
            }

            if (!sha.TryGetValue((v.Capsule, pv), out string? actual))
            {
                _findings.Add(new Finding(FindingCodes.VersionChainBroken, key,
                    $"{key}: previous names v{pv}, which does not exist as a valid version.", [new AffectedVersion(v.Capsule, v.Version, [])]));
            }
            else if (actual != psha || pv >= v.Version)
            {
                _findings.Add(new Finding(FindingCodes.VersionChainBroken, key,
                    $"{key}: previous names v{pv} with SHA-256 {psha}, but v{pv}'s manifest has {actual}.", [new AffectedVersion(v.Capsule, v.Version, [])]));
            }
        }
    }

    private async Task OpenCatalogsAsync(string scratch, CancellationToken cancellationToken)
    {
        foreach (VersionState v in _versions.Where(v => v.Facts is not null))
        {
            if (!BlobId.TryParse(v.Facts!.Catalog, out BlobId id))
            {
                continue;
            }

            _named.Add(id);
            if (!_present.Contains(id))
            {
                continue; // reported with every other missing blob
            }

            using RentedBytes? frame = await _store.TryGetRentedAsync(id.Key, cancellationToken).ConfigureAwait(false);
            using RentedBytes? content = frame is null ? null : BlobFrame.Decode(frame.Span, id.ToString(), out string? problem);
            if (content is null)
            {
                _corrupt.TryAdd(id, 0);
                continue; // reported as a corrupt blob below, with every version it affects
            }

            Interlocked.Increment(ref _blobsChecked);
            Interlocked.Add(ref _bytesChecked, content.Length);
            v.Catalog = CatalogDatabase.Open(content.Span, scratch, out string? invalid);
            if (v.Catalog is null)
            {
                _findings.Add(new Finding(FindingCodes.CatalogInvalid, id.Key, $"{id.Key} (catalog of {v.Capsule}@v{v.Version}): {invalid}.",
                    [new AffectedVersion(v.Capsule, v.Version, [CatalogPath])]));
            }
        }
    }

    private void CollectNamedBlobs()
    {
        foreach (VersionState v in _versions.Where(v => v.Facts is not null))
        {
            foreach ((string _, string blob) in v.Facts!.NamedBlobs)
            {
                _named.Add(BlobId.Parse(blob));
            }

            if (v.Catalog is not null)
            {
                foreach (string blob in v.Catalog.Blobs())
                {
                    if (BlobId.TryParse(blob, out BlobId id))
                    {
                        _named.Add(id);
                    }
                }
            }
        }
    }

    // Every blob a manifest or catalog names is present (FORMAT.md §8: blobs before manifests); blobs nothing
    // names are a warning only: an interrupted snapshot leaves them, and a later one may name them.
    private void CheckCompleteness()
    {
        foreach (BlobId id in _named.Where(id => !_present.Contains(id)).Order())
        {
            IReadOnlyList<AffectedVersion> affected = Affected(id);
            _findings.Add(new Finding(FindingCodes.BlobMissing, id.Key,
                $"{id.Key} is missing; it holds data of {Describe(affected)}.", affected));
        }

        // Orphans are judged only when every catalog could be read: a blob named only by a lost catalog is not one.
        if (!Filtered && _versions.All(v => v.Facts is null || v.Catalog is not null))
        {
            foreach (BlobId id in _present.Where(id => !_named.Contains(id)).Order())
            {
                _findings.Add(new Finding(FindingCodes.BlobOrphan, id.Key, $"{id.Key}: no version names it (left by an interrupted snapshot, or its versions were deaccessioned)."));
            }
        }
    }

    // The share of the blob-id space (first 32 bits) this audit re-hashes (FORMAT.md §7.2): all of it for
    // --deep; for --sample, the next share after the one the newest sampled audit covered, so that successive
    // sampled audits go round the whole archive.
    private (ulong From, ulong To) Range(JournalCheck journal)
    {
        const ulong End = 1UL << 32;
        switch (_options.Scope)
        {
            case FixityScope.Deep:
                return (0, End);
            case FixityScope.Sample:
                ulong from = 0;
                if (journal.Events.LastOrDefault(e => e.Fixity?.Scope == "sample") is { Fixity: { } last })
                {
                    from = last.To == "100000000" ? 0 : ulong.Parse(last.To, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                }

                ulong width = (ulong)Math.Ceiling(Math.Clamp(_options.SamplePercent, 0, 100) / 100.0 * End);
                return (from, Math.Min(End, from + Math.Max(1, width)));
            default:
                return (0, 0);
        }
    }

    private static ulong Position(BlobId id)
    {
        byte[] d = id.ToDigest();
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(d);
    }

    private async Task CheckFixityAsync(ulong from, ulong to, CancellationToken cancellationToken)
    {
        List<VersionState> withCatalog = [.. _versions.Where(v => v.Catalog is not null)];
        var catalogs = _versions.Where(v => v.Facts is not null && BlobId.TryParse(v.Facts.Catalog, out _)).Select(v => BlobId.Parse(v.Facts!.Catalog)).ToHashSet();
        IEnumerable<BlobId> toCheck = _named.Where(id => _present.Contains(id) && !catalogs.Contains(id) && Position(id) >= from && Position(id) < to).Order();
        var options = new ParallelOptions { MaxDegreeOfParallelism = _options.EffectiveParallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(toCheck, options, async (id, ct) =>
        {
            using RentedBytes? frame = await _store.TryGetRentedAsync(id.Key, ct).ConfigureAwait(false);
            string hex = id.ToString();
            using RentedBytes? content = frame is null ? null : BlobFrame.Decode(frame.Span, hex, out _);
            if (content is null)
            {
                _corrupt.TryAdd(id, 0);
                return;
            }

            Interlocked.Increment(ref _blobsChecked);
            Interlocked.Add(ref _bytesChecked, content.Length);
            foreach (VersionState v in withCatalog)
            {
                foreach (WholeFileSlice f in v.Catalog!.WholeFilesIn(hex))
                {
                    CheckWholeFile(v, hex, content, f);
                }
            }
        }).ConfigureAwait(false);

        foreach (BlobId id in _corrupt.Keys.Order())
        {
            IReadOnlyList<AffectedVersion> affected = Affected(id);
            using RentedBytes? frame = await _store.TryGetRentedAsync(id.Key, cancellationToken).ConfigureAwait(false);
            string problem = "it vanished while the audit read it";
            if (frame is not null)
            {
                using RentedBytes? again = BlobFrame.Decode(frame.Span, id.ToString(), out string? p);
                problem = again is null ? p! : "it read back differently";
            }

            _findings.Add(new Finding(FindingCodes.BlobCorrupt, id.Key, $"{id.Key} is corrupt: {problem}; it holds data of {Describe(affected)}.", affected));
        }

        if (_options.Scope == FixityScope.Deep)
        {
            foreach (VersionState v in withCatalog)
            {
                await Parallel.ForEachAsync(v.Catalog!.PiecedFiles(), options, async (file, ct) =>
                    await CheckPiecedFileAsync(v, file.Entry, file.Content, file.Size, ct).ConfigureAwait(false)).ConfigureAwait(false);
            }
        }
    }

    private void CheckWholeFile(VersionState v, string blob, RentedBytes content, WholeFileSlice f)
    {
        // FORMAT.md §6.3: a file held whole by one extent; when it is the whole blob and the content is the
        // blob's id, the blob's own hash has just checked it.
        if (f.BlobOffset < 0 || f.Length < 0 || f.BlobOffset > content.Length - f.Length) // no sum: a hostile catalog's offsets may overflow it
        {
            ContentMismatch(v, f.Entry, $"its extent reaches past the end of blob {blob} ({content.Length} bytes)");
            return;
        }

        string key = $"{f.Content}:{blob}:{f.BlobOffset}:{f.Length}";
        if ((f.Content == blob && f.BlobOffset == 0 && f.Length == content.Length) || _filesVerified.ContainsKey(key))
        {
            Interlocked.Increment(ref _filesChecked);
            return;
        }

        string actual = Convert.ToHexStringLower(SHA256.HashData(content.Span.Slice((int)f.BlobOffset, (int)f.Length)));
        Interlocked.Increment(ref _filesChecked);
        if (actual != f.Content)
        {
            ContentMismatch(v, f.Entry, $"its bytes hash to {actual}, the catalog says {f.Content}");
            return;
        }

        _filesVerified.TryAdd(key, 0);
    }

    private async Task CheckPiecedFileAsync(VersionState v, long entry, string expected, long size, CancellationToken cancellationToken)
    {
        IReadOnlyList<(long Offset, long Length, string Blob, long BlobOffset)> extents = v.Catalog!.ExtentsOf(entry);
        string key = expected + ":" + string.Join(',', extents.Select(x => $"{x.Offset}+{x.Length}@{x.Blob}+{x.BlobOffset}")) + ":" + size.ToString(CultureInfo.InvariantCulture);
        if (_filesVerified.ContainsKey(key))
        {
            Interlocked.Increment(ref _filesChecked);
            return;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] zeros = new byte[64 * 1024];
        long position = 0;
        void Zeros(long count)
        {
            while (count > 0)
            {
                int n = (int)Math.Min(count, zeros.Length);
                hash.AppendData(zeros, 0, n);
                count -= n;
            }
        }

        foreach ((long offset, long length, string blob, long blobOffset) in extents)
        {
            if (!BlobId.TryParse(blob, out BlobId id) || !_present.Contains(id) || _corrupt.ContainsKey(id))
            {
                return; // the blob is reported as missing or corrupt, naming this file
            }

            if (offset < position)
            {
                ContentMismatch(v, entry, "its extents overlap");
                return;
            }

            Zeros(offset - position);
            using RentedBytes? frame = await _store.TryGetRentedAsync(id.Key, cancellationToken).ConfigureAwait(false);
            using RentedBytes? content = frame is null ? null : BlobFrame.Decode(frame.Span, blob, out _);
            if (content is null)
            {
                _corrupt.TryAdd(id, 0);
                return;
            }

            if (blobOffset < 0 || blobOffset + length > content.Length)
            {
                ContentMismatch(v, entry, $"an extent reaches past the end of blob {blob}");
                return;
            }

            hash.AppendData(content.Span.Slice((int)blobOffset, (int)length));
            position = offset + length;
        }

        if (position > size)
        {
            ContentMismatch(v, entry, $"its extents reach past its size {size}");
            return;
        }

        Zeros(size - position);
        string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        Interlocked.Increment(ref _filesChecked);
        if (actual != expected)
        {
            ContentMismatch(v, entry, $"its bytes hash to {actual}, the catalog says {expected}");
            return;
        }

        _filesVerified.TryAdd(key, 0);
    }

    private void ContentMismatch(VersionState v, long entry, string problem)
    {
        IReadOnlyList<string> paths = v.Catalog!.PathsOf(entry);
        _findings.Add(new Finding(FindingCodes.ContentMismatch, $"{v.Prefix}manifest.json:{paths.FirstOrDefault()}",
            $"{v.Capsule}@v{v.Version} {paths.FirstOrDefault()}: {problem}.", [new AffectedVersion(v.Capsule, v.Version, paths)]));
    }

    // FORMAT.md §8.1: with a retention declared, every object carries one, in that mode, not about to end.
    private async Task CheckRetentionAsync(RetentionDeclaration declared, CancellationToken cancellationToken)
    {
        if (_store is not IObjectRetentionReader reader)
        {
            return; // a directory copy of a locked archive: the commands warn about it when they open it
        }

        DateTimeOffset horizon = DateTimeOffset.UtcNow + RetentionHorizon;
        var options = new ParallelOptions { MaxDegreeOfParallelism = _options.EffectiveParallelism * 4, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(RetainedKeysAsync(cancellationToken), options, async (key, ct) =>
        {
            ObjectRetention? r = await reader.GetRetentionAsync(key, ct).ConfigureAwait(false);
            if (r is null)
            {
                _findings.Add(new Finding(FindingCodes.RetentionMissing, key, $"{key}: no Object Lock retention, though archive.json declares {declared.Mode} for {declared.Days} days."));
            }
            else if (!string.Equals(r.Mode, declared.Mode, StringComparison.OrdinalIgnoreCase))
            {
                _findings.Add(new Finding(FindingCodes.RetentionWrongMode, key, $"{key}: retention mode {r.Mode}, but archive.json declares {declared.Mode}."));
            }
            else if (r.RetainUntil < horizon)
            {
                _findings.Add(new Finding(FindingCodes.RetentionExpiring, key, $"{key}: retention ends {ArchiveTime.Format(r.RetainUntil)}, within {RetentionHorizon.TotalDays:0} days: extend it."));
            }
        }).ConfigureAwait(false);
    }

    private async IAsyncEnumerable<string> RetainedKeysAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Filtered)
        {
            foreach (VersionState v in _versions)
            {
                await foreach (string key in _store.ListAsync(v.Prefix, cancellationToken).ConfigureAwait(false))
                {
                    yield return key;
                }
            }

            foreach (BlobId id in _named.Where(_present.Contains).Order())
            {
                yield return id.Key;
            }

            yield break;
        }

        await foreach (string key in _store.ListAsync("", cancellationToken).ConfigureAwait(false))
        {
            if (!key.StartsWith("tmp/", StringComparison.Ordinal))
            {
                yield return key;
            }
        }
    }

    // Every version and path a blob's loss touches: as catalog, as a manifest member, as file content.
    private IReadOnlyList<AffectedVersion> Affected(BlobId id)
    {
        string hex = id.ToString();
        var affected = new List<AffectedVersion>();
        foreach (VersionState v in _versions.Where(v => v.Facts is not null))
        {
            var paths = new List<string>();
            if (v.Facts!.Catalog == hex)
            {
                paths.Add(CatalogPath);
            }

            paths.AddRange(v.Facts.NamedBlobs.Where(n => n.Blob == hex).Select(n => "manifest:" + n.Pointer));
            if (v.Catalog is not null)
            {
                paths.AddRange(v.Catalog.PathsUsing(hex));
            }

            if (paths.Count > 0)
            {
                affected.Add(new AffectedVersion(v.Capsule, v.Version, paths));
            }
        }

        return affected;
    }

    private static string Describe(IReadOnlyList<AffectedVersion> affected) =>
        affected.Count == 0 ? "no audited version" : string.Join(", ", affected.Select(a => $"{a} ({a.Paths.Count} paths)"));

    private readonly record struct VersionKeys(bool Manifest, bool Sidecar, bool Signature);

    private sealed record RetentionDeclaration(string Mode, int Days);

    private sealed class VersionState(string capsule, int version, bool hasSignature)
    {
        public string Capsule { get; } = capsule;

        public int Version { get; } = version;

        public bool HasSignature { get; } = hasSignature;

        public string Prefix => $"capsules/{Capsule}/v{Version}/";

        public string? Sha256 { get; set; }

        public ManifestFacts? Facts { get; set; }

        public string? KeyId { get; set; }

        public CatalogDatabase? Catalog { get; set; }
    }
}
