using Spectre.Console;

namespace CernVM.Preserve.Cli;

/// <summary>
/// What a running command reports when asked: its phase, the bytes done, and the total once it is known.
/// A null <see cref="Total"/> means the work is still being counted (a walk that has not finished): the display
/// then says so instead of showing a bar whose end moves away while it runs.
/// </summary>
public readonly record struct ProgressReading(string Phase, long Done, long? Total);

/// <summary>
/// Shows how long work is going: a live bar on a terminal; on a pipe or a log, one line every few seconds
/// once the work has lasted that long (so short runs print nothing extra).
/// </summary>
public static class ProgressDisplay
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    /// <summary>Shows progress of work whose total is known from the start (<paramref name="poll"/> gives phase, done, total).</summary>
    public static Task<T> RunAsync<T>(string title, Task<T> work, Func<(string Phase, long Done, long Total)> poll, bool quiet) =>
        RunAsync(
            title,
            work,
            () =>
            {
                (string phase, long done, long total) = poll();
                return new ProgressReading(phase, done, total);
            },
            quiet,
            CancellationToken.None);

    /// <summary>
    /// Shows progress of <paramref name="work"/> until it completes and returns its result. The display only
    /// watches: cancelling <paramref name="cancellationToken"/> stops the display, and the work (cancelled by its
    /// own token) is still awaited, so that it can stop cleanly before the command ends (FORMAT.md §8).
    /// </summary>
    public static async Task<T> RunAsync<T>(string title, Task<T> work, Func<ProgressReading> poll, bool quiet, CancellationToken cancellationToken)
    {
        if (quiet)
        {
            return await work.ConfigureAwait(false);
        }

        if (!Output.Interactive)
        {
            return await LogAsync(title, work, poll, Console.Error, LogInterval, cancellationToken).ConfigureAwait(false);
        }

        T result = default!;
        await Output.Err.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new KnownTotalPercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                // Until the total is known the bar is indeterminate (it pulses) and the percentage and time
                // left are not shown as if they meant something.
                ProgressTask task = ctx.AddTask(title, maxValue: 1);
                task.IsIndeterminate = true;
                while (!work.IsCompleted && !cancellationToken.IsCancellationRequested)
                {
                    ProgressReading r = poll();
                    task.Description = Describe(title, r);
                    if (r.Total is long total)
                    {
                        task.IsIndeterminate = false;
                        task.MaxValue = Math.Max(1, total);
                        task.Value = Math.Min(r.Done, task.MaxValue);
                    }

                    await Task.WhenAny(work, Task.Delay(100, cancellationToken)).ConfigureAwait(false);
                }

                task.IsIndeterminate = false;
                task.Value = task.MaxValue;
                result = await work.ConfigureAwait(false);
            }).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// The display for a pipe or a log: nothing for work shorter than <paramref name="interval"/>, then one line
    /// per interval on <paramref name="log"/> (<see cref="Describe"/> with the time so far).
    /// </summary>
    public static async Task<T> LogAsync<T>(string title, Task<T> work, Func<ProgressReading> poll, TextWriter log, TimeSpan interval, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!work.IsCompleted && !cancellationToken.IsCancellationRequested)
        {
            await Task.WhenAny(work, Task.Delay(interval, cancellationToken)).ConfigureAwait(false);
            if (!work.IsCompleted && !cancellationToken.IsCancellationRequested)
            {
                await log.WriteLineAsync($"{Describe(title, poll())} after {Output.Duration(clock.Elapsed)}").ConfigureAwait(false);
            }
        }

        return await work.ConfigureAwait(false);
    }

    /// <summary>The percentage done, or nothing while the total is still being counted (not a "0%" that means nothing).</summary>
    private sealed class KnownTotalPercentageColumn : ProgressColumn
    {
        private readonly PercentageColumn _percentage = new();

        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            task.IsIndeterminate ? Text.Empty : _percentage.Render(options, task, deltaTime);
    }

    /// <summary>
    /// One progress line: <c>snapshot x: reading, 12.0 MiB of 84.9 MiB</c> once the total is known, else
    /// <c>snapshot x: walking, 12.0 MiB so far (still counting)</c>.
    /// </summary>
    public static string Describe(string title, ProgressReading r) =>
        r.Total is long total
            ? $"{title}: {r.Phase}, {Output.Size(r.Done)} of {Output.Size(total)}"
            : $"{title}: {r.Phase}, {Output.Size(r.Done)} so far (still counting)";
}
