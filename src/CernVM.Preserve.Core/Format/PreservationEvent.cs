using System.Text.Json.Serialization;

namespace CernVM.Preserve.Core.Format;

/// <summary>
/// An entry of the archive's journal (FORMAT.md §7), after the PREMIS 3.0 event entity: what happened, when,
/// by which agent, to which capsule versions, with what outcome. Events are immutable files.
/// </summary>
public sealed class PreservationEvent
{
    [JsonPropertyName("format")]
    public int Format { get; set; } = ArchiveLayout.FormatVersion;

    [JsonPropertyName("eventId")]
    public required string EventId { get; set; }

    /// <summary>ingestion, fixity check, replay verification, deaccession, signature, migration.</summary>
    [JsonPropertyName("eventType")]
    public required string EventType { get; set; }

    [JsonPropertyName("dateTime")]
    public required string DateTime { get; set; }

    [JsonPropertyName("agent")]
    public required Producer Agent { get; set; }

    /// <summary>success, failure or warning.</summary>
    [JsonPropertyName("outcome")]
    public required string Outcome { get; set; }

    [JsonPropertyName("objects")]
    public List<EventObject> Objects { get; set; } = [];

    [JsonPropertyName("detail")]
    public string Detail { get; set; } = "";

    /// <summary>
    /// The event this one follows in the journal's hash chain (FORMAT.md §7.1): the key and SHA-256 of the
    /// newest event the writer saw; null for the first event of a journal.
    /// </summary>
    [JsonPropertyName("previousEvent")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public EventLink? PreviousEvent { get; set; }

    /// <summary>What a fixity check covered (FORMAT.md §7.2); only on events of type <c>fixity check</c>.</summary>
    [JsonPropertyName("fixity")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FixityCoverage? Fixity { get; set; }

    /// <summary>The journal key: <c>journal/YYYY/&lt;timestamp&gt;-&lt;eventId&gt;.json</c>.</summary>
    [JsonIgnore]
    public string Key
    {
        get
        {
            string compact = DateTime.Replace("-", "", StringComparison.Ordinal).Replace(":", "", StringComparison.Ordinal);
            return $"journal/{DateTime[..4]}/{compact}-{EventId}.json";
        }
    }
}

public sealed record EventObject(
    [property: JsonPropertyName("capsule")] string Capsule,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("manifestSha256")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    string? ManifestSha256);

/// <summary>A link of the journal's hash chain (FORMAT.md §7.1): an earlier event file, by key and by the SHA-256 of its bytes.</summary>
public sealed record EventLink(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("sha256")] string Sha256);

/// <summary>
/// What one fixity check read (FORMAT.md §7.2): its scope, the share of the blob-id space whose blobs it
/// re-hashed (<c>from</c> inclusive, <c>to</c> exclusive, as the first 8 hex digits of an id; <c>to</c>
/// "100000000" is the end of the space), and the archive's size as it saw it.
/// </summary>
public sealed record FixityCoverage(
    [property: JsonPropertyName("scope")] string Scope,
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("blobsChecked")] long BlobsChecked,
    [property: JsonPropertyName("bytesChecked")] long BytesChecked,
    [property: JsonPropertyName("archiveBlobs")] long ArchiveBlobs,
    [property: JsonPropertyName("archiveBytes")] long ArchiveBytes,
    [property: JsonPropertyName("errors")] int Errors,
    [property: JsonPropertyName("warnings")] int Warnings);

/// <summary>Times as archive files write them: UTC, ISO 8601, 'Z', 7 fraction digits.</summary>
public static class ArchiveTime
{
    public static string Format(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
}
