using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Model;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>Sizes, durations, rates and progress lines as every command prints them (docs/CLI.md §Sizes and durations).</summary>
public class OutputTests
{
    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1L, "1 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1.0 KiB")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(66_857_727L, "63.8 MiB")]
    [InlineData(1_048_575L, "1.0 MiB")]
    [InlineData(1L << 30, "1.0 GiB")]
    [InlineData(5L << 40, "5.0 TiB")]
    [InlineData(long.MaxValue, "8.0 EiB")]
    public void Size_Bytes_PrintsIecUnitsLabelledAsSuch(long bytes, string expected) =>
        Assert.Equal(expected, Output.Size(bytes));

    [Theory]
    [InlineData(0.0, "0 ms")]
    [InlineData(974.0, "974 ms")]
    [InlineData(999.4, "999 ms")]
    [InlineData(999.6, "1.0 s")]
    [InlineData(5_001.0, "5.0 s")]
    [InlineData(12_083.0, "12.1 s")]
    [InlineData(59_970.0, "1 min 0 s")]
    [InlineData(63_000.0, "1 min 3 s")]
    [InlineData(7_500_000.0, "2 h 5 min")]
    [InlineData(3_599_700.0, "1 h 0 min")]
    [InlineData(100_800_000.0, "1 d 4 h")]
    public void Duration_Milliseconds_PrintsAsPeopleWriteIt(double milliseconds, string expected) =>
        Assert.Equal(expected, Output.Duration(TimeSpan.FromMilliseconds(milliseconds)));

    [Fact]
    public void Rate_SubSecondRunOrNoBytes_IsNotGiven()
    {
        Assert.Null(Output.Rate(1_000_000, TimeSpan.FromMilliseconds(974)));
        Assert.Null(Output.Rate(0, TimeSpan.FromSeconds(12)));
        Assert.Equal("974 ms", Output.Took(TimeSpan.FromMilliseconds(974), 1_000_000));
        Assert.Equal("12.0 s", Output.Took(TimeSpan.FromSeconds(12), 0));
    }

    [Fact]
    public void Took_LongerRunWithBytes_GivesTheRate() =>
        Assert.Equal("2.0 s (1.0 MiB/s)", Output.Took(TimeSpan.FromSeconds(2), 2L << 20));

    [Fact]
    public void Describe_TotalNotYetKnown_SaysItIsStillCounting()
    {
        string line = ProgressDisplay.Describe("snapshot x", new ProgressReading("walking", 3L << 20, null));
        Assert.Equal("snapshot x: walking, 3.0 MiB so far (still counting)", line);
        Assert.Equal("snapshot x: reading, 3.0 MiB of 8.0 MiB", ProgressDisplay.Describe("snapshot x", new ProgressReading("reading", 3L << 20, 8L << 20)));
    }

    [Fact]
    public async Task LogAsync_TotalUnknownThenKnown_CountsFirstThenShowsOneFixedTotal()
    {
        var work = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        int polls = 0;
        ProgressReading Poll()
        {
            int n = Interlocked.Increment(ref polls);
            if (n >= 6)
            {
                work.TrySetResult(42);
            }

            return n <= 2 ? new ProgressReading("walking", n << 20, null) : new ProgressReading("reading", n << 20, 8L << 20);
        }

        using var log = new StringWriter();
        int result = await ProgressDisplay.LogAsync("snapshot x", work.Task, Poll, log, TimeSpan.FromMilliseconds(20), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(42, result);
        string[] lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 5, log.ToString());
        Assert.All(lines.Take(2), l => Assert.Contains("(still counting) after ", l));
        Assert.All(lines.Skip(2), l => Assert.Contains(" of 8.0 MiB after ", l));
    }

    [Fact]
    public async Task LogAsync_WorkShorterThanTheInterval_PrintsNothing()
    {
        using var log = new StringWriter();
        int result = await ProgressDisplay.LogAsync("restore x", Task.FromResult(7), () => new ProgressReading("writing", 0, 1), log, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(7, result);
        Assert.Equal("", log.ToString());
    }

    [Fact]
    public async Task LogAsync_Cancelled_StopsShowingButStillWaitsForTheWork()
    {
        using var cancel = new CancellationTokenSource();
        var work = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var log = new StringWriter();
        Task<int> shown = ProgressDisplay.LogAsync("snapshot x", work.Task, () => new ProgressReading("reading", 0, null), log, TimeSpan.FromMilliseconds(10), cancel.Token);
        await cancel.CancelAsync();
        await Task.Delay(100);
        Assert.False(shown.IsCompleted);

        work.SetResult(3);
        Assert.Equal(3, await shown.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Time_WithinTheCalendar_IsUtcDateAndTime()
    {
        Assert.Equal("2001-09-09 01:46:40", Output.Time(1_000_000_000, 999_999_999));
        Assert.Equal("1970-01-01 00:00:00", Output.Time(0, 0));
    }

    [Theory]
    [InlineData(253_402_300_800L)] // 10000-01-01: a file system or an archive from elsewhere may say so
    [InlineData(long.MaxValue)]
    [InlineData(-62_135_596_801L)] // before the year 1
    public void Time_BeyondTheCalendar_IsTheSecondsThemselvesNotAnException(long seconds)
    {
        Assert.Equal("@" + seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), Output.Time(seconds, 0));
    }

    [Fact]
    public void EntryJson_MtimeBeyondTheCalendar_KeepsSecondsAndNanoseconds()
    {
        var e = new TreeEntry { Path = "f"u8.ToArray(), Kind = EntryKind.File, Mode = 0b110_100_100, MtimeSeconds = long.MaxValue, MtimeNanoseconds = 5 };

        JsonObject o = Output.EntryJson(e);

        Assert.Equal("@9223372036854775807.000000005", (string?)o["mtime"]);
    }

    [Fact]
    public void EntryJson_MtimeWithinTheCalendar_IsIso8601WithNanoseconds()
    {
        var e = new TreeEntry { Path = "f"u8.ToArray(), Kind = EntryKind.File, Mode = 0b110_100_100, MtimeSeconds = 1_000_000_000, MtimeNanoseconds = 123_456_789 };

        Assert.Equal("2001-09-09T01:46:40.123456789Z", (string?)Output.EntryJson(e)["mtime"]);
    }
}
