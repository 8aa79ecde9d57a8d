using System.Diagnostics;

namespace CernVM.Preserve.Core.Diagnostics;

/// <summary>
/// Milestones of a command on stderr, in milliseconds since the process started, when the environment has
/// <c>CVMPRESERVE_TRACE=1</c> (docs/CLI.md, "Diagnostics"): where the time of a snapshot or a restore goes,
/// without a profiler. Costs one branch per milestone otherwise.
/// </summary>
public static class Timeline
{
    private static readonly DateTime? Start = Environment.GetEnvironmentVariable("CVMPRESERVE_TRACE") == "1"
        ? Process.GetCurrentProcess().StartTime.ToUniversalTime()
        : null;

    public static bool Enabled => Start is not null;

    /// <summary>Writes "trace: T ms  WHAT" when tracing is on.</summary>
    public static void Mark(string what)
    {
        if (Start is DateTime s)
        {
            Console.Error.WriteLine($"trace: {(DateTime.UtcNow - s).TotalMilliseconds,8:0.0} ms  {GC.GetTotalAllocatedBytes() / 1e6,7:0.00} MB  {what}");
        }
    }

    /// <summary>When tracing, the runtime's own costs so far: collections, pauses, allocation, JIT.</summary>
    public static void Runtime()
    {
        if (Enabled)
        {
            Mark($"runtime: gc {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} (gen0/1/2), " +
                 $"paused {GC.GetTotalPauseDuration().TotalMilliseconds:0.0} ms, allocated {GC.GetTotalAllocatedBytes() / 1e6:0.0} MB, " +
                 $"jit {System.Runtime.JitInfo.GetCompiledMethodCount()} methods in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0.0} ms, " +
                 $"cpu {Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds:0} ms");
        }
    }
}
