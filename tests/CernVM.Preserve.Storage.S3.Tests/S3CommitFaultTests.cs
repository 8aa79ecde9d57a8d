using System.Collections.Concurrent;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Storage.Tests;
using Xunit;

namespace CernVM.Preserve.Storage.S3.Tests;

/// <summary>
/// The commit of FORMAT.md §8.1 on the real RADOS gateway, with a fault-injecting store in front of the S3
/// store: a crash at every write (before the request is sent, or after the server answered) leaves either
/// the previous state or the whole new version; the sidecar is the last object; two writers racing for one
/// version number each end with a whole version of their own, on a plain bucket (If-None-Match) and on an
/// Object Lock bucket (the claim scheme). Each archive is a new prefix of one bucket.
/// </summary>
[Collection(RgwCollection.Name)]
public sealed class S3CommitFaultTests(RgwCluster rgw) : IAsyncDisposable
{
    private readonly ConcurrentBag<IObjectStore> _opened = [];
    private readonly Dictionary<bool, string> _buckets = [];
    private int _places;

    public async ValueTask DisposeAsync()
    {
        foreach (IObjectStore s in _opened)
        {
            await s.DisposeAsync();
        }
    }

    private async Task<(CommitFaults Faults, Func<Task<string>> Prepared)> OnBucketAsync(bool objectLock)
    {
        string bucket = RgwCluster.NewBucket(objectLock ? "commitlocked" : "commitplain");
        await S3ObjectStore.PrepareBucketAsync(rgw.Settings(bucket), objectLock ? new ObjectLockRequest("governance", 1) : null, default);
        var faults = new CommitFaults(async prefix =>
        {
            S3ObjectStore store = await S3ObjectStore.OpenAsync(rgw.Settings(bucket, prefix), default);
            _opened.Add(store);
            return store;
        });
        return (faults, async () =>
        {
            string place = $"archive{Interlocked.Increment(ref _places)}";
            await faults.PrepareAsync(place);
            return place;
        });
    }

    [RgwTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Commit_Calls_FollowTheOrderOfFormatSection8WithTheSidecarLast(bool objectLock)
    {
        (CommitFaults faults, Func<Task<string>> prepared) = await OnBucketAsync(objectLock);

        CommitFaults.AssertCommitOrder(await faults.CleanRunAsync(await prepared()), 2);
    }

    [RgwTheory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Commit_CrashAtEveryWrite_LeavesThePreviousStateOrTheWholeNewVersion(bool objectLock, bool afterWriting)
    {
        (CommitFaults faults, Func<Task<string>> prepared) = await OnBucketAsync(objectLock);
        List<StoreCall> writes = CommitFaults.Writes(await faults.CleanRunAsync(await prepared()));
        int sidecar = writes.FindIndex(c => c.Key.EndsWith("/v2/manifest.json.sha256", StringComparison.Ordinal)) + 1;
        Assert.True(sidecar > 1);

        for (int n = 1; n <= writes.Count; n++)
        {
            bool complete = await faults.CrashAtAsync(await prepared(), n, afterWriting);

            bool sidecarWritten = n > sidecar || (n == sidecar && afterWriting);
            Assert.True(complete == sidecarWritten, $"crash at write {n} ({writes[n - 1]}, {(afterWriting ? "after" : "before")} it): v2 {(complete ? "complete" : "absent")}");
        }
    }

    /// <summary>A few orders out of the 70 the directory test runs: each costs a prepared archive on the gateway.</summary>
    [RgwTheory]
    [InlineData(false, "ABABABAB")]
    [InlineData(false, "AABBBBAA")]
    [InlineData(false, "ABBAABBA")]
    [InlineData(true, "ABABABAB")]
    [InlineData(true, "AABBBBAA")]
    [InlineData(true, "ABBAABBA")]
    [InlineData(true, "BAABABBA")]
    public async Task Commit_TwoWritersRacingForOneNumber_EachGetsAWholeVersionOfItsOwn(bool objectLock, string schedule)
    {
        (CommitFaults faults, Func<Task<string>> prepared) = await OnBucketAsync(objectLock);

        await faults.RaceAsync(await prepared(), schedule);
    }
}
