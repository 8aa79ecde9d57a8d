using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Audit;

/// <summary>FORMAT.md §6, §8: the tree catalogs opened, every blob a manifest or catalog names present; orphans.</summary>
internal sealed class CompletenessCheck(AuditContext ctx)
{
    private const string CatalogPath = AuditContext.CatalogPath;

    // What the audit may still keep of catalogs in memory, decoded (AuditOptions.CatalogMemoryBudget).
    private long _inMemoryLeft = ctx.Options.CatalogMemoryBudget;

    public async Task OpenCatalogsAsync(string scratch, CancellationToken cancellationToken)
    {
        foreach (VersionState v in ctx.Versions.Where(v => v.Facts is not null))
        {
            if (!BlobId.TryParse(v.Facts!.Catalog, out BlobId id))
            {
                continue;
            }

            ctx.Named.Add(id);
            if (!ctx.Present.Contains(id))
            {
                continue; // reported with every other missing blob
            }

            RentedBytes? content;
            using (RentedBytes? frame = await ctx.Store.TryGetRentedAsync(id.Key, cancellationToken).ConfigureAwait(false))
            {
                content = frame is null ? null : BlobFrame.Decompress(frame.Span, out _);
            }

            if (content is null)
            {
                ctx.Corrupt.TryAdd(id, 0);
                continue; // reported as a corrupt blob below, with every version it affects
            }

            int length = content.Length; // read again below, when the content may have gone back to the pool

            // Hashed on the other core while the catalog is opened; kept only if it is the blob. Within the budget
            // the catalog is read where it was decoded (and then holds the buffer); beyond it, from a file.
            Task<BlobId> hashing = Task.Run(() => BlobId.Of(content.Span), CancellationToken.None);
            bool inMemory = length <= _inMemoryLeft;
            CatalogDatabase? catalog = null;
            string? invalid;
            try
            {
                catalog = inMemory ? CatalogDatabase.OpenInMemory(content, out invalid) : CatalogDatabase.OpenOnDisk(content.Span, scratch, out invalid);
            }
            finally
            {
                await hashing.ConfigureAwait(false); // it reads the content, which goes back to the pool below
                if (!inMemory || catalog is null)
                {
                    content.Dispose();
                }
            }

            if (hashing.Result != id)
            {
                catalog?.Dispose();
                ctx.Corrupt.TryAdd(id, 0);
                continue;
            }

            _inMemoryLeft -= inMemory && catalog is not null ? length : 0;
            Interlocked.Increment(ref ctx.BlobsChecked);
            Interlocked.Add(ref ctx.BytesChecked, length);
            v.Catalog = catalog;
            if (v.Catalog is null)
            {
                ctx.Findings.Add(new Finding(FindingCodes.CatalogInvalid, id.Key, $"{id.Key} (catalog of {v.Capsule}@v{v.Version}): {invalid}.",
                    [new AffectedVersion(v.Capsule, v.Version, [CatalogPath])]));
            }
        }
    }

    /// <summary>Every blob a manifest or catalog names; which catalogs name each (<see cref="AuditContext.BlobUsers"/>, in <paramref name="scratch"/>).</summary>
    public void CollectNamedBlobs(string scratch)
    {
        ctx.BlobUsers = new BlobUsers(scratch);
        foreach (VersionState v in ctx.Versions.Where(v => v.Facts is not null))
        {
            foreach ((string _, string blob) in v.Facts!.NamedBlobs)
            {
                ctx.Named.Add(BlobId.Parse(blob));
            }

            if (v.Catalog is not null)
            {
                List<string> blobs = [.. v.Catalog.Blobs()]; // one catalog's at a time
                foreach (string blob in blobs)
                {
                    if (BlobId.TryParse(blob, out BlobId id))
                    {
                        ctx.Named.Add(id);
                    }
                }

                ctx.BlobUsers.Add(v, blobs);
            }
        }

        ctx.BlobUsers.Seal();
    }

    // Every blob a manifest or catalog names is present (FORMAT.md §8: blobs before manifests); blobs nothing
    // names are a warning only: an interrupted snapshot leaves them, and a later one may name them.
    public void CheckCompleteness()
    {
        foreach (BlobId id in ctx.Named.Where(id => !ctx.Present.Contains(id)).Order())
        {
            IReadOnlyList<AffectedVersion> affected = ctx.Affected(id);
            ctx.Findings.Add(new Finding(FindingCodes.BlobMissing, id.Key,
                $"{id.Key} is missing; it holds data of {AuditContext.Describe(affected)}.", affected));
        }

        // Orphans are judged only when every catalog could be read: a blob named only by a lost catalog is not one.
        if (!ctx.Filtered && ctx.Versions.All(v => v.Facts is null || v.Catalog is not null))
        {
            foreach (BlobId id in ctx.Present.Where(id => !ctx.Named.Contains(id)).Order())
            {
                ctx.Findings.Add(new Finding(FindingCodes.BlobOrphan, id.Key, $"{id.Key}: no version names it (left by an interrupted snapshot, or its versions were deaccessioned)."));
            }
        }
    }
}
