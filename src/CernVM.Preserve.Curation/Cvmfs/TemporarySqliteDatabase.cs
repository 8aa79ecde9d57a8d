using Microsoft.Data.Sqlite;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// A decompressed cvmfs SQLite object (catalog, history) in a private temporary file, opened read-only.
/// SQLite needs a file; the file is deleted when this is disposed.
/// </summary>
internal sealed class TemporarySqliteDatabase : IDisposable
{
    private readonly string _path;

    private TemporarySqliteDatabase(string path, SqliteConnection connection)
    {
        _path = path;
        Connection = connection;
    }

    public SqliteConnection Connection { get; }

    public static TemporarySqliteDatabase Open(byte[] sqliteBytes, string subject)
    {
        if (sqliteBytes.Length < 16 || !sqliteBytes.AsSpan(0, 16).SequenceEqual("SQLite format 3\0"u8))
        {
            throw new CvmfsFormatException(subject, "the inflated object is not an SQLite database.");
        }

        string path = Path.Combine(Path.GetTempPath(), $"cvmfs-{Guid.NewGuid():N}.sqlite");
        File.WriteAllBytes(path, sqliteBytes);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            return new TemporarySqliteDatabase(path, connection);
        }
        catch
        {
            connection.Dispose();
            File.Delete(path);
            throw;
        }
    }

    public bool HasTable(string table)
    {
        using SqliteCommand command = Connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", table);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    public HashSet<string> Columns(string table)
    {
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using SqliteCommand command = Connection.CreateCommand();
        command.CommandText = $"PRAGMA table_info({table})";
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            columns.Add(reader.GetString(1));
        }

        return columns;
    }

    public Dictionary<string, string> ReadProperties()
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!HasTable("properties"))
        {
            return properties;
        }

        using SqliteCommand command = Connection.CreateCommand();
        command.CommandText = "SELECT key, value FROM properties";
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (!reader.IsDBNull(0))
            {
                properties[reader.GetString(0)] = reader.IsDBNull(1) ? string.Empty : Convert.ToString(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            }
        }

        return properties;
    }

    public void Dispose()
    {
        Connection.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // A leftover temporary file is harmless; the read already succeeded.
        }
    }
}
