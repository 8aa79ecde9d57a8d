namespace CernVM.Preserve.Curation.Packages;

/// <summary>
/// One package recorded as installed in an rpm or dpkg database.
/// </summary>
/// <remarks>
/// For dpkg, <see cref="Version"/> is the upstream version and <see cref="Release"/> the Debian revision
/// (empty for native packages), so that <see cref="Epoch"/>, <see cref="Version"/> and <see cref="Release"/>
/// always mean the three parts of deb-version(7) or of an rpm EVR.
/// </remarks>
public sealed record InstalledPackage
{
    public required string Name { get; init; }

    /// <summary>The epoch, or null when the package has none (rpm prints "(none)"; it compares as 0).</summary>
    public int? Epoch { get; init; }

    public required string Version { get; init; }

    public required string Release { get; init; }

    /// <summary>The architecture (<c>x86_64</c>, <c>noarch</c>, <c>amd64</c>, <c>all</c>), or null when absent (rpm's gpg-pubkey).</summary>
    public string? Architecture { get; init; }

    /// <summary>The installed size in bytes (rpm SIZE/LONGSIZE; dpkg Installed-Size × 1024), when recorded.</summary>
    public long? Size { get; init; }

    /// <summary>When the package was installed (rpm INSTALLTIME); dpkg does not record it.</summary>
    public DateTimeOffset? InstallTime { get; init; }

    public string? Summary { get; init; }

    public string? License { get; init; }

    public IReadOnlyList<PackageRequirement> Requires { get; init; } = [];

    /// <summary>RPMTAG_SHA1HEADER (269): the hex SHA-1 of the immutable header region, when present.</summary>
    public string? HeaderSha1 { get; init; }

    /// <summary>RPMTAG_SHA256HEADER (273): the hex SHA-256 of the immutable header region, when present.</summary>
    public string? HeaderSha256 { get; init; }

    public required PackageDatabaseFormat SourceFormat { get; init; }

    /// <summary>The version as the native tool prints it: <c>[epoch:]version-release</c> (dpkg omits an empty revision).</summary>
    public string EpochVersionRelease
    {
        get
        {
            string epoch = Epoch is int e ? $"{e}:" : string.Empty;
            return Release.Length == 0 ? $"{epoch}{Version}" : $"{epoch}{Version}-{Release}";
        }
    }

    public override string ToString() =>
        Architecture is null ? $"{Name}-{EpochVersionRelease}" : $"{Name}-{EpochVersionRelease}.{Architecture}";
}
