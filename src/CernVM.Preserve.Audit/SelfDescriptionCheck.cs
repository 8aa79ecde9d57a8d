using System.Text.Json;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;

namespace CernVM.Preserve.Audit;

/// <summary>FORMAT.md §2.1, §3: the declaration, the descriptor and the files that make the archive explain itself; the retention it declares.</summary>
internal sealed class SelfDescriptionCheck(AuditContext ctx)
{
    // FORMAT.md §2.1, §3: the declaration, the descriptor, and the files that make the archive explain itself.
    public async Task<RetentionDeclaration?> RunAsync(CancellationToken cancellationToken)
    {
        byte[]? declaration = await ctx.Store.TryGetAsync(ArchiveLayout.Declaration, cancellationToken).ConfigureAwait(false);
        if (declaration is null)
        {
            await foreach (string key in ctx.Store.ListAsync(ArchiveLayout.DeclarationPrefix, cancellationToken).ConfigureAwait(false))
            {
                throw new PreserveException(FailureKind.NotAnArchive,
                    $"{ctx.Store.Location}: the archive is of format {key[ArchiveLayout.DeclarationPrefix.Length..]} ({key}); this software audits format {ArchiveLayout.FormatVersion}. Use a newer cvmpreserve.");
            }

            throw new PreserveException(FailureKind.NotAnArchive,
                $"{ctx.Store.Location} is not a CernVM.Preserve archive (no {ArchiveLayout.Declaration} file): nothing to audit.");
        }

        if (!declaration.AsSpan().SequenceEqual(System.Text.Encoding.ASCII.GetBytes(ArchiveLayout.DeclarationContent)))
        {
            ctx.Findings.Add(new Finding(FindingCodes.DeclarationInvalid, ArchiveLayout.Declaration,
                $"{ArchiveLayout.Declaration} holds {declaration.Length} bytes that are not the line '{ArchiveLayout.DeclarationContent.TrimEnd()}' (FORMAT.md §2.1)."));
        }

        foreach (string key in new[] { ArchiveLayout.FormatDocument, ArchiveLayout.ManifestSchema, ArchiveLayout.EventSchema, ArchiveLayout.CatalogDdl })
        {
            if (!await ctx.Store.ExistsAsync(key, cancellationToken).ConfigureAwait(false))
            {
                ctx.Findings.Add(new Finding(FindingCodes.SelfDescriptionMissing, key, $"{key} is missing: the archive no longer explains itself to a reader without this software (FORMAT.md §2)."));
            }
        }

        byte[]? descriptor = await ctx.Store.TryGetAsync(ArchiveLayout.Descriptor, cancellationToken).ConfigureAwait(false);
        if (descriptor is null)
        {
            ctx.Findings.Add(new Finding(FindingCodes.DescriptorInvalid, ArchiveLayout.Descriptor, $"{ArchiveLayout.Descriptor} is missing (FORMAT.md §3)."));
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
                ctx.Findings.Add(new Finding(FindingCodes.DescriptorInvalid, ArchiveLayout.Descriptor, $"{ArchiveLayout.Descriptor}: {problem} (FORMAT.md §3)."));
                return null;
            }

            if (root.TryGetProperty("retention", out JsonElement retention) && retention.ValueKind == JsonValueKind.Object)
            {
                return new RetentionDeclaration(retention.GetProperty("mode").GetString()!, retention.GetProperty("days").GetInt32());
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            ctx.Findings.Add(new Finding(FindingCodes.DescriptorInvalid, ArchiveLayout.Descriptor, $"{ArchiveLayout.Descriptor}: not valid JSON of §3 ({e.Message})."));
        }

        return null;
    }
}
