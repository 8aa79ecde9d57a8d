using System.Globalization;
using System.Security.Cryptography;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Audit;

/// <summary>FORMAT.md §5: the listing of version directories, each manifest against its sidecar, schema, place and signature, the DPHEP level it declares, and the chain of versions (previous).</summary>
internal sealed class ManifestCheck(AuditContext ctx)
{
    // One listing of the archive: the blobs present and every file of every version directory.
    public async Task<SortedDictionary<(string, int), VersionKeys>> ListAsync(CancellationToken cancellationToken)
    {
        var versions = new SortedDictionary<(string, int), VersionKeys>();
        await foreach (string key in ctx.Store.ListAsync(ArchiveLayout.CapsulesPrefix, cancellationToken).ConfigureAwait(false))
        {
            string[] parts = key.Split('/');
            if (parts.Length != 4 || !CapsuleName.TryParse(parts[1], out _) || parts[2].Length < 2 || parts[2][0] != 'v' ||
                !int.TryParse(parts[2].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < 1 ||
                (ctx.Options.Capsule is string c && parts[1] != c) || (ctx.Options.Version is int only && v != only))
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

        await foreach (string key in ctx.Store.ListAsync("blobs/sha256/", cancellationToken).ConfigureAwait(false))
        {
            if (key.Length == "blobs/sha256/".Length + 3 + 64 && BlobId.TryParse(key.AsSpan(key.Length - 64), out BlobId id) && id.Key == key)
            {
                ctx.Present.Add(id);
            }
        }

        return versions;
    }

    // FORMAT.md §5.1, §5.4: sidecar, then schema, then key, then signature and trust.
    public async Task CheckManifestsAsync(SortedDictionary<(string Capsule, int Version), VersionKeys> listed, CancellationToken cancellationToken)
    {
        foreach (((string capsule, int version), VersionKeys keys) in listed)
        {
            string prefix = $"capsules/{capsule}/v{version}/";
            if (!keys.Sidecar)
            {
                ctx.Interrupted++;
                ctx.Findings.Add(new Finding(FindingCodes.VersionInterrupted, prefix,
                    $"{prefix}: no manifest.json.sha256: an interrupted snapshot; this version does not exist and its number is not reused (FORMAT.md §5.1).",
                    [new AffectedVersion(capsule, version, [])]));
                continue;
            }

            if (!keys.Manifest)
            {
                ctx.Findings.Add(new Finding(FindingCodes.ManifestMissing, prefix + "manifest.json",
                    $"{prefix}manifest.json is missing, though its sidecar is there: the version is lost.", [new AffectedVersion(capsule, version, [])]));
                continue;
            }

            ctx.Versions.Add(new VersionState(capsule, version, keys.Signature));
        }

        await Parallel.ForEachAsync(
            ctx.Versions,
            new ParallelOptions { MaxDegreeOfParallelism = ctx.Options.EffectiveParallelism, CancellationToken = cancellationToken },
            async (v, ct) => await CheckManifestAsync(v, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task CheckManifestAsync(VersionState v, CancellationToken cancellationToken)
    {
        string key = v.Prefix + "manifest.json";
        AffectedVersion[] affected = [new AffectedVersion(v.Capsule, v.Version, [])];
        byte[]? manifest = await ctx.Store.TryGetAsync(key, cancellationToken).ConfigureAwait(false);
        byte[]? sidecar = await ctx.Store.TryGetAsync(key + ".sha256", cancellationToken).ConfigureAwait(false);
        if (manifest is null || sidecar is null)
        {
            ctx.Findings.Add(new Finding(FindingCodes.ManifestMissing, key, $"{key} or its sidecar vanished while the audit read them.", affected));
            return;
        }

        string sha = Convert.ToHexStringLower(SHA256.HashData(manifest));
        string text = System.Text.Encoding.ASCII.GetString(sidecar);
        if (text.Length != 64 + 2 + 13 + 1 || !text.EndsWith("  manifest.json\n", StringComparison.Ordinal) ||
            !text[..64].All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
        {
            ctx.Findings.Add(new Finding(FindingCodes.SidecarInvalid, key + ".sha256",
                $"{key}.sha256 is not one line '<64 hex>  manifest.json' (FORMAT.md §5.1).", affected));
            return;
        }

        if (text[..64] != sha)
        {
            ctx.Findings.Add(new Finding(FindingCodes.ManifestHashMismatch, key,
                $"{key}: SHA-256 is {sha} but its sidecar says {text[..64]}: the manifest was altered or damaged.", affected));
            return;
        }

        IReadOnlyList<string> errors = ManifestCodec.ValidateManifest(manifest);
        if (errors.Count > 0)
        {
            ctx.Findings.Add(new Finding(FindingCodes.ManifestSchemaInvalid, key, $"{key}: fails its schema: {string.Join("; ", errors)}.", affected));
            return;
        }

        ManifestFacts facts = ManifestFacts.Read(manifest);
        if (facts.Capsule != v.Capsule || facts.Version != v.Version)
        {
            ctx.Findings.Add(new Finding(FindingCodes.ManifestMisplaced, key,
                $"{key}: it names {facts.Capsule}@v{facts.Version}, not the place it is stored at.", affected));
            return;
        }

        if (v.HasSignature)
        {
            byte[]? sig = await ctx.Store.TryGetAsync(key + ".sig", cancellationToken).ConfigureAwait(false);
            string? keyId = sig is null ? null : SignatureCheck.Verify(sig, manifest, out string? problem) ?? LogSignature(key, problem!, affected);
            if (keyId is null)
            {
                return;
            }

            v.KeyId = keyId;
            if (ctx.Options.TrustedKeyIds is { Count: > 0 } trusted && !trusted.Contains(keyId))
            {
                ctx.Findings.Add(new Finding(FindingCodes.SignatureUntrusted, key + ".sig",
                    $"{key}.sig: signed by key {keyId}, which is not among the keys the auditor trusts.", affected));
            }
        }
        else if (ctx.Options.TrustedKeyIds is { Count: > 0 })
        {
            ctx.Findings.Add(new Finding(FindingCodes.VersionUnsigned, key, $"{key}: not signed, so no trusted curator vouches for it.", affected));
        }

        if (facts.DphepLevel is int level && level >= 4 && (facts.RunEntries == 0 || facts.RunEntriesWithReferences < facts.RunEntries))
        {
            ctx.Findings.Add(new Finding(FindingCodes.DphepIncomplete, key,
                $"{key}: declares DPHEP level {level}, which needs run entries whose outputs all have reference outputs; it has {facts.RunEntries} run entries, {facts.RunEntriesWithReferences} with references.",
                affected));
        }

        v.Sha256 = sha;
        v.Facts = facts;
    }

    private string? LogSignature(string key, string problem, AffectedVersion[] affected)
    {
        ctx.Findings.Add(new Finding(FindingCodes.SignatureInvalid, key + ".sig", $"{key}.sig: {problem}.", affected));
        return null;
    }

    // FORMAT.md §5.2: previous names the version this one was made after, by number and manifest hash.
    public void CheckVersionChain(SortedDictionary<(string Capsule, int Version), VersionKeys> listed)
    {
        var sha = ctx.Versions.Where(v => v.Sha256 is not null).ToDictionary(v => (v.Capsule, v.Version), v => v.Sha256!);
        foreach (VersionState v in ctx.Versions.Where(v => v.Facts?.Previous is not null))
        {
            (int pv, string psha) = v.Facts!.Previous!.Value;
            string key = v.Prefix + "manifest.json";
            if (ctx.Options.Version is not null && !listed.ContainsKey((v.Capsule, pv)))
            {
                // Only this version is audited: the previous one is judged when it is audited itself.
                continue;
            }

            if (!sha.TryGetValue((v.Capsule, pv), out string? actual))
            {
                ctx.Findings.Add(new Finding(FindingCodes.VersionChainBroken, key,
                    $"{key}: previous names v{pv}, which does not exist as a valid version.", [new AffectedVersion(v.Capsule, v.Version, [])]));
            }
            else if (actual != psha || pv >= v.Version)
            {
                ctx.Findings.Add(new Finding(FindingCodes.VersionChainBroken, key,
                    $"{key}: previous names v{pv} with SHA-256 {psha}, but v{pv}'s manifest has {actual}.", [new AffectedVersion(v.Capsule, v.Version, [])]));
            }
        }
    }
}
