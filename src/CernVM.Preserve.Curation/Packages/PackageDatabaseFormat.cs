using System.Diagnostics.CodeAnalysis;

namespace CernVM.Preserve.Curation.Packages;

/// <summary>
/// The on-disk format an installed-package database was read from, identified by a short stable name
/// (<c>rpm-bdb</c>, <c>rpm-sqlite</c>, <c>dpkg</c>) that is safe to store in manifests.
/// </summary>
public readonly record struct PackageDatabaseFormat
{
    private PackageDatabaseFormat(string name) => Name = name;

    /// <summary>rpm's Berkeley DB hash <c>Packages</c> file (RHEL/SL 4 to 7, EL8 in legacy mode).</summary>
    public static PackageDatabaseFormat RpmBerkeleyDb { get; } = new("rpm-bdb");

    /// <summary>rpm's SQLite <c>rpmdb.sqlite</c> (rpm 4.16 and later: EL9, Fedora 33+, CBL-Mariner 2).</summary>
    public static PackageDatabaseFormat RpmSqlite { get; } = new("rpm-sqlite");

    /// <summary>dpkg's <c>var/lib/dpkg/status</c> file.</summary>
    public static PackageDatabaseFormat Dpkg { get; } = new("dpkg");

    /// <summary>The stable short name.</summary>
    public string Name { get; }

    /// <summary>True for the rpm formats, whose versions compare with rpmvercmp rather than dpkg's rules.</summary>
    public bool IsRpm => Name is "rpm-bdb" or "rpm-sqlite";

    public static PackageDatabaseFormat Parse(string s) =>
        TryParse(s, out PackageDatabaseFormat format)
            ? format
            : throw new FormatException($"'{s}' is not a known package database format (rpm-bdb, rpm-sqlite, dpkg).");

    public static bool TryParse([NotNullWhen(true)] string? s, out PackageDatabaseFormat format)
    {
        format = s switch
        {
            "rpm-bdb" => RpmBerkeleyDb,
            "rpm-sqlite" => RpmSqlite,
            "dpkg" => Dpkg,
            _ => default,
        };
        return format.Name is not null;
    }

    public override string ToString() => Name ?? string.Empty;
}
