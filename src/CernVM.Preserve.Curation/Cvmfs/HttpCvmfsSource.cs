using System.Net;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// A repository served over HTTP(S), e.g. <c>http://cvmfs-stratum-one.cern.ch/cvmfs/&lt;fqrn&gt;/</c>.
/// Each request is bounded by <see cref="RequestTimeout"/> and responses by <see cref="MaxResponseBytes"/>.
/// 404 means "missing"; every other failure is a <see cref="CvmfsSourceException"/>.
/// </summary>
public sealed class HttpCvmfsSource : CvmfsObjectSource, IDisposable
{
    private readonly HttpClient _client;
    private readonly bool _ownsClient;
    private readonly Uri _baseUri;

    /// <summary>Reads the repository at <paramref name="repositoryUrl"/> with its own <see cref="HttpClient"/>.</summary>
    public HttpCvmfsSource(Uri repositoryUrl)
        : this(repositoryUrl, new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, ownsClient: true)
    {
    }

    /// <summary>Reads the repository at <paramref name="repositoryUrl"/> with <paramref name="client"/>.</summary>
    public HttpCvmfsSource(Uri repositoryUrl, HttpClient client, bool ownsClient = false)
    {
        ArgumentNullException.ThrowIfNull(repositoryUrl);
        ArgumentNullException.ThrowIfNull(client);
        if (!repositoryUrl.IsAbsoluteUri || (repositoryUrl.Scheme != Uri.UriSchemeHttp && repositoryUrl.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"'{repositoryUrl}' is not an absolute http(s) URL.", nameof(repositoryUrl));
        }

        // A trailing slash makes relative object paths resolve below the repository, not beside it.
        string text = repositoryUrl.AbsoluteUri;
        _baseUri = new Uri(text.EndsWith('/') ? text : text + "/");
        _client = client;
        _ownsClient = ownsClient;
    }

    /// <summary>Time allowed for one request, headers and body. Default 60 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest accepted response body. Default 1 GiB.</summary>
    public long MaxResponseBytes { get; init; } = 1L << 30;

    /// <inheritdoc/>
    public override string Location => _baseUri.AbsoluteUri;

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    /// <inheritdoc/>
    protected override async Task<byte[]?> TryReadAsync(string relativePath, CancellationToken cancellationToken)
    {
        var uri = new Uri(_baseUri, relativePath);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            using HttpResponseMessage response = await _client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new CvmfsSourceException($"GET {uri} failed with HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            if (response.Content.Headers.ContentLength is long length && length > MaxResponseBytes)
            {
                throw new CvmfsSourceException($"GET {uri}: response of {length} bytes exceeds the limit of {MaxResponseBytes}.");
            }

            await using Stream body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            byte[] chunk = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(chunk, timeout.Token).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxResponseBytes)
                {
                    throw new CvmfsSourceException($"GET {uri}: response exceeds the limit of {MaxResponseBytes} bytes.");
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CvmfsSourceException($"GET {uri} timed out after {RequestTimeout.TotalSeconds:0.#} s.", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new CvmfsSourceException($"GET {uri} failed: {ex.Message}", ex);
        }
    }
}
