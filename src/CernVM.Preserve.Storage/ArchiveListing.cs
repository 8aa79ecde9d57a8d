using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Storage;

/// <summary>
/// Which capsules and version directories an archive holds (FORMAT.md §2, §5.1), read from its store's listing.
/// One flat listing of <c>capsules/</c> tells every version's files at once and is the cheap walk where each
/// listing is a request (S3: a thousand keys a page); on a directory it opens every version directory, so a
/// reader that needs only the directories' names walks it level by level instead
/// (<see cref="StoreCapabilities.CheapChildListing"/>).
/// </summary>
internal sealed class ArchiveListing(IObjectStore store)
{
    public async Task<IReadOnlyList<CapsuleName>> CapsulesAsync(CancellationToken cancellationToken)
    {
        var names = new SortedSet<CapsuleName>();
        await foreach (string key in store.ListAsync(ArchiveLayout.CapsulesPrefix, cancellationToken).ConfigureAwait(false))
        {
            // capsules/NAME/vN/…: a key beside the version directories (capsules/NAME/notes) names no capsule.
            string[] parts = key.Split('/');
            if (parts.Length >= 4 && TryParseVersionDirectory(parts[2], out _) && CapsuleName.TryParse(parts[1], out CapsuleName name))
            {
                names.Add(name);
            }
        }

        return [.. names];
    }

    public async Task<IReadOnlyList<VersionListing>> VersionsAsync(CapsuleName name, CancellationToken cancellationToken) =>
        await ListFlatAsync(ArchiveLayout.CapsulePrefix(name), name, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<VersionListing>> AllVersionsAsync(CancellationToken cancellationToken) =>
        await ListFlatAsync(ArchiveLayout.CapsulesPrefix, null, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The first half of <see cref="DirectoriesAsync"/>, which needs nothing of the caller: on a directory, every
    /// capsule directory and its token, taken before any of them is read; on another store, the one flat listing.
    /// </summary>
    public async Task<CapsuleScan> ScanAsync(CancellationToken cancellationToken)
    {
        if (!store.Capabilities.CheapChildListing)
        {
            return new CapsuleScan(null, await AllVersionsAsync(cancellationToken).ConfigureAwait(false));
        }

        // Each token is taken before the directory is read: a change between the two gives a new token next time, never a stale one.
        var capsules = new List<(CapsuleName Capsule, string? Token)>();
        await foreach ((string child, string? token) in store.ListChildrenWithTokensAsync(ArchiveLayout.CapsulesPrefix, cancellationToken).ConfigureAwait(false))
        {
            if (child.EndsWith('/') && CapsuleName.TryParse(child[..^1], out CapsuleName name))
            {
                capsules.Add((name, token));
            }
        }

        return new CapsuleScan(capsules, null);
    }

    /// <summary>The second half: the version directories of every capsule whose token is not the one the caller knew.</summary>
    public async Task<IReadOnlyList<CapsuleDirectories>> DirectoriesAsync(CapsuleScan scan, IReadOnlyDictionary<CapsuleName, string> knownTokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scan);
        if (scan.Flat is { } flat)
        {
            return [.. flat
                .GroupBy(v => v.Capsule)
                .Select(g => new CapsuleDirectories(g.Key, null, [.. g.Select(v => new VersionDirectory(v.Capsule, v.Version, v.Complete))]))];
        }

        // capsules/NAME/ then capsules/NAME/vN/, no version directory opened (a flat listing would open each of them);
        // and a capsule whose directory has the token the caller knew is not read at all: a thousand capsules of ten
        // versions each are one directory read and a thousand stats, not eleven thousand directory reads.
        var found = new List<CapsuleDirectories>();
        foreach ((CapsuleName name, string? token) in scan.Capsules!)
        {
            if (token is not null && knownTokens.TryGetValue(name, out string? known) && known == token)
            {
                found.Add(new CapsuleDirectories(name, token, null));
                continue;
            }

            var versions = new List<VersionDirectory>();
            await foreach (string version in store.ListChildrenAsync(ArchiveLayout.CapsulePrefix(name), cancellationToken).ConfigureAwait(false))
            {
                if (version.EndsWith('/') && TryParseVersionDirectory(version[..^1], out int v))
                {
                    versions.Add(new VersionDirectory(name, v, null));
                }
            }

            versions.Sort(static (a, b) => a.Version.CompareTo(b.Version));
            found.Add(new CapsuleDirectories(name, token, versions));
        }

        found.Sort(static (a, b) => a.Capsule.CompareTo(b.Capsule));
        return found;
    }

    public async Task<bool> IsCompleteAsync(CapsuleName name, int version, CancellationToken cancellationToken) =>
        await store.ExistsAsync(ArchiveLayout.ManifestSidecar(name, version), cancellationToken).ConfigureAwait(false)
        && await store.ExistsAsync(ArchiveLayout.Manifest(name, version), cancellationToken).ConfigureAwait(false);

    // A version directory's name: "v" and a positive decimal number (FORMAT.md §2).
    private static bool TryParseVersionDirectory(string segment, out int version)
    {
        version = 0;
        return segment.Length >= 2 && segment[0] == 'v' &&
               int.TryParse(segment.AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version) &&
               version >= 1;
    }

    // Lists prefix (one capsule's, with its name; or every capsule's) and reads the version directories and the
    // files of FORMAT.md §2 in them: capsules/NAME/vN/manifest.json, .sha256, .sig.
    private async Task<List<VersionListing>> ListFlatAsync(string prefix, CapsuleName? capsule, CancellationToken cancellationToken)
    {
        var found = new SortedDictionary<(CapsuleName Name, int Version), (bool Manifest, bool Sidecar, bool Sig)>();
        int segments = capsule is null ? 3 : 2;
        await foreach (string key in store.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            string[] parts = key[prefix.Length..].Split('/');
            if (parts.Length != segments || !TryParseVersionDirectory(parts[segments - 2], out int v))
            {
                continue;
            }

            CapsuleName name;
            if (capsule is CapsuleName given)
            {
                name = given;
            }
            else if (!CapsuleName.TryParse(parts[0], out name))
            {
                continue;
            }

            found.TryGetValue((name, v), out var f);
            found[(name, v)] = parts[segments - 1] switch
            {
                "manifest.json" => f with { Manifest = true },
                "manifest.json.sha256" => f with { Sidecar = true },
                "manifest.json.sig" => f with { Sig = true },
                _ => f,
            };
        }

        return [.. found.Select(kv => new VersionListing(kv.Key.Name, kv.Key.Version, kv.Value.Manifest && kv.Value.Sidecar, kv.Value.Sig))];
    }
}
