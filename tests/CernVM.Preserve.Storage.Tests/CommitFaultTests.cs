using CernVM.Preserve.Core.Storage;
using Xunit;

namespace CernVM.Preserve.Storage.Tests;

/// <summary>
/// The commit of FORMAT.md §8 on a directory archive, deterministically: a crash at every write, before or
/// after it reaches the disk, leaves either the previous state or the whole new version, never one that looks
/// complete and is not; the sidecar is provably the last object of a version; two writers racing for one
/// version number, in every order of their calls, each end with a complete version of their own.
/// </summary>
public sealed class CommitFaultTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cvmp-commit-faults-").FullName;
    private readonly CommitFaults _faults = new(place => Task.FromResult<IObjectStore>(new FileSystemObjectStore(place)));
    private int _places;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> PreparedAsync()
    {
        string place = Path.Combine(_dir, $"a{Interlocked.Increment(ref _places)}");
        await _faults.PrepareAsync(place);
        return place;
    }

    [Fact]
    public async Task Commit_Calls_FollowTheOrderOfFormatSection8WithTheSidecarLast()
    {
        List<StoreCall> log = await _faults.CleanRunAsync(await PreparedAsync());

        CommitFaults.AssertCommitOrder(log, 2);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Commit_CrashAtEveryWrite_LeavesThePreviousStateOrTheWholeNewVersion(bool afterWriting)
    {
        List<StoreCall> writes = CommitFaults.Writes(await _faults.CleanRunAsync(await PreparedAsync()));
        int sidecar = writes.FindIndex(c => c.Key.EndsWith("/v2/manifest.json.sha256", StringComparison.Ordinal)) + 1;
        Assert.True(sidecar > 1);

        var outcome = new List<string>();
        for (int n = 1; n <= writes.Count; n++)
        {
            bool complete = await _faults.CrashAtAsync(await PreparedAsync(), n, afterWriting);

            // The version exists exactly when its sidecar was written: not one write earlier.
            bool sidecarWritten = n > sidecar || (n == sidecar && afterWriting);
            Assert.True(complete == sidecarWritten, $"crash at write {n} ({writes[n - 1]}, {(afterWriting ? "after" : "before")} it): v2 {(complete ? "complete" : "absent")}");
            outcome.Add(complete ? "new" : "previous");
        }

        Assert.Contains("previous", outcome);
        Assert.Contains("new", outcome);
    }

    public static TheoryData<string> Schedules()
    {
        var data = new TheoryData<string>();
        foreach (string s in Interleaving.All(4, 4))
        {
            data.Add(s);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public async Task Commit_TwoWritersRacingForOneNumber_EachGetsAWholeVersionOfItsOwn(string schedule)
    {
        await _faults.RaceAsync(await PreparedAsync(), schedule);
    }
}
