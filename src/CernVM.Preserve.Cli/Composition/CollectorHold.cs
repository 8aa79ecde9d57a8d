using System.Runtime;

namespace CernVM.Preserve.Cli.Composition;

/// <summary>
/// Keeps the garbage collector out of a command that moves a whole tree's bytes (snapshot, restore, audit): for its
/// first <see cref="Budget"/> bytes of allocation the process runs in a no-GC region.
/// </summary>
/// <remarks>
/// Such a command allocates its pipeline's buffers (bundles, chunk windows, compressed frames of several MiB each)
/// in its first moments. They pass the large-object heap's first budgets, and each time the workstation collector
/// answers with a full, blocking collection: two per snapshot and per restore of a 200 MB tree, 20-60 ms during
/// which both pipeline threads stand still (docs/benchmarks.md). Inside the region nothing is collected; memory is
/// committed for the budget but touched only as it is used, so the peak stays that of the bytes really allocated.
/// A command that allocates more than the budget (a very large tree) leaves the region at that point by a normal
/// collection and goes on as before. One region per process: this is the command's policy, not the engine's,
/// which also runs inside test hosts and other processes.
/// </remarks>
internal sealed class CollectorHold : IDisposable
{
    /// <summary>The allocation the region covers (a cold snapshot of a 200 MB tree allocates about 120 MB).</summary>
    public const long Budget = 256L * 1024 * 1024;

    private readonly bool _held;

    private CollectorHold(bool held) => _held = held;

    /// <summary>Enters the region; where the runtime refuses (another region, a budget it cannot commit), goes on without one.</summary>
    public static CollectorHold Enter()
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            return new CollectorHold(false);
        }

        try
        {
            return new CollectorHold(GC.TryStartNoGCRegion(Budget));
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException or OutOfMemoryException)
        {
            return new CollectorHold(false);
        }
    }

    /// <summary>Leaves the region if this hold entered it and the budget was not spent (spending it already left).</summary>
    public void Dispose()
    {
        if (_held && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            try
            {
                GC.EndNoGCRegion();
            }
            catch (InvalidOperationException)
            {
                // A collection ended the region between the check and the call: nothing left to end.
            }
        }
    }
}
