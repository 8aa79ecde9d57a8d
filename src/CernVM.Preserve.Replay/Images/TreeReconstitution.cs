using System.Diagnostics;
using CernVM.Preserve.Core;
using CernVM.Preserve.Engine.Restorer;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Replay.Images;

/// <summary>A capsule's tree given back into a directory for a replay, and what could not be kept.</summary>
public sealed record ReconstitutedTree(string Directory, long Entries, long Bytes, TimeSpan Elapsed, IReadOnlyList<string> Notes);

/// <summary>
/// The one place replay gives a capsule's tree back from the archive (through the restorer, every blob checked
/// against its SHA-256, FORMAT.md §4 and §6.5), for an image or for the container target.
/// </summary>
public static class TreeReconstitution
{
    /// <exception cref="PreserveException">Integrity: a blob is missing or corrupt, naming it and the path.</exception>
    public static async Task<ReconstitutedTree> RestoreAsync(Archive archive, LoadedManifest version, string directory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        var clock = Stopwatch.StartNew();
        RestoreResult restored = await new TreeRestorer(archive).RestoreAsync(version, new RestoreOptions { Target = directory }, cancellationToken).ConfigureAwait(false);
        if (restored.Problems.FirstOrDefault(p => p.IsError && ReportCode.Find(p.Code)?.IsIntegrity == true) is RestoreProblem bad)
        {
            throw new PreserveException(FailureKind.Integrity, $"{version.Capsule}@v{version.Version}: the image cannot be built: {bad.Code} {(bad.Path is null ? "" : "/" + bad.Path + ": ")}{bad.Message}");
        }

        return new ReconstitutedTree(
            directory,
            restored.Entries,
            restored.Bytes,
            clock.Elapsed,
            restored.Problems.Select(p => $"{p.Code} {(p.Path is null ? "" : "/" + p.Path + ": ")}{p.Message}").ToList());
    }
}
