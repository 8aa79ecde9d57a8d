using CernVM.Preserve.Audit;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Replay;
using CernVM.Preserve.Replay.Reports;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Composition;

/// <summary>
/// The audit's functional check (<c>audit --functional</c>) made of the replay: the composition root joins the two,
/// so that the audit shares no code with the restorer. Each version is replayed with <c>--verify</c> into its own
/// directory under <paramref name="directory"/>, and the replay writes its own report and journal event.
/// </summary>
public sealed class ReplayFunctionalCheck(Archive archive, ReplayTarget target, string directory, Producer agent, Action<string>? progress) : IFunctionalCheck
{
    public async Task<FunctionalResult> ReplayAsync(string capsule, int version, CancellationToken cancellationToken)
    {
        string dir = Path.Combine(directory, $"{capsule}-v{version}");
        try
        {
            ReplayOutcome o = await new ReplaySession(archive, progress).RunAsync(
                new ReplayRequest
                {
                    Capsule = new CapsuleRef(CapsuleName.Parse(capsule), version),
                    Directory = dir,
                    Boot = true,
                    Verify = true,
                    Target = target,
                    Agent = agent,
                },
                cancellationToken).ConfigureAwait(false);
            ReplayReport r = o.Report ?? throw new InvalidOperationException("a verifying replay returned no report");
            return r.Verdict switch
            {
                ReplayVerdict.Match => Result(r, FunctionalVerdict.Match, "every output matches its reference", [], dir),
                ReplayVerdict.NothingToVerify => Result(r, FunctionalVerdict.Match, "no run entry to verify", [], dir),
                ReplayVerdict.GuestFailed => Result(r, FunctionalVerdict.Failed, $"the guest did not finish ({r.GuestReason}); console transcript {Path.Combine(dir, "console.log")}", [], dir),
                _ => Differences(r, dir),
            };
        }
        catch (Exception e) when (e is PreserveException or StorageException)
        {
            return new FunctionalResult(capsule, version, FunctionalVerdict.Failed, target == ReplayTarget.Container ? "container" : "boot", e.Message.TrimEnd('.'), [], null);
        }
    }

    private static FunctionalResult Differences(ReplayReport r, string dir)
    {
        var differing = r.Entries.SelectMany(e => e.Outputs.Where(o => o.Verdict != OutputVerdict.Match).Select(o => (Entry: e, Output: o))).ToList();
        string detail = differing.Count == 0
            ? "an entry failed"
            : string.Join("; ", differing.Take(3).Select(d => $"{d.Entry.Name} {d.Output.Path}: {d.Output.Verdict.ToString().ToLowerInvariant()}{(d.Output.FirstDifference is string f ? ", " + f : "")}"))
              + (differing.Count > 3 ? $"; and {differing.Count - 3} more" : "");
        return Result(r, FunctionalVerdict.Differ, detail, [.. differing.Select(d => $"{d.Entry.Name}:{d.Output.Path}")], dir);
    }

    private static FunctionalResult Result(ReplayReport r, FunctionalVerdict verdict, string detail, IReadOnlyList<string> differing, string dir) =>
        new(r.Capsule, r.Version, verdict, r.Carrier is CarrierUse c ? $"{r.Mode} on {c.Capsule}@v{c.Version}" : r.Mode, detail, differing, dir);
}
