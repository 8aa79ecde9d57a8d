using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Storage;
using Xunit;

namespace CernVM.Preserve.Storage.S3.Tests;

/// <summary>What the S3 store adds to the contract, against the real gateway: Object Lock, multipart, checksums, failures.</summary>
[Collection(RgwCollection.Name)]
public sealed class S3ObjectStoreTests(RgwCluster rgw)
{
    private const string BlobKey = "blobs/sha256/ab/ab00000000000000000000000000000000000000000000000000000000000000";

    /// <summary>
    /// Why the claim scheme exists (FORMAT.md §8.1): RGW 16 decides If-None-Match: * atomically on a plain
    /// bucket but ignores it on a versioned one. When this test fails, the gateway changed; revisit the scheme.
    /// </summary>
    [RgwTheory]
    [InlineData(false, 412)]
    [InlineData(true, 200)]
    public async Task Gateway_IfNoneMatchOnAnExistingKey_Answers412OnlyWithoutVersioning(bool objectLock, int secondAnswer)
    {
        string bucket = RgwCluster.NewBucket(objectLock ? "inmlocked" : "inmplain");
        S3Settings settings = rgw.Settings(bucket);
        await S3ObjectStore.PrepareBucketAsync(settings, objectLock ? new ObjectLockRequest("governance", 1) : null, default);
        using var connection = new S3Connection(settings);
        var answers = new List<int>();
        foreach (string body in new[] { "first", "second" })
        {
            byte[] bytes = System.Text.Encoding.ASCII.GetBytes(body);
            S3Response r = await connection.SendAsync(HttpMethod.Put, "archive/k", "", bytes, req =>
            {
                req.Headers.TryAddWithoutValidation("If-None-Match", "*");
                req.Content!.Headers.TryAddWithoutValidation("Content-MD5", S3Connection.Md5Base64(bytes));
            }, default);
            answers.Add((int)r.Status);
        }

        Assert.Equal([200, secondAnswer], answers);
    }

    [RgwFact]
    public async Task ObjectLock_DeletingALockedVersionOrShorteningComplianceRetention_IsRefusedByTheServer()
    {
        string bucket = RgwCluster.NewBucket("enforced");
        S3Settings settings = rgw.Settings(bucket);
        await S3ObjectStore.PrepareBucketAsync(settings, new ObjectLockRequest("compliance", 1), default);
        await using S3ObjectStore store = await S3ObjectStore.OpenAsync(settings, default);
        Assert.True(await store.PutIfAbsentAsync(BlobKey, new byte[1000], default));
        await store.FlushAsync(default);
        string key = settings.Prefix + BlobKey;

        // RGW's version ids may begin with '-': they are passed as --version-id=ID, never as a separate word.
        (int rc, string json, string err) = rgw.Aws("s3api", "list-object-versions", "--bucket", bucket, "--prefix", key, "--output", "json");
        Assert.True(rc == 0, err);
        string version = JsonDocument.Parse(json).RootElement.GetProperty("Versions")[0].GetProperty("VersionId").GetString()!;

        (rc, _, err) = rgw.Aws("s3api", "delete-object", "--bucket", bucket, "--key", key, $"--version-id={version}");
        Assert.NotEqual(0, rc);
        Assert.Contains("AccessDenied", err, StringComparison.Ordinal);

        string shorter = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        (rc, _, err) = rgw.Aws("s3api", "put-object-retention", "--bucket", bucket, "--key", key, $"--version-id={version}",
            "--retention", $"Mode=COMPLIANCE,RetainUntilDate={shorter}");
        Assert.NotEqual(0, rc);
        Assert.Contains("AccessDenied", err, StringComparison.Ordinal);

        (rc, _, err) = rgw.Aws("s3api", "delete-object", "--bucket", bucket, "--key", key, $"--version-id={version}", "--bypass-governance-retention");
        Assert.NotEqual(0, rc);
        Assert.Contains("AccessDenied", err, StringComparison.Ordinal);

        Assert.Equal(new byte[1000], await store.TryGetAsync(BlobKey, default));
    }

    [RgwFact]
    public async Task Put_OnObjectLockBucket_EveryObjectCarriesModeAndRetainUntil()
    {
        string bucket = RgwCluster.NewBucket("retained");
        S3Settings settings = rgw.Settings(bucket);
        await S3ObjectStore.PrepareBucketAsync(settings, new ObjectLockRequest("governance", 3), default);
        await using S3ObjectStore store = await S3ObjectStore.OpenAsync(settings, default);
        DateTimeOffset before = DateTimeOffset.UtcNow;
        string[] keys = [BlobKey, "capsules/a/v1/manifest.json", "capsules/a/v1/manifest.json.sha256", "journal/2026/e.json"];
        foreach (string k in keys)
        {
            Assert.True(await store.PutIfAbsentAsync(k, "content"u8.ToArray(), default));
        }

        await store.FlushAsync(default);
        foreach (string k in keys)
        {
            ObjectRetention? r = await store.GetRetentionAsync(k, default);
            Assert.NotNull(r);
            Assert.Equal("governance", r.Mode);
            Assert.InRange(r.RetainUntil, before.AddDays(3).AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(3).AddMinutes(1));
            (int rc, string head, string err) = rgw.Aws("s3api", "head-object", "--bucket", bucket, "--key", settings.Prefix + k, "--output", "json");
            Assert.True(rc == 0, err);
            Assert.Equal("GOVERNANCE", JsonDocument.Parse(head).RootElement.GetProperty("ObjectLockMode").GetString());
        }
    }

    [RgwFact]
    public async Task Open_BucketWhoseDefaultRetentionIsInYears_ReportsItInDays()
    {
        string bucket = RgwCluster.NewBucket("years");
        Assert.Equal(0, rgw.Aws("s3api", "create-bucket", "--bucket", bucket, "--object-lock-enabled-for-bucket").ExitCode);
        (int rc, _, string err) = rgw.Aws("s3api", "put-object-lock-configuration", "--bucket", bucket, "--object-lock-configuration",
            "{\"ObjectLockEnabled\":\"Enabled\",\"Rule\":{\"DefaultRetention\":{\"Mode\":\"GOVERNANCE\",\"Years\":1}}}");
        Assert.True(rc == 0, err);
        await using S3ObjectStore store = await S3ObjectStore.OpenAsync(rgw.Settings(bucket), default);
        Assert.Equal(new RetentionPolicy("governance", TimeSpan.FromDays(365)), store.Capabilities.Retention);
        await S3ObjectStore.PrepareBucketAsync(rgw.Settings(bucket), new ObjectLockRequest("governance", 365), default);
    }

    [RgwFact]
    public async Task Init_BucketHoldingOnlyScratch_MakesTheArchiveAndLeavesTheScratch()
    {
        // 'storage validate' writes under tmp/ (FORMAT.md §1.1: writers' scratch) and deletes nothing; an S3
        // listing shows those keys, which must not make the bucket "not empty" for 'init'.
        string bucket = RgwCluster.NewBucket("scratch");
        Assert.Equal(0, rgw.Aws("s3api", "create-bucket", "--bucket", bucket).ExitCode);
        const string probe = "tmp/cvmpreserve-validate-20261202T000000Z-0123abcd/probe";
        S3ObjectStore store = await S3ObjectStore.OpenAsync(rgw.Settings(bucket), default);
        Assert.True(await store.PutIfAbsentAsync(probe, "x"u8.ToArray(), default));

        await using (Archive archive = await Archive.InitAsync(store, null, default))
        {
            Assert.Empty(await archive.ListCapsulesAsync(default));
        }

        await using S3ObjectStore after = await S3ObjectStore.OpenAsync(rgw.Settings(bucket), default);
        Assert.True(await after.ExistsAsync(Core.Format.ArchiveLayout.Declaration, default));
        Assert.True(await after.ExistsAsync(probe, default));
    }

    [RgwFact]
    public async Task Open_VersionedBucketWithoutObjectLock_HasNoRetentionAndStillCreatesAtomically()
    {
        string bucket = RgwCluster.NewBucket("versioned");
        Assert.Equal(0, rgw.Aws("s3api", "create-bucket", "--bucket", bucket).ExitCode);
        Assert.Equal(0, rgw.Aws("s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled").ExitCode);
        await using S3ObjectStore store = await S3ObjectStore.OpenAsync(rgw.Settings(bucket), default);
        Assert.True(store.Versioned);
        Assert.Null(store.Capabilities.Retention);
        Assert.Null(await store.GetRetentionAsync("archive.json", default));
        bool[] won = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => store.PutIfAbsentAsync("capsules/v/v1/manifest.json", new[] { (byte)i }, default))));
        Assert.Single(won, w => w);
    }

    [RgwFact]
    public async Task Put_AboveTheMultipartThreshold_IsAMultipartUploadThatReadsBackIntact()
    {
        string bucket = RgwCluster.NewBucket("multipart");
        S3Settings settings = rgw.Settings(bucket) with { MultipartThreshold = 6 * 1024 * 1024, PartSize = 5 * 1024 * 1024 };
        await S3ObjectStore.PrepareBucketAsync(settings, null, default);
        await using S3ObjectStore store = await S3ObjectStore.OpenAsync(settings, default);
        byte[] content = new byte[11 * 1024 * 1024 + 3];
        new Random(7).NextBytes(content);
        Assert.True(await store.PutIfAbsentAsync(BlobKey, content, default));
        await store.FlushAsync(default);
        (int rc, string head, string err) = rgw.Aws("s3api", "head-object", "--bucket", bucket, "--key", settings.Prefix + BlobKey, "--output", "json");
        Assert.True(rc == 0, err);
        Assert.EndsWith("-3\"", JsonDocument.Parse(head).RootElement.GetProperty("ETag").GetString(), StringComparison.Ordinal);
        Assert.Equal(content, await store.TryGetAsync(BlobKey, default));
    }

    [RgwFact]
    public async Task Put_BodyCorruptedInTransit_IsRefusedByTheServerAndSentAgain()
    {
        string bucket = RgwCluster.NewBucket("checksum");
        await using var proxy = new FaultProxy(new Uri(rgw.Endpoint));
        S3Settings direct = rgw.Settings(bucket);
        await S3ObjectStore.PrepareBucketAsync(direct, null, default);
        S3Settings settings = direct with { Endpoint = new Uri(proxy.Endpoint), RetryDelay = TimeSpan.FromMilliseconds(10) };
        await using S3ObjectStore store = await S3ObjectStore.OpenAsync(settings, default);
        byte[] content = new byte[512 * 1024];
        new Random(3).NextBytes(content);
        long requestsBefore = store.Requests;
        proxy.CorruptOnceAt(300_000);
        Assert.True(await store.PutIfAbsentAsync("capsules/c/v1/manifest.json", content, default));
        Assert.True(proxy.Corrupted);
        Assert.Equal(2, store.Requests - requestsBefore); // refused once (BadDigest), accepted the second time
        Assert.Equal(content, await store.TryGetAsync("capsules/c/v1/manifest.json", default));
    }

    [RgwTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PutIfAbsent_AnswerLostThenSentAgain_StillKnowsItCreatedTheObject(bool objectLock)
    {
        string bucket = RgwCluster.NewBucket(objectLock ? "lostlocked" : "lostplain");
        S3Settings direct = rgw.Settings(bucket);
        await S3ObjectStore.PrepareBucketAsync(direct, objectLock ? new ObjectLockRequest("governance", 1) : null, default);
        await using var proxy = new FaultProxy(new Uri(rgw.Endpoint));
        await using S3ObjectStore store = await S3ObjectStore.OpenAsync(direct with { Endpoint = new Uri(proxy.Endpoint), RetryDelay = TimeSpan.FromMilliseconds(10) }, default);

        // The request whose answer decides: the conditional PUT of the key, or the PUT of its claim.
        proxy.LoseAnswerTo = objectLock ? $"PUT /{bucket}/archive/tmp/claims/" : $"PUT /{bucket}/archive/capsules/";
        Assert.True(await store.PutIfAbsentAsync("capsules/l/v1/manifest.json", "mine"u8.ToArray(), default));
        Assert.True(proxy.AnswerLost);
        Assert.False(await store.PutIfAbsentAsync("capsules/l/v1/manifest.json", "theirs"u8.ToArray(), default));
        Assert.Equal("mine"u8.ToArray(), await store.TryGetAsync("capsules/l/v1/manifest.json", default));
    }

    [RgwFact]
    public async Task Open_BadCredentials_FailsAtOnceNamingEndpointAndBucket()
    {
        string bucket = RgwCluster.NewBucket("creds");
        await S3ObjectStore.PrepareBucketAsync(rgw.Settings(bucket), null, default);
        S3Settings wrong = rgw.Settings(bucket, env: e => e["AWS_SECRET_ACCESS_KEY"] = "not-the-secret");
        var clock = Stopwatch.StartNew();
        StorageException e = await Assert.ThrowsAsync<StorageException>(() => S3ObjectStore.OpenAsync(wrong, default));
        Assert.False(e.IsTransient);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"a permanent failure took {clock.Elapsed} (retried?)");
        Assert.Contains(rgw.Endpoint, e.Message, StringComparison.Ordinal);
        Assert.Contains(bucket, e.Message, StringComparison.Ordinal);
        Assert.Contains("403", e.Message, StringComparison.Ordinal);
    }

    [RgwFact]
    public async Task Open_MissingBucket_IsNotAnArchiveAndSaysHowToMakeOne()
    {
        string bucket = RgwCluster.NewBucket("missing");
        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => S3ObjectStore.OpenAsync(rgw.Settings(bucket), default));
        Assert.Equal(FailureKind.NotAnArchive, e.Kind);
        Assert.Contains($"bucket {bucket} does not exist", e.Message, StringComparison.Ordinal);
        Assert.Contains("cvmpreserve init", e.Message, StringComparison.Ordinal);
    }

    [RgwFact]
    public async Task Get_UnreachableGateway_IsRetriedThenReportedAsTransient()
    {
        string bucket = RgwCluster.NewBucket("unreachable");
        await S3ObjectStore.PrepareBucketAsync(rgw.Settings(bucket), null, default);
        await using var proxy = new FaultProxy(new Uri(rgw.Endpoint));
        S3Settings settings = rgw.Settings(bucket) with { Endpoint = new Uri(proxy.Endpoint), MaxRetries = 3, RetryDelay = TimeSpan.FromMilliseconds(20) };
        await using S3ObjectStore store = await S3ObjectStore.OpenAsync(settings, default);
        proxy.RefuseAll = true;
        long before = store.Requests;
        StorageException e = await Assert.ThrowsAsync<StorageException>(() => store.TryGetAsync("archive.json", default));
        Assert.True(e.IsTransient);
        Assert.Equal(4, store.Requests - before); // the first attempt and three retries
        Assert.Contains(proxy.Endpoint, e.Message, StringComparison.Ordinal);
        Assert.Contains("key archive/archive.json", e.Message, StringComparison.Ordinal);
    }

    [RgwFact]
    public async Task Get_SlowDown503_IsRetriedWithBackoffUntilItSucceeds()
    {
        string bucket = RgwCluster.NewBucket("slowdown");
        S3Settings direct = rgw.Settings(bucket);
        await S3ObjectStore.PrepareBucketAsync(direct, null, default);
        await using (S3ObjectStore writer = await S3ObjectStore.OpenAsync(direct, default))
        {
            await writer.PutIfAbsentAsync("archive.json", "{}"u8.ToArray(), default);
        }

        await using var proxy = new FaultProxy(new Uri(rgw.Endpoint));
        await using S3ObjectStore store = await S3ObjectStore.OpenAsync(direct with { Endpoint = new Uri(proxy.Endpoint), RetryDelay = TimeSpan.FromMilliseconds(50) }, default);
        proxy.RefuseAll = true; // close the pooled connections: the next request opens a new one
        proxy.RefuseAll = false;
        proxy.SlowDownNext = 3;
        long before = store.Requests;
        var clock = Stopwatch.StartNew();
        Assert.Equal("{}"u8.ToArray(), await store.TryGetAsync("archive.json", default));
        Assert.Equal(4, store.Requests - before); // three 503 SlowDown answers, then the object
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(50), "no backoff between the retries");
        Assert.Equal(0, proxy.SlowDownNext);
    }

    [RgwFact]
    public async Task Get_ConnectionsDroppedAndStalled_EveryReadStillGivesTheRightBytes()
    {
        string bucket = RgwCluster.NewBucket("flaky");
        S3Settings direct = rgw.Settings(bucket);
        await S3ObjectStore.PrepareBucketAsync(direct, null, default);
        await using var proxy = new FaultProxy(new Uri(rgw.Endpoint)) { DropEvery = 2, StallEvery = 3 };
        S3Settings settings = direct with { Endpoint = new Uri(proxy.Endpoint), AttemptTimeout = TimeSpan.FromSeconds(2), RetryDelay = TimeSpan.FromMilliseconds(20), MaxRetries = 10, Parallel = 4 };
        await using (S3ObjectStore writer = await S3ObjectStore.OpenAsync(direct, default))
        {
            for (int i = 0; i < 8; i++)
            {
                await writer.PutIfAbsentAsync($"capsules/f/v{i}/manifest.json", Content(i), default);
            }
        }

        // Rounds of parallel reads until faults have happened (which connection carries what is up to the
        // client's pool, so one round may by chance meet none); every read of every round must be right.
        await using S3ObjectStore store = await S3ObjectStore.OpenAsync(settings, default);
        for (int round = 0; round < 5 && proxy.Faults < 2; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
                Assert.Equal(Content(i), await store.TryGetAsync($"capsules/f/v{i}/manifest.json", default))));
        }

        Assert.True(proxy.Faults >= 2, $"only {proxy.Faults} connection faults in 5 rounds: the test proved nothing");
    }

    private static byte[] Content(int i)
    {
        byte[] b = new byte[300 * 1024];
        new Random(i).NextBytes(b);
        return b;
    }
}
