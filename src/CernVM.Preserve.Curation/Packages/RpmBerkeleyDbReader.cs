namespace CernVM.Preserve.Curation.Packages;

/// <summary>
/// Reads rpm's Berkeley DB <c>Packages</c> file, the installed-package database of Red Hat Linux, Scientific
/// Linux 3 to 7, CentOS and RHEL up to 8. The key of each record is the header number (uint32 in the
/// file's byte order) and the value is the header blob.
/// </summary>
public static class RpmBerkeleyDbReader
{
    /// <summary>Reads every installed package from a <c>Packages</c> file, without libdb and without writing anything.</summary>
    /// <exception cref="PackageDatabaseException">The file is missing, not a Berkeley DB hash database, or a page or header is corrupt.</exception>
    public static PackageDatabase Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new PackageDatabaseException($"The rpm database {path} does not exist.") { DatabasePath = path };
        }

        try
        {
            return ReadPackages(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw PackageDatabaseException.Unreadable(path, e);
        }
    }

    private static PackageDatabase ReadPackages(string path)
    {
        var packages = new List<InstalledPackage>();
        using BerkeleyDbHashFile file = BerkeleyDbHashFile.Open(path);
        foreach ((byte[] key, byte[] value, uint page) in file.ReadPairs())
        {
            if (key.Length != 4)
            {
                throw PackageDatabaseException.Corrupt(path, $"page {page}", $"a key of {key.Length} bytes; Packages keys are 4-byte header numbers");
            }

            // Record 0 is not a package: rpm keeps its next-header-number counter there (lib/backend/db3.c).
            uint number = file.ReadKeyNumber(key);
            if (number == 0)
            {
                continue;
            }

            RpmHeader header = RpmHeader.Parse(value, path, $"header #{number}");
            packages.Add(header.ToInstalledPackage(PackageDatabaseFormat.RpmBerkeleyDb));
        }

        return PackageDatabase.Create(PackageDatabaseFormat.RpmBerkeleyDb, path, packages);
    }
}
