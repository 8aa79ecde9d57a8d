namespace CernVM.Preserve.Curation.Packages;

/// <summary>
/// An installed-package database cannot be read: the file is missing, not in the expected format, or a
/// record in it is corrupt. The message names the database file and, where known, the record.
/// </summary>
public sealed class PackageDatabaseException : Exception
{
    public PackageDatabaseException(string message)
        : base(message)
    {
    }

    public PackageDatabaseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The database file the error is about, when known.</summary>
    public string? DatabasePath { get; init; }

    /// <summary>The record inside the database (for example <c>header #12</c>), when known.</summary>
    public string? Record { get; init; }

    internal static PackageDatabaseException Unreadable(string databasePath, Exception inner) =>
        new($"The package database {databasePath} cannot be read: {inner.Message}", inner) { DatabasePath = databasePath };

    internal static PackageDatabaseException Corrupt(string databasePath, string? record, string what, Exception? inner = null)
    {
        string where = record is null ? databasePath : $"{databasePath}, {record}";
        string message = $"Corrupt package database {where}: {what}. The file cannot be read natively; " +
            "check that it is a complete copy of the installed-package database.";
        return inner is null
            ? new PackageDatabaseException(message) { DatabasePath = databasePath, Record = record }
            : new PackageDatabaseException(message, inner) { DatabasePath = databasePath, Record = record };
    }
}
