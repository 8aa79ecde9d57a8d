using Spectre.Console;

namespace CernVM.Preserve.Cli;

/// <summary>
/// Shows how long work is going: a live bar on a terminal; on a pipe or a log, one line every few seconds
/// once the work has lasted that long (so short runs print nothing extra).
/// </summary>
public static class ProgressDisplay
{
    public static async Task<T> RunAsync<T>(string title, Task<T> work, Func<(string Phase, long Done, long Total)> poll, bool quiet)
    {
        if (quiet)
        {
            return await work.ConfigureAwait(false);
        }

        if (Output.Interactive)
        {
            T result = default!;
            await Output.Err.Progress()
                .AutoClear(true)
                .HideCompleted(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    ProgressTask task = ctx.AddTask(title, maxValue: 1);
                    while (!work.IsCompleted)
                    {
                        (string phase, long done, long total) = poll();
                        task.Description = $"{title}: {phase} {Output.Size(done)} of {Output.Size(total)}";
                        task.MaxValue = Math.Max(1, total);
                        task.Value = Math.Min(done, task.MaxValue);
                        await Task.WhenAny(work, Task.Delay(100)).ConfigureAwait(false);
                    }

                    task.Value = task.MaxValue;
                    result = await work.ConfigureAwait(false);
                }).ConfigureAwait(false);
            return result;
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!work.IsCompleted)
        {
            await Task.WhenAny(work, Task.Delay(5000)).ConfigureAwait(false);
            if (!work.IsCompleted)
            {
                (string phase, long done, long total) = poll();
                Console.Error.WriteLine($"{title}: {phase}, {Output.Size(done)} of {Output.Size(total)} after {Output.Duration(clock.Elapsed)}");
            }
        }

        return await work.ConfigureAwait(false);
    }
}
