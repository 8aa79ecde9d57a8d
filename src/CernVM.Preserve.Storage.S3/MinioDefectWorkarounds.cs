using System.Net;
using System.Text;

namespace CernVM.Preserve.Storage.S3;

/// <summary>
/// The one place where the defects of the Minio SDK 7.0.0 are worked around, on the HTTP responses it
/// receives (every request of <see cref="S3ObjectStore"/>, Minio's and the store's own, goes through it):
/// <list type="number">
/// <item>Wrong XML namespace. Some servers (s3rver 3.7) answer listings with
/// <c>xmlns="http://doc.s3.amazonaws.com/2006-03-01/"</c> instead of <c>http://s3.amazonaws.com/doc/2006-03-01/</c>;
/// the SDK's XmlSerializer then silently drops every element and a listing comes back empty, with no
/// error. XML bodies are rewritten to the right namespace.</item>
/// <item>HTTP 206. A ranged GET answers 206 Partial Content, which the SDK 7.0.0 turns into a
/// PartialContentException (minio/minio-dotnet#1342, fixed after 7.0.0). 206 is rewritten to 200: the body
/// is exactly the range asked for.</item>
/// </list>
/// Remove this handler when the pinned SDK has both fixes (docs/ARCHITECTURE.md §S3).
/// </summary>
internal sealed class MinioDefectWorkarounds(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private const string WrongNamespace = "http://doc.s3.amazonaws.com/2006-03-01/";
    private const string RightNamespace = "http://s3.amazonaws.com/doc/2006-03-01/";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.PartialContent)
        {
            response.StatusCode = HttpStatusCode.OK;
        }

        if (response.Content.Headers.ContentType?.MediaType?.Contains("xml", StringComparison.OrdinalIgnoreCase) == true)
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (body.Contains(WrongNamespace, StringComparison.Ordinal))
            {
                var fixedContent = new StringContent(body.Replace(WrongNamespace, RightNamespace, StringComparison.Ordinal), Encoding.UTF8);
                foreach (KeyValuePair<string, IEnumerable<string>> h in response.Content.Headers)
                {
                    if (!h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        fixedContent.Headers.Remove(h.Key);
                        fixedContent.Headers.TryAddWithoutValidation(h.Key, h.Value);
                    }
                }

                response.Content = fixedContent;
            }
        }

        return response;
    }
}
