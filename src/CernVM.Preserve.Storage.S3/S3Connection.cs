using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Xml.Linq;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Storage;
using Polly;
using Polly.Retry;

namespace CernVM.Preserve.Storage.S3;

/// <summary>A buffered S3 answer.</summary>
internal sealed record S3Response(HttpStatusCode Status, System.Net.Http.Headers.HttpResponseHeaders Headers, byte[] Body)
{
    public bool Ok => (int)Status is >= 200 and < 300;

    /// <summary>The S3 error code of an error body (NoSuchKey, AccessDenied, …), or null.</summary>
    public string? ErrorCode => Body.Length > 0 && Body.Length < 65536 && TryParse(Body) is XElement e && e.Name.LocalName == "Error"
        ? e.Elements().FirstOrDefault(x => x.Name.LocalName == "Code")?.Value
        : null;

    public string? Header(string name) => Headers.TryGetValues(name, out IEnumerable<string>? v) ? v.FirstOrDefault() : null;

    public XElement Xml() => TryParse(Body) ?? throw new InvalidDataException("the answer is not XML");

    private static XElement? TryParse(byte[] body)
    {
        try
        {
            return XDocument.Parse(System.Text.Encoding.UTF8.GetString(body)).Root;
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
    }
}

/// <summary>
/// Signed HTTP requests to one bucket, each attempt bounded in time, transient failures retried with
/// exponential backoff and jitter (Polly), every failure translated into a <see cref="StorageException"/>
/// naming the endpoint, the bucket and the key.
/// </summary>
internal sealed class S3Connection : IDisposable
{
    private static readonly UriCreationOptions RawPath = new() { DangerousDisablePathAndQueryCanonicalization = true };

    private readonly S3Settings _settings;
    private readonly SigV4 _signer;
    private readonly ResiliencePipeline _retry;
    private readonly StreamWriter? _log;
    private readonly Lock _logLock = new();
    private long _requests;
    private long _bytesSent;

    public S3Connection(S3Settings settings)
    {
        _settings = settings;
        _signer = new SigV4(settings.AccessKey, settings.SecretKey, settings.Region);
        var sockets = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(16, settings.Parallel * 2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = settings.AttemptTimeout,
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (settings.CaBundle is string bundle)
        {
            sockets.SslOptions = new System.Net.Security.SslClientAuthenticationOptions { CertificateChainPolicy = TrustOnly(bundle) };
        }

        Http = new HttpClient(new MinioDefectWorkarounds(sockets)) { Timeout = Timeout.InfiniteTimeSpan };
        ResiliencePipelineBuilder builder = new();
        if (settings.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<StorageException>(e => e.IsTransient),
                MaxRetryAttempts = settings.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.RetryDelay,
                MaxDelay = TimeSpan.FromSeconds(10),
            });
        }

        _retry = builder.Build();

        // CVMPRESERVE_S3_LOG=FILE: one line per request (method, key, status, bytes sent, ms), for measurements.
        if (Environment.GetEnvironmentVariable("CVMPRESERVE_S3_LOG") is { Length: > 0 } logPath)
        {
            _log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }
    }

    /// <summary>A chain policy that trusts exactly the certificate authorities of a PEM file (AWS_CA_BUNDLE).</summary>
    private static System.Security.Cryptography.X509Certificates.X509ChainPolicy TrustOnly(string pemFile)
    {
        var roots = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(pemFile);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new PreserveException(FailureKind.Usage, $"AWS_CA_BUNDLE {pemFile}: not a PEM file of certificates ({e.Message}).", e);
        }

        if (roots.Count == 0)
        {
            throw new PreserveException(FailureKind.Usage, $"AWS_CA_BUNDLE {pemFile} holds no certificate.");
        }

        var policy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
        {
            TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
            RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(roots);
        return policy;
    }

    /// <summary>The HTTP client every request goes through, Minio's included (through <see cref="MinioDefectWorkarounds"/>).</summary>
    public HttpClient Http { get; }

    public S3Settings Settings => _settings;

    public long Requests => Interlocked.Read(ref _requests);

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>"endpoint, bucket B, key K" for messages.</summary>
    public string Where(string? fullKey) =>
        fullKey is null ? $"{_settings.Endpoint.GetLeftPart(UriPartial.Authority)} bucket {_settings.Bucket}"
                        : $"{_settings.Endpoint.GetLeftPart(UriPartial.Authority)} bucket {_settings.Bucket} key {fullKey}";

    /// <summary>Runs <paramref name="operation"/> with the retry policy: transient failures are retried.</summary>
    public ValueTask<T> RetryAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken) =>
        _retry.ExecuteAsync(operation, cancellationToken);

    /// <summary>
    /// One attempt of one request. <paramref name="query"/> is built of already-encoded name=value parts.
    /// Network failures and timeouts become transient <see cref="StorageException"/>s; HTTP errors are returned.
    /// </summary>
    public async ValueTask<S3Response> SendAsync(
        HttpMethod method, string? fullKey, string query, ReadOnlyMemory<byte> body, Action<HttpRequestMessage>? headers, CancellationToken cancellationToken)
    {
        string path = "/" + SigV4.Encode(_settings.Bucket, false) + (fullKey is null ? "/" : "/" + SigV4.Encode(fullKey, true));
        var uri = new Uri(_settings.Endpoint.GetLeftPart(UriPartial.Authority) + path + (query.Length > 0 ? "?" + query : ""), in RawPath);
        using var request = new HttpRequestMessage(method, uri);
        string payloadHash;
        if (method == HttpMethod.Put || method == HttpMethod.Post)
        {
            request.Content = new ReadOnlyMemoryContent(body);
            request.Content.Headers.ContentLength = body.Length;
            payloadHash = SigV4.Hex(body.Span);
        }
        else
        {
            payloadHash = SigV4.Hex([]);
        }

        headers?.Invoke(request);
        _signer.Sign(request, payloadHash, DateTimeOffset.UtcNow);
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _bytesSent, body.Length);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(_settings.AttemptTimeout);
        long started = Stopwatch.GetTimestamp();
        try
        {
            using HttpResponseMessage response = await Http.SendAsync(request, HttpCompletionOption.ResponseContentRead, attempt.Token).ConfigureAwait(false);
            byte[] content = await response.Content.ReadAsByteArrayAsync(attempt.Token).ConfigureAwait(false);
            Log(method, fullKey, query, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), body.Length, started);
            return new S3Response(response.StatusCode, response.Headers, content);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            Log(method, fullKey, query, "timeout", body.Length, started);
            throw new StorageException($"{Where(fullKey)}: no answer within {_settings.AttemptTimeout.TotalSeconds:0.#} s.", fullKey, e, transient: true);
        }
        catch (HttpRequestException e) when (e.InnerException is System.Security.Authentication.AuthenticationException)
        {
            // A certificate the client does not trust, or a TLS handshake that cannot succeed: retrying will not help.
            Log(method, fullKey, query, "tlserror", body.Length, started);
            throw new StorageException($"{Where(fullKey)}: the TLS connection failed: {Inner(e)}. For a site's own certificate authority, set AWS_CA_BUNDLE to its PEM file.", fullKey, e, transient: false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException)
        {
            Log(method, fullKey, query, "neterror", body.Length, started);
            throw new StorageException($"{Where(fullKey)}: {Inner(e)}.", fullKey, e, transient: true);
        }
    }

    /// <summary>The exception for an HTTP error answer: transient for 5xx, 429 and timeouts; full for quota.</summary>
    public StorageException Failure(S3Response response, string what, string? fullKey)
    {
        int status = (int)response.Status;
        string? code = response.ErrorCode;
        string detail = $"{what} answered {status} {code ?? response.Status.ToString()}";
        string where = Where(fullKey);
        if (code is "QuotaExceeded" or "EntityTooLarge" || status == 507)
        {
            return new StorageFullException($"{where}: {detail}: the store is full or over its quota.", fullKey, null);
        }

        bool transient = status is >= 500 or 429 || code is "RequestTimeout" or "SlowDown" or "BadDigest" or "InternalError" or "XAmzContentSHA256Mismatch";
        string hint = code switch
        {
            "InvalidAccessKeyId" => " (the access key is not known: check AWS_ACCESS_KEY_ID)",
            "SignatureDoesNotMatch" => " (check AWS_SECRET_ACCESS_KEY and AWS_REGION)",
            "AccessDenied" => " (the credentials may not do this here)",
            "NoSuchBucket" => $" (the bucket {_settings.Bucket} does not exist; 'cvmpreserve init {_settings.Url}' makes it)",
            _ => "",
        };
        return new StorageException($"{where}: {detail}{hint}.", fullKey, null, transient);
    }

    public static string Md5Base64(ReadOnlySpan<byte> data) => Convert.ToBase64String(MD5.HashData(data));

    public void Dispose()
    {
        Http.Dispose();
        _log?.Dispose();
    }

    private void Log(HttpMethod method, string? key, string query, string status, long bytes, long started)
    {
        if (_log is null)
        {
            return;
        }

        double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        lock (_logLock)
        {
            _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{method} {key ?? "/"}{(query.Length > 0 ? "?" + query : "")} {status} {bytes} {ms:0.0}"));
        }
    }

    private static string Inner(Exception e)
    {
        string m = e.Message;
        for (Exception? i = e.InnerException; i is not null; i = i.InnerException)
        {
            m += ": " + i.Message;
        }

        return m;
    }
}
