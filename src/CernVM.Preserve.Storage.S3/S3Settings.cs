using CernVM.Preserve.Core;

namespace CernVM.Preserve.Storage.S3;

/// <summary>
/// Where an S3 archive is and how to reach it: <c>s3://bucket/prefix</c>, the endpoint (TLS on or off by its
/// scheme), the credentials and region of the usual AWS variables, and the client's tuning.
/// </summary>
public sealed record S3Settings
{
    public required Uri Endpoint { get; init; }

    public required string Bucket { get; init; }

    /// <summary>The key prefix of the archive root: empty, or ending in '/'.</summary>
    public required string Prefix { get; init; }

    public required string AccessKey { get; init; }

    public required string SecretKey { get; init; }

    public string Region { get; init; } = "us-east-1";

    /// <summary>Uploads of blobs in flight at once.</summary>
    public int Parallel { get; init; } = 8;

    /// <summary>Objects larger than this are sent as multipart uploads.</summary>
    public int MultipartThreshold { get; init; } = 16 * 1024 * 1024;

    /// <summary>Size of each part of a multipart upload (S3's minimum is 5 MiB).</summary>
    public int PartSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>How long one attempt of one request may take before it counts as a transient failure.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries of a transient failure (connection reset, timeout, 500, 503) before giving up.</summary>
    public int MaxRetries { get; init; } = 6;

    /// <summary>The first retry's delay; later ones grow exponentially, with jitter.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// A PEM file of the certificate authorities to trust for an https endpoint instead of the system's
    /// (<c>AWS_CA_BUNDLE</c>, as the AWS tools read it): a site's own CA, or a test gateway's certificate.
    /// </summary>
    public string? CaBundle { get; init; }

    /// <summary>The archive as a URL: s3://bucket/prefix.</summary>
    public string Url => $"s3://{Bucket}/{Prefix.TrimEnd('/')}".TrimEnd('/');

    /// <summary>
    /// Reads <c>s3://bucket[/prefix]</c> and the environment: the endpoint from <paramref name="endpoint"/>
    /// or <c>AWS_ENDPOINT_URL</c>, credentials from <c>AWS_ACCESS_KEY_ID</c> and <c>AWS_SECRET_ACCESS_KEY</c>,
    /// the region from <c>AWS_REGION</c> (else <c>AWS_DEFAULT_REGION</c>, else us-east-1), the authorities to
    /// trust for TLS from <c>AWS_CA_BUNDLE</c> (else the system's), the upload
    /// parallelism from <paramref name="parallel"/> or <c>CVMPRESERVE_S3_PARALLEL</c>.
    /// </summary>
    /// <exception cref="PreserveException">Usage: a malformed URL, endpoint, or missing credentials, named.</exception>
    public static S3Settings Parse(string url, string? endpoint, int? parallel, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (!url.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            throw new PreserveException(FailureKind.Usage, $"'{url}' is not an S3 archive address: write s3://bucket/prefix.");
        }

        string rest = url[5..];
        int slash = rest.IndexOf('/');
        string bucket = slash < 0 ? rest : rest[..slash];
        string prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (!IsBucketName(bucket))
        {
            throw new PreserveException(FailureKind.Usage,
                $"'{url}': '{bucket}' is not a valid bucket name (3-63 characters from a-z, 0-9, '.', '-', starting and ending with a letter or digit).");
        }

        if (prefix.Split('/').Any(s => s is "" or "." or "..") && prefix.Length > 0)
        {
            throw new PreserveException(FailureKind.Usage, $"'{url}': the prefix '{prefix}' has an empty, '.' or '..' segment.");
        }

        string? ep = string.IsNullOrWhiteSpace(endpoint) ? environment("AWS_ENDPOINT_URL") : endpoint;
        if (string.IsNullOrWhiteSpace(ep))
        {
            throw new PreserveException(FailureKind.Usage, $"{url}: no S3 endpoint; give --s3-endpoint URL or set AWS_ENDPOINT_URL (for example http://127.0.0.1:7480).");
        }

        if (!Uri.TryCreate(ep, UriKind.Absolute, out Uri? uri) || (uri.Scheme != "http" && uri.Scheme != "https") || uri.AbsolutePath.Trim('/').Length > 0)
        {
            throw new PreserveException(FailureKind.Usage, $"'{ep}' is not an S3 endpoint: write http://host:port or https://host:port, with no path.");
        }

        string? ak = environment("AWS_ACCESS_KEY_ID");
        string? sk = environment("AWS_SECRET_ACCESS_KEY");
        if (string.IsNullOrEmpty(ak) || string.IsNullOrEmpty(sk))
        {
            throw new PreserveException(FailureKind.Usage, $"{url}: no credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.");
        }

        int n = parallel ?? (int.TryParse(environment("CVMPRESERVE_S3_PARALLEL"), out int e) ? e : 8);
        if (n is < 1 or > 256)
        {
            throw new PreserveException(FailureKind.Usage, $"--s3-parallel / CVMPRESERVE_S3_PARALLEL must be 1 to 256, not {n}.");
        }

        TimeSpan timeout = TimeSpan.FromSeconds(60);
        if (environment("CVMPRESERVE_S3_TIMEOUT") is { Length: > 0 } t)
        {
            timeout = double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double s) && s > 0
                ? TimeSpan.FromSeconds(s)
                : throw new PreserveException(FailureKind.Usage, $"CVMPRESERVE_S3_TIMEOUT must be a positive number of seconds, not '{t}'.");
        }

        int retries = 6;
        if (environment("CVMPRESERVE_S3_RETRIES") is { Length: > 0 } r && !(int.TryParse(r, out retries) && retries >= 0))
        {
            throw new PreserveException(FailureKind.Usage, $"CVMPRESERVE_S3_RETRIES must be a number 0 or more, not '{r}'.");
        }

        string? caBundle = environment("AWS_CA_BUNDLE") is { Length: > 0 } ca ? ca : null;
        if (caBundle is not null && !File.Exists(caBundle))
        {
            throw new PreserveException(FailureKind.Usage, $"AWS_CA_BUNDLE names {caBundle}, which does not exist.");
        }

        string region = environment("AWS_REGION") is { Length: > 0 } reg ? reg
            : environment("AWS_DEFAULT_REGION") is { Length: > 0 } dreg ? dreg : "us-east-1";
        return new S3Settings
        {
            Endpoint = uri,
            Bucket = bucket,
            Prefix = prefix.Length == 0 ? "" : prefix + "/",
            AccessKey = ak,
            SecretKey = sk,
            Region = region,
            Parallel = n,
            AttemptTimeout = timeout,
            MaxRetries = retries,
            CaBundle = caBundle,
        };
    }

    private static bool IsBucketName(string b) =>
        b.Length is >= 3 and <= 63 && b.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-') &&
        char.IsAsciiLetterOrDigit(b[0]) && char.IsAsciiLetterOrDigit(b[^1]);
}
