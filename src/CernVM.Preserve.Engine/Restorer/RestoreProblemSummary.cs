namespace CernVM.Preserve.Engine.Restorer;

/// <summary>
/// The problems of one code, as a report shows them: how many, the first in full, and the paths of the next
/// few. A restore of a large tree may have thousands of one kind (RST004 for every excluded file): one line
/// each would hide the few that matter.
/// </summary>
/// <param name="Code">The problems' code.</param>
/// <param name="IsError">Whether they are errors (a code's problems are all errors or all warnings).</param>
/// <param name="Count">How many problems have this code.</param>
/// <param name="First">The first of them, in report order.</param>
/// <param name="MorePaths">Paths of the following ones, at most as many as asked for.</param>
public sealed record RestoreProblemSummary(string Code, bool IsError, int Count, RestoreProblem First, IReadOnlyList<string> MorePaths)
{
    /// <summary>Problems of this code neither shown in full nor named in <see cref="MorePaths"/>.</summary>
    public int Unnamed => Count - 1 - MorePaths.Count;

    /// <summary>One summary per code and severity, in the order the codes first appear.</summary>
    public static IReadOnlyList<RestoreProblemSummary> Of(IReadOnlyList<RestoreProblem> problems, int morePaths)
    {
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentOutOfRangeException.ThrowIfNegative(morePaths);
        return problems
            .GroupBy(p => (p.Code, p.IsError))
            .Select(g =>
            {
                List<RestoreProblem> all = g.ToList();
                List<string> more = all.Skip(1).Where(p => p.Path is not null).Take(morePaths).Select(p => p.Path!).ToList();
                return new RestoreProblemSummary(g.Key.Code, g.Key.IsError, all.Count, all[0], more);
            })
            .ToList();
    }
}
