using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Audit;

/// <summary>
/// Records an audit in the journal (FORMAT.md §7): one <c>fixity check</c> event naming every version
/// audited, with what it covered (§7.2) and linked to the newest event before it (§7.1).
/// </summary>
public static class AuditJournal
{
    public static async Task<PreservationEvent> WriteAsync(IObjectStore store, AuditReport report, Producer agent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(report);
        var e = new PreservationEvent
        {
            EventId = Guid.NewGuid().ToString("N"),
            EventType = "fixity check",
            DateTime = ArchiveTime.Format(DateTimeOffset.UtcNow),
            Agent = agent,
            Outcome = report.Outcome,
            Objects = [.. report.Versions.Select(v => new EventObject(v.Capsule, v.Version, v.ManifestSha256))],
            Detail = $"audit ({report.Coverage.Scope}): {report.Versions.Count} versions, {report.Coverage.BlobsChecked} blobs re-hashed " +
                     $"({report.Coverage.BytesChecked} bytes), {report.FilesChecked} file hashes checked, {report.Errors} errors, {report.Warnings} warnings" +
                     (report.Functional.Count == 0 ? "" : $", {report.Functional.Count} replayed ({report.Functional.Count(f => f.Verdict == FunctionalVerdict.Match)} reproduce their references)") +
                     (report.Errors == 0 ? "" : ": " + string.Join(", ", report.Findings.Where(f => f.IsError).Select(f => f.Code.Code).Distinct())),
            PreviousEvent = await JournalChain.TailAsync(store, cancellationToken).ConfigureAwait(false),
            Fixity = report.Coverage,
        };
        byte[] bytes = CanonicalJson.Serialize(e);
        IReadOnlyList<string> errors = ManifestCodec.ValidateEvent(bytes);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Refusing to write an event that fails its schema: " + string.Join("; ", errors));
        }

        await store.PutIfAbsentAsync(e.Key, bytes, cancellationToken).ConfigureAwait(false);
        await store.FlushAsync(cancellationToken).ConfigureAwait(false);
        return e;
    }
}
