using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Storage;
using Minio;
using Minio.DataModel.Args;
using Minio.DataModel.ObjectLock;
using Minio.Exceptions;

namespace CernVM.Preserve.Storage.S3;

/// <summary>The Object Lock an archive's bucket must have (<c>init --object-lock MODE --retention DURATION</c>).</summary>
/// <param name="Mode">compliance or governance.</param>
/// <param name="Days">The default retention in days.</param>
public sealed record ObjectLockRequest(string Mode, int Days);

/// <summary>
/// An archive in an S3 bucket under a prefix (FORMAT.md §1.1, §8.1): the object key of archive key K is
/// <c>prefix/K</c>, byte for byte the path of the directory layout, so <c>aws s3 sync</c> in either
/// direction gives a valid archive of the other kind.
/// </summary>
/// <remarks>
/// <para>Writes. Nothing is ever overwritten. Blobs (content-addressed) are uploaded in the background,
/// at most <see cref="S3Settings.Parallel"/> at once, and are guaranteed present after
/// <see cref="FlushAsync"/>; a failed upload fails the next put or flush. Every PUT carries Content-MD5
/// and its signed SHA-256 (x-amz-content-sha256), which the server checks against the body (RGW 16 verifies
/// both; it does not know x-amz-checksum-sha256). Objects above <see cref="S3Settings.MultipartThreshold"/>
/// go as multipart uploads, every part with its own Content-MD5. On a bucket with Object Lock every object,
/// claim objects included, carries explicit x-amz-object-lock-mode and x-amz-object-lock-retain-until-date
/// headers (now + the bucket's default retention), not only the bucket default.</para>
/// <para>Atomic create (FORMAT.md §8.1), which decides version numbers. On an unversioned bucket:
/// <c>PUT</c> with <c>If-None-Match: *</c>, which RGW decides atomically (412 for the loser). On a versioned
/// bucket (every Object Lock bucket is one) RGW 16 ignores If-None-Match, so a create-exclusive claim is
/// used: HEAD the key (present: lose); PUT a claim object <c>tmp/claims/K</c> (a new version of it each
/// time); list the claim's versions: the writer whose version is the oldest wins and only then writes K.
/// The bucket index orders the versions of one key by an epoch it assigns atomically, so every writer
/// sees the same oldest one. A winner that crashes before writing K leaves K absent forever: the version
/// number is skipped (FORMAT.md §5.1 allows gaps). Large objects on unversioned buckets claim
/// <c>tmp/claims/K</c> with If-None-Match before their multipart upload.</para>
/// <para>Failures: transient ones (connection reset or refused, timeouts, 5xx, 429, SlowDown, BadDigest)
/// are retried with exponential backoff and jitter; permanent ones (403, missing bucket, bad credentials)
/// fail at once. Every failure is a <see cref="StorageException"/> naming the endpoint, bucket and key;
/// a full store is a <see cref="StorageFullException"/>; cancellation is an <see cref="OperationCanceledException"/>.
/// The Minio SDK is used for bucket administration (create with Object Lock, lock configuration,
/// versioning, object retention); the data path is signed here (docs/ARCHITECTURE.md §S3 says why).</para>
/// </remarks>
public sealed class S3ObjectStore : IObjectStore, IObjectRetentionReader
{
    /// <summary>Claim objects of the atomic-create scheme (FORMAT.md §8.1), under the writers' scratch prefix.</summary>
    public const string ClaimPrefix = "tmp/claims/";

    private readonly S3Connection _connection;
    private readonly IMinioClient _minio;
    private readonly ConcurrentDictionary<string, byte[]> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _uploads = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _disposing = new();
    private int _disposed;
    private readonly string _writerId = Guid.NewGuid().ToString("N");
    private Exception? _uploadFailure;

    private S3ObjectStore(S3Connection connection, IMinioClient minio, bool versioned, RetentionPolicy? retention)
    {
        _connection = connection;
        _minio = minio;
        Versioned = versioned;
        Capabilities = new StoreCapabilities(retention, AtomicCreate: true);
        _slots = new SemaphoreSlim(connection.Settings.Parallel);
    }

    public string Location => _connection.Settings.Url;

    public StoreCapabilities Capabilities { get; }

    /// <summary>True when the bucket keeps versions (always so with Object Lock).</summary>
    public bool Versioned { get; }

    public S3Settings Settings => _connection.Settings;

    /// <summary>Requests sent so far (every attempt counts).</summary>
    public long Requests => _connection.Requests;

    /// <summary>Body bytes sent so far.</summary>
    public long BytesSent => _connection.BytesSent;

    /// <summary>
    /// Connects to an existing bucket and reads its versioning and Object Lock configuration.
    /// </summary>
    /// <exception cref="PreserveException">NotAnArchive: the bucket does not exist.</exception>
    /// <exception cref="StorageException">The endpoint cannot be reached, or refuses the credentials.</exception>
    public static async Task<S3ObjectStore> OpenAsync(S3Settings settings, CancellationToken cancellationToken)
    {
        var connection = new S3Connection(settings);
        try
        {
            IMinioClient minio = CreateMinio(connection);
            await EnsureBucketExistsAsync(connection, cancellationToken).ConfigureAwait(false);
            (bool versioned, RetentionPolicy? retention) = await ReadBucketAsync(connection, minio, cancellationToken).ConfigureAwait(false);
            return new S3ObjectStore(connection, minio, versioned, retention);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// For <c>init</c>: makes the bucket when it does not exist (with Object Lock and its default retention when
    /// <paramref name="objectLock"/> is given), or checks that an existing bucket has the Object Lock asked for.
    /// </summary>
    /// <exception cref="PreserveException">Usage: the existing bucket's Object Lock differs from the request.</exception>
    public static async Task PrepareBucketAsync(S3Settings settings, ObjectLockRequest? objectLock, CancellationToken cancellationToken)
    {
        using var connection = new S3Connection(settings);
        IMinioClient minio = CreateMinio(connection);
        string where = connection.Where(null);
        bool exists = await MinioAsync(connection, null, () => minio.BucketExistsAsync(new BucketExistsArgs().WithBucket(settings.Bucket), cancellationToken), cancellationToken).ConfigureAwait(false);
        if (!exists)
        {
            var make = new MakeBucketArgs().WithBucket(settings.Bucket);
            if (objectLock is not null)
            {
                make = make.WithObjectLock();
            }

            await MinioAsync(connection, null, async () => { await minio.MakeBucketAsync(make, cancellationToken).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);
            if (objectLock is not null)
            {
                var config = new ObjectLockConfiguration(ToMinioMode(objectLock.Mode), objectLock.Days);
                await MinioAsync(connection, null, async () =>
                {
                    await minio.SetObjectLockConfigurationAsync(new SetObjectLockConfigurationArgs().WithBucket(settings.Bucket).WithLockConfiguration(config), cancellationToken).ConfigureAwait(false);
                    return true;
                }, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (objectLock is null)
        {
            return;
        }

        (_, RetentionPolicy? have) = await ReadBucketAsync(connection, minio, cancellationToken).ConfigureAwait(false);
        if (have is null)
        {
            throw new PreserveException(FailureKind.Usage,
                $"{where}: the bucket exists without Object Lock (or without a default retention), but --object-lock {objectLock.Mode} was asked for. Object Lock can only be enabled when a bucket is made: use a new bucket.");
        }

        if (have.Mode != objectLock.Mode || (int)have.Period.TotalDays != objectLock.Days)
        {
            throw new PreserveException(FailureKind.Usage,
                $"{where}: the bucket's Object Lock is {have.Mode} for {have.Period.TotalDays:0} days, not the {objectLock.Mode} for {objectLock.Days} days asked for; nothing was changed.");
        }
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        ThrowIfUploadFailed();
        if (_pending.ContainsKey(key))
        {
            return true;
        }

        string full = FullKey(key);
        return await _connection.RetryAsync(async ct =>
        {
            S3Response r = await _connection.SendAsync(HttpMethod.Head, full, "", default, null, ct).ConfigureAwait(false);
            return r.Status == HttpStatusCode.NotFound ? false : r.Ok ? true : throw _connection.Failure(r, "HEAD", full);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<byte[]?> TryGetAsync(string key, CancellationToken cancellationToken)
    {
        if (_pending.TryGetValue(key, out byte[]? pending))
        {
            return pending;
        }

        string full = FullKey(key);
        return await _connection.RetryAsync<byte[]?>(async ct =>
        {
            S3Response r = await _connection.SendAsync(HttpMethod.Get, full, "", default, null, ct).ConfigureAwait(false);
            if (r.Status == HttpStatusCode.NotFound && r.ErrorCode != "NoSuchBucket")
            {
                return null;
            }

            if (!r.Ok)
            {
                throw _connection.Failure(r, "GET", full);
            }

            // Integrity on the way out: a single-part object's ETag is the MD5 of its bytes. (Blobs are
            // checked again by their SHA-256, manifests by their sidecar.)
            string? etag = r.Header("ETag")?.Trim('"');
            if (etag is { Length: 32 } && !etag.Contains('-', StringComparison.Ordinal) &&
                !Convert.ToHexStringLower(MD5.HashData(r.Body)).Equals(etag, StringComparison.OrdinalIgnoreCase))
            {
                throw new StorageException($"{_connection.Where(full)}: the bytes received do not match the object's ETag (damaged in transit).", full, null, transient: true);
            }

            return r.Body;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ThrowIfUploadFailed();
        string full = FullKey(key);
        if (!key.StartsWith("blobs/", StringComparison.Ordinal))
        {
            return await CreateExclusiveAsync(full, content, cancellationToken).ConfigureAwait(false);
        }

        // Content-addressed: equal key, equal bytes, so no coordination is needed; upload in the background,
        // bounded, and let FlushAsync wait (IObjectStore: blobs become visible at the next flush).
        if (_pending.ContainsKey(key))
        {
            return false;
        }

        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        byte[] bytes = content.ToArray();
        if (!_pending.TryAdd(key, bytes))
        {
            _slots.Release();
            return false;
        }

        _uploads[key] = Task.Run(async () =>
        {
            try
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
                await PutObjectAsync(full, bytes, conditional: !Versioned, linked.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _uploadFailure, e, null);
            }
            finally
            {
                _pending.TryRemove(key, out _);
                _uploads.TryRemove(key, out _);
                _slots.Release();
            }
        }, CancellationToken.None);
        return true;
    }

    public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken) => ListFromAsync(prefix, null, cancellationToken);

    /// <summary>The listing starts after <paramref name="startAfter"/> on the server (<c>start-after</c>): only the rest is read.</summary>
    public IAsyncEnumerable<string> ListAfterAsync(string prefix, string startAfter, CancellationToken cancellationToken) => ListFromAsync(prefix, startAfter, cancellationToken);

    private async IAsyncEnumerable<string> ListFromAsync(string prefix, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? token = null;
        string full = Settings.Prefix + prefix;
        var keys = new List<string>();
        do
        {
            string query = "list-type=2&max-keys=1000&prefix=" + SigV4.Encode(full, false) +
                           (startAfter is null ? "" : "&start-after=" + SigV4.Encode(Settings.Prefix + startAfter, false)) +
                           (token is null ? "" : "&continuation-token=" + SigV4.Encode(token, false));
            XElement result = await _connection.RetryAsync(async ct =>
            {
                S3Response r = await _connection.SendAsync(HttpMethod.Get, null, query, default, null, ct).ConfigureAwait(false);
                return r.Ok ? r.Xml() : throw _connection.Failure(r, "LIST " + full, null);
            }, cancellationToken).ConfigureAwait(false);
            foreach (XElement c in result.Elements().Where(e => e.Name.LocalName == "Contents"))
            {
                string k = c.Elements().First(e => e.Name.LocalName == "Key").Value;
                if (k.StartsWith(Settings.Prefix, StringComparison.Ordinal))
                {
                    string rel = k[Settings.Prefix.Length..];
                    if (!rel.StartsWith("tmp/", StringComparison.Ordinal))
                    {
                        keys.Add(rel);
                    }
                }
            }

            bool truncated = result.Elements().FirstOrDefault(e => e.Name.LocalName == "IsTruncated")?.Value == "true";
            token = truncated ? result.Elements().FirstOrDefault(e => e.Name.LocalName == "NextContinuationToken")?.Value : null;
        }
        while (token is not null);

        keys.AddRange(_pending.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
        foreach (string k in keys.Distinct().Order(StringComparer.Ordinal))
        {
            if (startAfter is not null && string.CompareOrdinal(k, startAfter) <= 0)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return k;
        }
    }

    /// <summary>Waits until every blob put so far is stored; throws the first upload failure.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (_uploads.ToArray() is { Length: > 0 } uploads)
        {
            // (An upload that finished before it was registered leaves its entry behind: removed here.)
            await Task.WhenAll(uploads.Select(u => u.Value)).WaitAsync(cancellationToken).ConfigureAwait(false);
            foreach (KeyValuePair<string, Task> done in uploads)
            {
                _uploads.TryRemove(done);
            }
        }

        ThrowIfUploadFailed();
    }

    public async Task<ObjectRetention?> GetRetentionAsync(string key, CancellationToken cancellationToken)
    {
        if (Capabilities.Retention is null)
        {
            return null; // this store writes no retention (FORMAT.md §8.1)
        }

        string full = FullKey(key);
        try
        {
            ObjectRetentionConfiguration r = await MinioAsync(_connection, full,
                () => _minio.GetObjectRetentionAsync(new GetObjectRetentionArgs().WithBucket(Settings.Bucket).WithObject(full), cancellationToken),
                cancellationToken).ConfigureAwait(false);
            if (r is null || string.IsNullOrEmpty(r.RetainUntilDate))
            {
                return null;
            }

            return new ObjectRetention(r.Mode.ToString().ToLowerInvariant(),
                DateTimeOffset.Parse(r.RetainUntilDate, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal));
        }
        catch (StorageException e) when (!e.IsTransient && e.InnerException is MinioException m &&
                                         ((m.Response?.Code ?? "") + m.Message).Contains("NoSuchObjectLockConfiguration", StringComparison.OrdinalIgnoreCase))
        {
            return null; // an object written without retention (by another tool)
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Idempotent, as DisposeAsync must be: an Archive disposes the store it was given, and so may its owner.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_uploads.Values.ToArray()).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Abandoned uploads: blobs that no version names (FORMAT.md §8).
        }

        _connection.Dispose();
        _disposing.Dispose();
        _slots.Dispose();
    }

    private void ThrowIfUploadFailed()
    {
        Exception? e = Volatile.Read(ref _uploadFailure);
        if (e is null)
        {
            return;
        }

        if (e is OperationCanceledException oce)
        {
            throw new OperationCanceledException("an upload was cancelled", oce);
        }

        throw e is StorageFullException full ? new StorageFullException(full.Message, full.Key, e)
            : e is StorageException s ? new StorageException(s.Message, s.Key, e, s.IsTransient)
            : new StorageException($"{Location}: an upload failed: {e.Message}", null, e);
    }

    private string FullKey(string key)
    {
        if (key.Length == 0 || key.StartsWith('/') || key.Split('/').Any(s => s is "" or "." or ".."))
        {
            throw new ArgumentException($"'{key}' is not a valid archive key.", nameof(key));
        }

        return Settings.Prefix + key;
    }

    /// <summary>FORMAT.md §8.1: creates <paramref name="full"/> only if absent, decided atomically.</summary>
    private async Task<bool> CreateExclusiveAsync(string full, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        bool small = content.Length <= Settings.MultipartThreshold;
        if (!Versioned && small)
        {
            return await PutObjectAsync(full, content, conditional: true, cancellationToken).ConfigureAwait(false);
        }

        if (await ExistsAsync(full[Settings.Prefix.Length..], cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        string claim = Settings.Prefix + ClaimPrefix + full[Settings.Prefix.Length..];
        // Unique per call, so that a claim whose answer was lost can still be recognised as ours.
        byte[] claimBody = Encoding.ASCII.GetBytes($"{_writerId} {Guid.NewGuid():N}\n");
        if (!Versioned)
        {
            if (!await PutObjectAsync(claim, claimBody, conditional: true, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }
        else
        {
            string mine = await _connection.RetryAsync(async ct =>
            {
                S3Response r = await _connection.SendAsync(HttpMethod.Put, claim, "", claimBody, req => AddPutHeaders(req, claimBody), ct).ConfigureAwait(false);
                return r.Ok ? r.Header("x-amz-version-id") ?? throw new StorageException($"{_connection.Where(claim)}: the versioned bucket gave no version id for a claim.", claim)
                            : throw _connection.Failure(r, "PUT claim", claim);
            }, cancellationToken).ConfigureAwait(false);
            string oldest = await OldestVersionAsync(claim, cancellationToken).ConfigureAwait(false);
            if (oldest != mine && !await HoldsAsync(claim, "versionId=" + SigV4.Encode(oldest, false), claimBody, cancellationToken).ConfigureAwait(false))
            {
                return false; // (the oldest claim may be ours when an attempt's answer was lost: hence the read)
            }
        }

        // The claim is ours: only we write the key.
        await PutObjectAsync(full, content, conditional: false, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task<string> OldestVersionAsync(string claim, CancellationToken cancellationToken)
    {
        string query = "max-keys=1000&prefix=" + SigV4.Encode(claim, false) + "&versions=";
        XElement result = await _connection.RetryAsync(async ct =>
        {
            S3Response r = await _connection.SendAsync(HttpMethod.Get, null, query, default, null, ct).ConfigureAwait(false);
            return r.Ok ? r.Xml() : throw _connection.Failure(r, "LIST versions", claim);
        }, cancellationToken).ConfigureAwait(false);

        // Versions of one key are listed newest first: the last one is the oldest.
        string? oldest = result.Elements()
            .Where(e => e.Name.LocalName == "Version" && e.Elements().Any(k => k.Name.LocalName == "Key" && k.Value == claim))
            .Select(e => e.Elements().First(v => v.Name.LocalName == "VersionId").Value)
            .LastOrDefault();
        return oldest ?? throw new StorageException($"{_connection.Where(claim)}: the claim just written is not listed.", claim);
    }

    /// <summary>One object, single PUT or multipart. With <paramref name="conditional"/>, false when it existed.</summary>
    private async Task<bool> PutObjectAsync(string full, ReadOnlyMemory<byte> content, bool conditional, CancellationToken cancellationToken)
    {
        if (content.Length > Settings.MultipartThreshold)
        {
            await MultipartAsync(full, content, cancellationToken).ConfigureAwait(false);
            return true;
        }

        int attempts = 0;
        bool created = await _connection.RetryAsync(async ct =>
        {
            attempts++;
            S3Response r = await _connection.SendAsync(HttpMethod.Put, full, "", content, req =>
            {
                AddPutHeaders(req, content);
                if (conditional)
                {
                    req.Headers.TryAddWithoutValidation("If-None-Match", "*");
                }
            }, ct).ConfigureAwait(false);
            if (conditional && r.Status == HttpStatusCode.PreconditionFailed)
            {
                return false;
            }

            return r.Ok ? true : throw _connection.Failure(r, "PUT", full);
        }, cancellationToken).ConfigureAwait(false);

        // Refused after a retry: the earlier attempt may have created it and lost its answer. Only a writer of
        // identical bytes could have made what is there (a manifest names its creation time to the 100 ns).
        return created || (attempts > 1 && await HoldsAsync(full, "", content, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>True when the object (version) holds exactly <paramref name="content"/>.</summary>
    private async Task<bool> HoldsAsync(string full, string query, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        return await _connection.RetryAsync(async ct =>
        {
            S3Response r = await _connection.SendAsync(HttpMethod.Get, full, query, default, null, ct).ConfigureAwait(false);
            return r.Status == HttpStatusCode.NotFound ? false : r.Ok ? r.Body.AsSpan().SequenceEqual(content.Span) : throw _connection.Failure(r, "GET", full);
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task MultipartAsync(string full, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        string uploadId = await _connection.RetryAsync(async ct =>
        {
            S3Response r = await _connection.SendAsync(HttpMethod.Post, full, "uploads=", default, req => AddLockHeaders(req), ct).ConfigureAwait(false);
            return r.Ok ? r.Xml().Elements().First(e => e.Name.LocalName == "UploadId").Value : throw _connection.Failure(r, "POST uploads", full);
        }, cancellationToken).ConfigureAwait(false);
        string id = SigV4.Encode(uploadId, false);
        try
        {
            var parts = new List<(int Number, string ETag)>();
            for (int offset = 0, number = 1; offset < content.Length; offset += Settings.PartSize, number++)
            {
                ReadOnlyMemory<byte> part = content.Slice(offset, Math.Min(Settings.PartSize, content.Length - offset));
                int n = number;
                string etag = await _connection.RetryAsync(async ct =>
                {
                    S3Response r = await _connection.SendAsync(HttpMethod.Put, full, $"partNumber={n}&uploadId={id}", part,
                        req => req.Content!.Headers.TryAddWithoutValidation("Content-MD5", S3Connection.Md5Base64(part.Span)), ct).ConfigureAwait(false);
                    return r.Ok ? r.Header("ETag") ?? "" : throw _connection.Failure(r, $"PUT part {n}", full);
                }, cancellationToken).ConfigureAwait(false);
                parts.Add((n, etag));
            }

            var xml = new XElement("CompleteMultipartUpload",
                parts.Select(p => new XElement("Part", new XElement("PartNumber", p.Number), new XElement("ETag", p.ETag))));
            byte[] body = Encoding.UTF8.GetBytes(xml.ToString(SaveOptions.DisableFormatting));
            await _connection.RetryAsync(async ct =>
            {
                S3Response r = await _connection.SendAsync(HttpMethod.Post, full, $"uploadId={id}", body, null, ct).ConfigureAwait(false);

                // S3 may answer 200 with an error document to a completion.
                if (r.Ok && r.ErrorCode is null)
                {
                    return true;
                }

                if (r.ErrorCode == "NoSuchUpload")
                {
                    return true; // an earlier attempt completed it; the answer was lost
                }

                throw _connection.Failure(r.Ok ? r with { Status = HttpStatusCode.InternalServerError } : r, "POST complete", full);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                using var abort = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _connection.SendAsync(HttpMethod.Delete, full, $"uploadId={id}", default, null, abort.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StorageException or OperationCanceledException)
            {
                // The server drops incomplete uploads by its own rules; no object is visible.
            }

            throw;
        }
    }

    private void AddPutHeaders(HttpRequestMessage request, ReadOnlyMemory<byte> content)
    {
        request.Content!.Headers.TryAddWithoutValidation("Content-MD5", S3Connection.Md5Base64(content.Span));
        AddLockHeaders(request);
    }

    private void AddLockHeaders(HttpRequestMessage request)
    {
        if (Capabilities.Retention is { } retention)
        {
            DateTime until = DateTime.UtcNow + retention.Period;
            request.Headers.TryAddWithoutValidation("x-amz-object-lock-mode", retention.Mode.ToUpperInvariant());
            request.Headers.TryAddWithoutValidation("x-amz-object-lock-retain-until-date", until.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }
    }

    internal static IMinioClient CreateMinio(S3Connection connection)
    {
        Uri ep = connection.Settings.Endpoint;
        return new MinioClient()
            .WithEndpoint(ep.Host, ep.Port)
            .WithSSL(ep.Scheme == "https")
            .WithCredentials(connection.Settings.AccessKey, connection.Settings.SecretKey)
            .WithRegion(connection.Settings.Region)
            .WithHttpClient(connection.Http, false)
            .Build();
    }

    private static async Task EnsureBucketExistsAsync(S3Connection connection, CancellationToken cancellationToken)
    {
        S3Response r = await connection.RetryAsync(async ct =>
        {
            S3Response head = await connection.SendAsync(HttpMethod.Head, null, "", default, null, ct).ConfigureAwait(false);
            return (int)head.Status >= 500 ? throw connection.Failure(head, "HEAD bucket", null) : head;
        }, cancellationToken).ConfigureAwait(false);
        if (r.Status == HttpStatusCode.NotFound)
        {
            throw new PreserveException(FailureKind.NotAnArchive,
                $"{connection.Settings.Url}: the bucket {connection.Settings.Bucket} does not exist at {connection.Settings.Endpoint.GetLeftPart(UriPartial.Authority)}. Create the archive with 'cvmpreserve init {connection.Settings.Url}'.");
        }

        if (!r.Ok)
        {
            string hint = r.Status == HttpStatusCode.Forbidden ? " (access denied: check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION)" : "";
            throw new StorageException($"{connection.Where(null)}: HEAD bucket answered {(int)r.Status} {r.Status}{hint}.");
        }
    }

    private static async Task<(bool Versioned, RetentionPolicy? Retention)> ReadBucketAsync(S3Connection connection, IMinioClient minio, CancellationToken cancellationToken)
    {
        string bucket = connection.Settings.Bucket;
        Minio.DataModel.VersioningConfiguration v = await MinioAsync(connection, null,
            () => minio.GetVersioningAsync(new GetVersioningArgs().WithBucket(bucket), cancellationToken), cancellationToken).ConfigureAwait(false);
        bool versioned = string.Equals(v?.Status, "Enabled", StringComparison.OrdinalIgnoreCase);
        if (!versioned)
        {
            return (false, null);
        }

        // Read here rather than through Minio 7.0.0, whose DefaultRetention knows only Days: a bucket whose
        // default is given in Years would look like one without retention.
        S3Response r = await connection.RetryAsync(async ct =>
        {
            S3Response answer = await connection.SendAsync(HttpMethod.Get, null, "object-lock=", default, null, ct).ConfigureAwait(false);
            return answer.Ok || (int)answer.Status is 400 or 404 ? answer : throw connection.Failure(answer, "GET object-lock", null);
        }, cancellationToken).ConfigureAwait(false);
        if (!r.Ok)
        {
            return (true, null); // versioned, without Object Lock
        }

        XElement config = r.Xml();
        string? Value(XElement? e, string name) => e?.Descendants().FirstOrDefault(x => x.Name.LocalName == name)?.Value;
        XElement? rule = config.Descendants().FirstOrDefault(x => x.Name.LocalName == "DefaultRetention");
        int days = int.TryParse(Value(rule, "Days"), out int d) ? d : int.TryParse(Value(rule, "Years"), out int y) ? y * 365 : 0;
        if (Value(config, "ObjectLockEnabled") != "Enabled" || rule is null || days <= 0 || Value(rule, "Mode") is not { } mode)
        {
            return (true, null);
        }

        return (true, new RetentionPolicy(mode.ToLowerInvariant(), TimeSpan.FromDays(days)));
    }

    private static ObjectRetentionMode ToMinioMode(string mode) => mode switch
    {
        "compliance" => ObjectRetentionMode.COMPLIANCE,
        "governance" => ObjectRetentionMode.GOVERNANCE,
        _ => throw new PreserveException(FailureKind.Usage, $"'{mode}' is not an Object Lock mode: use compliance or governance."),
    };

    /// <summary>Runs one Minio call with the retry policy; translates its exceptions (nothing outside this class sees a Minio type).</summary>
    private static async Task<T> MinioAsync<T>(S3Connection connection, string? fullKey, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        return await connection.RetryAsync(async ct =>
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (MinioException e)
            {
                string code = e.Response?.Code ?? "";
                int status = e.ServerResponse is { } sr ? (int)sr.StatusCode : 0;
                bool transient = status is >= 500 or 429 || code is "SlowDown" or "InternalError" or "RequestTimeout" || e is ConnectionException;
                string message = e.Response?.Message is { Length: > 0 } m ? m : e.Message;
                throw new StorageException($"{connection.Where(fullKey)}: {(code.Length > 0 ? code + ": " : "")}{message}", fullKey, e, transient);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                throw new StorageException($"{connection.Where(fullKey)}: {e.Message}", fullKey, e, transient: true);
            }
        }, cancellationToken).ConfigureAwait(false);
    }
}
