using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace CernVM.Preserve.Storage.S3;

/// <summary>
/// AWS Signature Version 4 for the requests the Minio SDK 7.0.0 cannot express (conditional and
/// object-locked PUTs with Content-MD5, multipart parts, version listings; docs/ARCHITECTURE.md §S3).
/// The payload's SHA-256 is signed (x-amz-content-sha256), so the server checks the body against it.
/// </summary>
internal sealed class SigV4(string accessKey, string secretKey, string region)
{
    private const string Algorithm = "AWS4-HMAC-SHA256";

    public static string Hex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Signs <paramref name="request"/> in place: adds x-amz-date, x-amz-content-sha256 and Authorization.</summary>
    public void Sign(HttpRequestMessage request, string payloadSha256, DateTimeOffset now)
    {
        Uri uri = request.RequestUri!;
        string amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string day = amzDate[..8];
        request.Headers.Remove("x-amz-date");
        request.Headers.Remove("x-amz-content-sha256");
        request.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        request.Headers.TryAddWithoutValidation("x-amz-content-sha256", payloadSha256);
        string host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";

        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["host"] = host };
        foreach (KeyValuePair<string, IEnumerable<string>> h in request.Headers)
        {
            string name = h.Key.ToLowerInvariant();
            if (name.StartsWith("x-amz-", StringComparison.Ordinal) || name is "if-none-match" or "if-match")
            {
                headers[name] = string.Join(",", h.Value).Trim();
            }
        }

        if (request.Content is not null)
        {
            foreach (KeyValuePair<string, IEnumerable<string>> h in request.Content.Headers)
            {
                string name = h.Key.ToLowerInvariant();
                if (name is "content-md5" or "content-type")
                {
                    headers[name] = string.Join(",", h.Value).Trim();
                }
            }
        }

        string signedHeaders = string.Join(";", headers.Keys);
        string canonical = string.Join('\n',
            request.Method.Method,
            uri.AbsolutePath,
            CanonicalQuery(uri.Query),
            string.Concat(headers.Select(h => $"{h.Key}:{h.Value}\n")),
            signedHeaders,
            payloadSha256);
        string scope = $"{day}/{region}/s3/aws4_request";
        string toSign = $"{Algorithm}\n{amzDate}\n{scope}\n{Hex(Encoding.UTF8.GetBytes(canonical))}";
        byte[] key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), day);
        key = Hmac(key, region);
        key = Hmac(key, "s3");
        key = Hmac(key, "aws4_request");
        string signature = Convert.ToHexStringLower(Hmac(key, toSign));
        request.Headers.Authorization = new AuthenticationHeaderValue(
            Algorithm, $"Credential={accessKey}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
    }

    /// <summary>Percent-encodes as SigV4 wants: everything but A-Z a-z 0-9 - _ . ~ (and '/' when kept).</summary>
    public static string Encode(string text, bool keepSlash)
    {
        var sb = new StringBuilder(text.Length * 2);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            char c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' || (keepSlash && c == '/'))
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    private static string CanonicalQuery(string query)
    {
        if (query.Length <= 1)
        {
            return "";
        }

        // The query was built from already-encoded parts (S3Connection.BuildUri); sort by name, then value.
        return string.Join('&', query[1..].Split('&')
            .Select(p => p.Contains('=') ? p : p + "=")
            .OrderBy(p => p[..p.IndexOf('=')], StringComparer.Ordinal)
            .ThenBy(p => p, StringComparer.Ordinal));
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
}
