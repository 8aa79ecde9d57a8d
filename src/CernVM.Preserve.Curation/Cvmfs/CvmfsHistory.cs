using System.Globalization;
using Microsoft.Data.Sqlite;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>A named snapshot from the history database (history_sql.cc, table <c>tags</c>).</summary>
/// <param name="Name">Tag name, e.g. <c>trunk</c> or <c>cernvm-system-3.6.5.0</c>.</param>
/// <param name="RootCatalog">The tagged root catalog (suffix C).</param>
/// <param name="Revision">The repository revision.</param>
/// <param name="Timestamp">When the tag was created.</param>
/// <param name="Description">Free text, may be empty.</param>
/// <param name="Branch">The branch (<c>""</c> = trunk); null before history schema revision 3.</param>
/// <param name="RootCatalogSize">Uncompressed root catalog size, if recorded.</param>
public sealed record CvmfsTag(string Name, ContentHash RootCatalog, long Revision, DateTimeOffset Timestamp, string Description, string? Branch, long? RootCatalogSize);

/// <summary>
/// The history database (object suffix H): the repository's named snapshots (docs/CVMFS.md §5;
/// cvmfs/history_sql.cc). Read whole on open; the database is small.
/// </summary>
public sealed class CvmfsHistory
{
    private CvmfsHistory(ContentHash hash, IReadOnlyList<CvmfsTag> tags, IReadOnlyDictionary<string, string> properties)
    {
        Hash = hash;
        Tags = tags;
        Properties = properties;
        if (properties.TryGetValue("previous_revision", out string? previous) && ContentHash.TryParse(previous, ObjectSuffix.History, out ContentHash p))
        {
            PreviousRevision = p;
        }
    }

    /// <summary>The history object (suffix H).</summary>
    public ContentHash Hash { get; }

    /// <summary>All tags, newest revision first.</summary>
    public IReadOnlyList<CvmfsTag> Tags { get; }

    /// <summary>The <c>properties</c> table (fqrn, schema, previous_revision …).</summary>
    public IReadOnlyDictionary<string, string> Properties { get; }

    /// <summary>The history database this one replaced, if recorded.</summary>
    public ContentHash? PreviousRevision { get; }

    /// <summary>Opens an inflated history database.</summary>
    /// <exception cref="CvmfsFormatException">The bytes are not a cvmfs history database.</exception>
    public static CvmfsHistory Open(byte[] sqliteBytes, ContentHash hash)
    {
        ArgumentNullException.ThrowIfNull(sqliteBytes);
        using TemporarySqliteDatabase database = TemporarySqliteDatabase.Open(sqliteBytes, hash.ObjectName);
        try
        {
            if (!database.HasTable("tags"))
            {
                throw new CvmfsFormatException(hash.ObjectName, "the history database has no 'tags' table.");
            }

            HashSet<string> columns = database.Columns("tags");
            string branch = columns.Contains("branch") ? "branch" : "NULL";
            string size = columns.Contains("size") ? "size" : "NULL";
            string description = columns.Contains("description") ? "description" : "''";
            var tags = new List<CvmfsTag>();
            using SqliteCommand command = database.Connection.CreateCommand();
            command.CommandText = $"SELECT name, hash, revision, timestamp, {description}, {branch}, {size} FROM tags ORDER BY revision DESC, name";
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                string name = reader.GetString(0);
                string hex = reader.GetString(1);
                if (!ContentHash.TryParse(hex, ObjectSuffix.Catalog, out ContentHash root))
                {
                    throw new CvmfsFormatException(hash.ObjectName, $"tag '{name}' has no valid root hash: '{hex}'.");
                }

                tags.Add(new CvmfsTag(
                    name,
                    root,
                    reader.GetInt64(2),
                    DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(3)),
                    reader.IsDBNull(4) ? string.Empty : reader.GetString(4),
                    reader.IsDBNull(5) ? null : Convert.ToString(reader.GetValue(5), CultureInfo.InvariantCulture),
                    reader.IsDBNull(6) ? null : reader.GetInt64(6)));
            }

            return new CvmfsHistory(hash, tags, database.ReadProperties());
        }
        catch (SqliteException ex)
        {
            throw new CvmfsFormatException(hash.ObjectName, $"cannot read history database: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or InvalidOperationException or ArgumentOutOfRangeException)
        {
            // A NULL where a name or hash must be, text where a number must be, a timestamp beyond year 9999:
            // found by the fuzz harness's history target (docs/security.md).
            throw new CvmfsFormatException(hash.ObjectName, $"the history database holds a value of the wrong type or out of range: {ex.Message}", ex);
        }
    }

    /// <summary>The tag named <paramref name="name"/>, or null.</summary>
    public CvmfsTag? FindTag(string name) => Tags.FirstOrDefault(t => t.Name == name);

    /// <summary>A tag for repository revision <paramref name="revision"/>, or null.</summary>
    public CvmfsTag? FindRevision(long revision) => Tags.FirstOrDefault(t => t.Revision == revision);
}
