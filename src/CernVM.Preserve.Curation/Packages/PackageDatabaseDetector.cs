namespace CernVM.Preserve.Curation.Packages;

/// <summary>A package database file found inside an operating-system tree.</summary>
/// <param name="Format">Its format.</param>
/// <param name="Path">The file, with symbolic links inside the tree resolved against the tree's root.</param>
public sealed record PackageDatabaseLocation(PackageDatabaseFormat Format, string Path);

/// <summary>
/// Finds and reads the installed-package database of an operating-system tree (an unpacked image or a
/// chroot), never the database of the machine running the code.
/// </summary>
public static class PackageDatabaseDetector
{
    private const int MaxSymbolicLinks = 40;

    // Most specific first: rpm 4.16+ on Fedora/EL9 keeps rpmdb.sqlite in usr/lib/sysimage/rpm and points
    // var/lib/rpm at it; older rpm uses var/lib/rpm with the Berkeley DB Packages file.
    private static readonly (string RelativePath, PackageDatabaseFormat Format)[] s_candidates =
    [
        ("usr/lib/sysimage/rpm/rpmdb.sqlite", PackageDatabaseFormat.RpmSqlite),
        ("var/lib/rpm/rpmdb.sqlite", PackageDatabaseFormat.RpmSqlite),
        ("var/lib/rpm/Packages", PackageDatabaseFormat.RpmBerkeleyDb),
        ("var/lib/dpkg/status", PackageDatabaseFormat.Dpkg),
    ];

    private static readonly string[] s_ndbCandidates = ["usr/lib/sysimage/rpm/Packages.db", "var/lib/rpm/Packages.db"];

    /// <summary>
    /// All package databases present under <paramref name="root"/>, without duplicates, in order of preference:
    /// rpm's SQLite, rpm's Berkeley DB, dpkg; dpkg first when the tree has <c>etc/debian_version</c>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    public static IReadOnlyList<PackageDatabaseLocation> Locate(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        string fullRoot = Path.GetFullPath(root);
        if (!Directory.Exists(fullRoot))
        {
            throw new DirectoryNotFoundException($"The operating-system tree {fullRoot} does not exist.");
        }

        var found = new List<PackageDatabaseLocation>();
        foreach ((string relative, PackageDatabaseFormat format) in s_candidates)
        {
            string? path = ResolveInside(fullRoot, relative);
            if (path is not null && File.Exists(path) && !found.Any(f => f.Path == path))
            {
                found.Add(new PackageDatabaseLocation(format, path));
            }
        }

        // Debian's rpm package lets anyone create var/lib/rpm on a Debian-family system, but dpkg owns it:
        // there the dpkg database comes first.
        string? debianVersion = ResolveInside(fullRoot, "etc/debian_version");
        if (debianVersion is not null && File.Exists(debianVersion))
        {
            return [.. found.OrderBy(f => f.Format == PackageDatabaseFormat.Dpkg ? 0 : 1)];
        }

        return found;
    }

    /// <summary>Reads the preferred package database of the tree at <paramref name="root"/>.</summary>
    /// <exception cref="PackageDatabaseException">The tree has no known package database, or it cannot be read.</exception>
    public static PackageDatabase Read(string root)
    {
        IReadOnlyList<PackageDatabaseLocation> found = Locate(root);
        if (found.Count == 0)
        {
            // rpm's own "ndb" backend (openSUSE, SLE 15) keeps Packages.db; it is not read natively yet.
            string? ndb = s_ndbCandidates
                .Select(relative => ResolveInside(Path.GetFullPath(root), relative))
                .FirstOrDefault(File.Exists);
            if (ndb is not null)
            {
                throw new PackageDatabaseException(
                    $"The rpm database {ndb} is in rpm's ndb format, which is not read natively yet; convert a copy to sqlite with an rpm built with ndb (rpmdb --dbpath COPY --define '_db_backend sqlite' --rebuilddb).")
                {
                    DatabasePath = ndb,
                };
            }

            throw new PackageDatabaseException(
                $"No package database found under {root}: looked for {string.Join(", ", s_candidates.Select(c => c.RelativePath))}.");
        }

        return Read(found[0]);
    }

    /// <summary>Reads the database at a location found by <see cref="Locate"/>.</summary>
    /// <exception cref="PackageDatabaseException">The database cannot be read.</exception>
    public static PackageDatabase Read(PackageDatabaseLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location.Format.Name switch
        {
            "rpm-sqlite" => RpmSqliteDatabaseReader.Read(location.Path),
            "rpm-bdb" => RpmBerkeleyDbReader.Read(location.Path),
            "dpkg" => DpkgStatusReader.Read(location.Path),
            _ => throw new ArgumentException($"Unknown package database format '{location.Format}'.", nameof(location)),
        };
    }

    /// <summary>
    /// Resolves <paramref name="relative"/> under <paramref name="root"/> as the tree itself would see it:
    /// an absolute link target (var/lib/rpm → /usr/lib/sysimage/rpm) is taken relative to the tree's root,
    /// not to the host's, and '..' never climbs above the root. Null when a link loops.
    /// </summary>
    private static string? ResolveInside(string root, string relative)
    {
        var pending = new Stack<string>(relative.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var resolved = new List<string>();
        int links = 0;
        while (pending.TryPop(out string? part))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            string candidate = Path.Combine([root, .. resolved, part]);
            string? target = new FileInfo(candidate).LinkTarget;
            if (target is null)
            {
                resolved.Add(part);
                continue;
            }

            if (++links > MaxSymbolicLinks)
            {
                return null;
            }

            if (target.StartsWith('/'))
            {
                resolved.Clear();
            }

            foreach (string t in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(t);
            }
        }

        return Path.Combine([root, .. resolved]);
    }
}
