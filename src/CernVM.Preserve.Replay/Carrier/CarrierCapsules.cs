using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Restorer;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Replay.Carrier;

/// <summary>A carrier stored in the archive: its capsule version and the kit's description.</summary>
public sealed record CarrierVersion(CapsuleName Capsule, int Version, string? Title);

/// <summary>
/// Carriers in an archive. A carrier is an ordinary capsule whose tree is a carrier kit (carrier.json at its
/// root, FORMAT.md is unchanged); by convention its name starts with <c>carrier-</c>, which is how they are
/// found without reading every capsule's tree.
/// </summary>
public sealed class CarrierCapsules(Archive archive)
{
    /// <summary>The name prefix of carrier capsules.</summary>
    public const string Prefix = "carrier-";

    /// <summary>The default capsule name for a kit: carrier-&lt;kernel release&gt;.</summary>
    public static CapsuleName DefaultName(CarrierKit kit) =>
        CapsuleName.TryParse(Prefix + kit.KernelRelease.ToLowerInvariant(), out CapsuleName n)
            ? n
            : throw new PreserveException(FailureKind.Usage, $"the kernel release '{kit.KernelRelease}' gives no valid capsule name; name the carrier with --name.");

    /// <summary>Every complete version of every carrier capsule, by name then version.</summary>
    public async Task<IReadOnlyList<CarrierVersion>> ListAsync(CancellationToken cancellationToken)
    {
        var found = new List<CarrierVersion>();
        foreach (VersionListing v in await archive.ListAllVersionsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (v.Complete && v.Capsule.Value.StartsWith(Prefix, StringComparison.Ordinal))
            {
                LoadedManifest m = await archive.ReadManifestAsync(v.Capsule, v.Version, cancellationToken).ConfigureAwait(false);
                found.Add(new CarrierVersion(v.Capsule, v.Version, m.Manifest.Title));
            }
        }

        return found;
    }

    /// <summary>
    /// The carrier a replay uses: the one named, else the newest version of the last carrier capsule by name.
    /// </summary>
    /// <exception cref="PreserveException">NotFound: the archive holds no carrier, naming the command that imports one.</exception>
    public async Task<LoadedManifest> ResolveAsync(CapsuleRef? named, CancellationToken cancellationToken)
    {
        if (named is CapsuleRef r)
        {
            return await archive.ResolveAsync(r, cancellationToken).ConfigureAwait(false);
        }

        IReadOnlyList<CarrierVersion> all = await ListAsync(cancellationToken).ConfigureAwait(false);
        CarrierVersion last = all.OrderBy(c => c.Capsule).ThenBy(c => c.Version).LastOrDefault()
            ?? throw new PreserveException(FailureKind.NotFound, $"the archive {archive.Location} holds no carrier: build one with tools/make-carrier.sh DIR and store it with 'cvmpreserve carrier import DIR'.");
        return await archive.ReadManifestAsync(last.Capsule, last.Version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Restores a carrier version into <paramref name="directory"/> (new or empty) and reads it as a kit.</summary>
    public async Task<CarrierKit> FetchAsync(LoadedManifest carrier, string directory, CancellationToken cancellationToken)
    {
        RestoreResult r = await new TreeRestorer(archive).RestoreAsync(carrier, new RestoreOptions { Target = directory }, cancellationToken).ConfigureAwait(false);
        if (r.Problems.FirstOrDefault(p => p.IsError) is RestoreProblem p)
        {
            throw new PreserveException(
                ReportCode.Find(p.Code)?.IsIntegrity == true ? FailureKind.Integrity : FailureKind.Environment,
                $"carrier {carrier.Capsule}@v{carrier.Version}: {p.Code} {(p.Path is null ? "" : "/" + p.Path + ": ")}{p.Message}");
        }

        try
        {
            return CarrierKit.Load(directory);
        }
        catch (PreserveException e)
        {
            throw new PreserveException(FailureKind.Integrity, $"{carrier.Capsule}@v{carrier.Version} is not a carrier kit: {e.Message}", e);
        }
    }
}
