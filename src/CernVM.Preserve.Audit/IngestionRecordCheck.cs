namespace CernVM.Preserve.Audit;

/// <summary>
/// Checks that the journal records the ingestion of every version the audit read (FORMAT.md §7): a version
/// exists by its sidecar alone, and its ingestion event is written after it, so a snapshot that ended between
/// the two (killed there, or its event's write failed) leaves a version no event names. That is provenance
/// missing, not damage: a warning (AUD085), naming the version.
/// </summary>
internal static class IngestionRecordCheck
{
    public static IEnumerable<Finding> Run(IEnumerable<VersionState> versions, JournalCheck journal)
    {
        var recorded = new HashSet<string>(
            journal.Events.Where(e => e.EventType == "ingestion").SelectMany(e => e.Objects),
            StringComparer.Ordinal);
        foreach (VersionState v in versions.Where(v => v.Facts is not null))
        {
            string name = $"{v.Capsule}@v{v.Version}";
            if (!recorded.Contains(name))
            {
                yield return new Finding(
                    FindingCodes.VersionUnrecorded,
                    v.Prefix,
                    $"{v.Prefix}: no ingestion event of the journal names {name}: its snapshot ended between committing the version and recording it (killed, or the journal could not be written). The version is whole; its provenance record is missing.",
                    [new AffectedVersion(v.Capsule, v.Version, [])]);
            }
        }
    }
}
