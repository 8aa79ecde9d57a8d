using CernVM.Preserve.Core.Diagnostics;
using System.Diagnostics;
using System.Globalization;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Audit;

/// <summary>
/// Checks an archive the way a data-preservation officer needs it checked: is every byte there, unchanged,
/// signed, locked. It reads the archive through the storage port with its own reading of the format
/// (FORMAT.md §2–§8) and none of the writer's or restorer's code, so a writer's bug cannot hide from it.
/// Blobs are read in parallel, one at a time per worker; catalogs wait on disk: memory does not grow with
/// the archive's bytes, only with its number of blobs (two sets of 32-byte ids). This class only orders the
/// parts, each with one job: <see cref="SelfDescriptionCheck"/>, <see cref="ManifestCheck"/>,
/// <see cref="CompletenessCheck"/>, <see cref="JournalVerifier"/>, <see cref="FixityCheck"/>, <see cref="RetentionCheck"/>.
/// </summary>
public sealed class ArchiveAuditor
{
    private readonly AuditContext _ctx;

    private ArchiveAuditor(IObjectStore store, AuditOptions options)
    {
        _ctx = new AuditContext(store, options);
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

    // The parts in the order FORMAT.md builds an archive up: what it says of itself, its versions, what they
    // name, the bytes, the journal, the locks. Each part adds its findings to the shared context.
    private async Task<AuditReport> RunAsync(CancellationToken cancellationToken)
    {
        AuditContext c = _ctx;
        string started = ArchiveTime.Format(DateTimeOffset.UtcNow);
        var clock = Stopwatch.StartNew();
        string scratch = Directory.CreateTempSubdirectory("cvmpreserve-audit-").FullName;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<SortedDictionary<(string Capsule, int Version), VersionKeys>>? listing = null;
        Task<JournalCheck>? journalReading = null;
        try
        {
            Timeline.Mark("audit: start");

            // The manifest schema (JsonSchema.Net's meta-schemas first) and SQLite are slow to make ready: they
            // get ready on the other core while the archive describes itself and is listed.
            _ = Task.Run(ManifestCodec.WarmUp, CancellationToken.None);
            _ = Task.Run(CatalogDatabase.WarmUp, CancellationToken.None);

            // Three readings that need nothing of one another start together: the archive's description of itself,
            // its listing, and the journal (a chain of its own, judged on its own). Whatever ends the audit early
            // stops the other two and waits for them (finally, below).
            var manifests = new ManifestCheck(c);
            listing = Task.Run(() => manifests.ListAsync(stop.Token), CancellationToken.None);
            journalReading = Task.Run(() => JournalVerifier.VerifyAsync(c.Store, stop.Token), CancellationToken.None);
            RetentionDeclaration? retention = await new SelfDescriptionCheck(c).RunAsync(cancellationToken).ConfigureAwait(false);
            Timeline.Mark("audit: self-description checked");
            SortedDictionary<(string Capsule, int Version), VersionKeys> listed = await listing.ConfigureAwait(false);
            Timeline.Mark("audit: archive listed");
            await manifests.CheckManifestsAsync(listed, cancellationToken).ConfigureAwait(false);
            manifests.CheckVersionChain(listed);
            Timeline.Mark("audit: manifests checked");
            var completeness = new CompletenessCheck(c);
            await completeness.OpenCatalogsAsync(scratch, cancellationToken).ConfigureAwait(false);
            completeness.CollectNamedBlobs(scratch);
            completeness.CheckCompleteness();
            Timeline.Mark("audit: catalogs opened, completeness checked");
            JournalCheck journal = await journalReading.ConfigureAwait(false);
            foreach (Finding f in journal.Findings.Concat(IngestionRecordCheck.Run(c.Versions, journal)))
            {
                c.Findings.Add(f);
            }

            var fixity = new FixityCheck(c);
            Timeline.Mark("audit: journal verified");
            (ulong from, ulong to) = fixity.Range(journal);
            await fixity.RunAsync(from, to, cancellationToken).ConfigureAwait(false);
            Timeline.Mark("audit: fixity checked");
            if (retention is not null)
            {
                await new RetentionCheck(c).RunAsync(retention, cancellationToken).ConfigureAwait(false);
            }

            List<Finding> findings = [.. c.Findings.OrderBy(f => f.Code.Code, StringComparer.Ordinal).ThenBy(f => f.Subject, StringComparer.Ordinal)];
            var coverage = new FixityCoverage(
                c.Options.Scope.ToString().ToLowerInvariant(),
                Hex(from),
                Hex(to),
                c.BlobsChecked,
                c.BytesChecked,
                c.Present.Count,
                c.Versions.Where(v => v.Facts is not null).Sum(v => v.Facts!.TreeBytes),
                findings.Count(f => f.IsError),
                findings.Count(f => !f.IsError));
            return new AuditReport(
                c.Store.Location,
                started,
                clock.Elapsed,
                coverage,
                [.. c.Versions.Where(v => v.Facts is not null).Select(v => new AuditedVersion(v.Capsule, v.Version, v.Sha256!, v.Facts!.Created, v.Facts.TreeBytes, v.KeyId is not null, v.KeyId, v.Facts.RunEntries))],
                c.Interrupted,
                c.Present.Count,
                c.Named.Count,
                c.FilesChecked,
                findings,
                journal);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(listing ?? Task.CompletedTask, journalReading ?? Task.CompletedTask).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            foreach (VersionState v in c.Versions)
            {
                v.Catalog?.Dispose();
            }

            c.BlobUsers?.Dispose();
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static string Hex(ulong position) => position >= 1UL << 32 ? "100000000" : position.ToString("x8", CultureInfo.InvariantCulture);
}
