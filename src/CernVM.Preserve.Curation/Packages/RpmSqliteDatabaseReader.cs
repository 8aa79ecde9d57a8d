using Microsoft.Data.Sqlite;

namespace CernVM.Preserve.Curation.Packages;

/// <summary>
/// Reads rpm's SQLite database (<c>rpmdb.sqlite</c>, rpm 4.16 and later): table <c>Packages(hnum, blob)</c>
/// holds one header blob per installed package (lib/backend/sqlite.c).
/// </summary>
public static class RpmSqliteDatabaseReader
{
    /// <summary>Reads every installed package from <paramref name="path"/>, leaving the file and its directory untouched.</summary>
    /// <exception cref="PackageDatabaseException">The file is missing, not SQLite, has no Packages table, or a header is corrupt.</exception>
    public static PackageDatabase Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new PackageDatabaseException($"The rpm database {path} does not exist.") { DatabasePath = path };
        }

        // rpm keeps the database in WAL mode. Opening it in place, even read-only, can make SQLite create
        // -shm (and need -wal) next to a file that belongs to the preserved tree, or fail in a read-only
        // directory. A private copy, with any -wal so committed transactions are not lost, avoids both.
        string temp = Directory.CreateTempSubdirectory("cvmpreserve-rpmdb-").FullName;
        try
        {
            string copy = Path.Combine(temp, "rpmdb.sqlite");
            File.Copy(path, copy);
            if (File.Exists(path + "-wal"))
            {
                File.Copy(path + "-wal", copy + "-wal");
            }

            return ReadCopy(path, copy);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw PackageDatabaseException.Unreadable(path, e);
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static PackageDatabase ReadCopy(string path, string copy)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = copy,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        };

        var packages = new List<InstalledPackage>();
        try
        {
            using var connection = new SqliteConnection(builder.ToString());
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT hnum, blob FROM Packages ORDER BY hnum";
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                long hnum = reader.GetInt64(0);
                string record = $"header #{hnum}";
                if (reader.IsDBNull(1))
                {
                    throw PackageDatabaseException.Corrupt(path, record, "the blob is NULL");
                }

                byte[] blob = (byte[])reader.GetValue(1);
                packages.Add(RpmHeader.Parse(blob, path, record).ToInstalledPackage(PackageDatabaseFormat.RpmSqlite));
            }
        }
        catch (SqliteException e)
        {
            throw new PackageDatabaseException(
                $"The rpm database {path} cannot be read as SQLite with a Packages(hnum, blob) table: {e.Message}", e)
            {
                DatabasePath = path,
            };
        }

        return PackageDatabase.Create(PackageDatabaseFormat.RpmSqlite, path, packages);
    }
}
