using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Audit;

/// <summary>FORMAT.md §8.1: with a retention declared, every object carries one, in that mode, not about to end.</summary>
internal sealed class RetentionCheck(AuditContext ctx)
{
    private static readonly TimeSpan RetentionHorizon = TimeSpan.FromDays(30);

    // FORMAT.md §8.1: with a retention declared, every object carries one, in that mode, not about to end.
    public async Task RunAsync(RetentionDeclaration declared, CancellationToken cancellationToken)
    {
        if (ctx.Store is not IObjectRetentionReader reader)
        {
            return; // a directory copy of a locked archive: the commands warn about it when they open it
        }

        DateTimeOffset horizon = DateTimeOffset.UtcNow + RetentionHorizon;
        var options = new ParallelOptions { MaxDegreeOfParallelism = ctx.Options.EffectiveParallelism * 4, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(RetainedKeysAsync(cancellationToken), options, async (key, ct) =>
        {
            ObjectRetention? r = await reader.GetRetentionAsync(key, ct).ConfigureAwait(false);
            if (r is null)
            {
                ctx.Findings.Add(new Finding(FindingCodes.RetentionMissing, key, $"{key}: no Object Lock retention, though archive.json declares {declared.Mode} for {declared.Days} days."));
            }
            else if (!string.Equals(r.Mode, declared.Mode, StringComparison.OrdinalIgnoreCase))
            {
                ctx.Findings.Add(new Finding(FindingCodes.RetentionWrongMode, key, $"{key}: retention mode {r.Mode}, but archive.json declares {declared.Mode}."));
            }
            else if (r.RetainUntil < horizon)
            {
                ctx.Findings.Add(new Finding(FindingCodes.RetentionExpiring, key, $"{key}: retention ends {ArchiveTime.Format(r.RetainUntil)}, within {RetentionHorizon.TotalDays:0} days: extend it."));
            }
        }).ConfigureAwait(false);
    }

    private async IAsyncEnumerable<string> RetainedKeysAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (ctx.Filtered)
        {
            foreach (VersionState v in ctx.Versions)
            {
                await foreach (string key in ctx.Store.ListAsync(v.Prefix, cancellationToken).ConfigureAwait(false))
                {
                    yield return key;
                }
            }

            foreach (BlobId id in ctx.Named.Where(ctx.Present.Contains).Order())
            {
                yield return id.Key;
            }

            yield break;
        }

        await foreach (string key in ctx.Store.ListAsync("", cancellationToken).ConfigureAwait(false))
        {
            if (!key.StartsWith("tmp/", StringComparison.Ordinal))
            {
                yield return key;
            }
        }
    }
}
