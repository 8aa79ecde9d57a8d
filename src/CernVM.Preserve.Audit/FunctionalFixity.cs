namespace CernVM.Preserve.Audit;

/// <summary>What a replay of one capsule version against its references ended in.</summary>
public enum FunctionalVerdict
{
    /// <summary>Every output of every run entry matched its reference by its entry's rule.</summary>
    Match,

    /// <summary>At least one output differs from its reference, or is missing (an entry failed or timed out).</summary>
    Differ,

    /// <summary>The replay could not reach a verdict: no carrier, the guest panicked or hung, a reference unreadable.</summary>
    Failed,
}

/// <summary>The functional fixity of one capsule version: its run entries replayed and compared with their references.</summary>
/// <param name="Mode">How it ran (a QEMU boot on a named carrier, or a container on the host's kernel).</param>
/// <param name="Detail">One line: the first difference, or why no verdict could be reached.</param>
/// <param name="Differing">Outputs that did not match (<c>entry:path</c>), for the finding's affected paths.</param>
/// <param name="ReportDirectory">Where the replay's own report, outputs and console transcript are.</param>
public sealed record FunctionalResult(
    string Capsule,
    int Version,
    FunctionalVerdict Verdict,
    string Mode,
    string Detail,
    IReadOnlyList<string> Differing,
    string? ReportDirectory)
{
    public override string ToString() => $"{Capsule}@v{Version}";
}

/// <summary>
/// The port through which the audit replays a capsule version. The audit does not replay by itself (it shares
/// no code with the writer or the restorer); the program that composes the audit hands it the replay.
/// </summary>
public interface IFunctionalCheck
{
    /// <summary>Replays <paramref name="capsule"/>@v<paramref name="version"/> and compares its outputs with the references.</summary>
    /// <remarks>Failures that prevent a verdict are returned as <see cref="FunctionalVerdict.Failed"/>, not thrown.</remarks>
    Task<FunctionalResult> ReplayAsync(string capsule, int version, CancellationToken cancellationToken);
}

/// <summary>
/// <c>audit --functional</c>: replays the run entries of each audited capsule (its newest audited version, or the
/// version named) and turns each verdict into findings (<c>AUD090</c>, <c>AUD091</c>). Versions without run
/// entries have nothing to replay; versions with an error finding are still replayed, since an officer wants to
/// know whether a damaged capsule still runs.
/// </summary>
public static class FunctionalAudit
{
    /// <summary>The versions a functional audit replays: per capsule the newest audited one that has run entries.</summary>
    public static IReadOnlyList<AuditedVersion> Selected(AuditReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return [.. report.Versions
            .Where(v => v.RunEntries > 0)
            .GroupBy(v => v.Capsule, StringComparer.Ordinal)
            .Select(g => g.MaxBy(v => v.Version)!)
            .OrderBy(v => v.Capsule, StringComparer.Ordinal)];
    }

    /// <summary>Replays the selected versions one after the other (each boot takes both cores) and adds the findings.</summary>
    public static async Task<AuditReport> RunAsync(AuditReport report, IFunctionalCheck replay, Action<AuditedVersion>? starting, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(replay);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var results = new List<FunctionalResult>();
        var findings = new List<Finding>(report.Findings);
        foreach (AuditedVersion v in Selected(report))
        {
            starting?.Invoke(v);
            FunctionalResult r = await replay.ReplayAsync(v.Capsule, v.Version, cancellationToken).ConfigureAwait(false);
            results.Add(r);
            string subject = $"capsules/{v.Capsule}/v{v.Version}/manifest.json";
            switch (r.Verdict)
            {
                case FunctionalVerdict.Differ:
                    findings.Add(new Finding(FindingCodes.FunctionalDiffer, subject,
                        $"{r}: replayed ({r.Mode}), its outputs do not reproduce the references: {r.Detail}.",
                        [new AffectedVersion(v.Capsule, v.Version, r.Differing)]));
                    break;
                case FunctionalVerdict.Failed:
                    findings.Add(new Finding(FindingCodes.FunctionalFailed, subject,
                        $"{r}: the replay reached no verdict: {r.Detail}.",
                        [new AffectedVersion(v.Capsule, v.Version, [])]));
                    break;
            }
        }

        return report with
        {
            Findings = [.. findings.OrderBy(f => f.Code.Code, StringComparer.Ordinal).ThenBy(f => f.Subject, StringComparer.Ordinal)],
            Functional = results,
            Duration = report.Duration + clock.Elapsed,
        };
    }
}
