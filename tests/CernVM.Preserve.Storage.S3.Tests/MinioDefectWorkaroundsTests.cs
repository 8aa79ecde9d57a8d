using System.Net;
using System.Text;
using Minio;
using Minio.DataModel;
using Minio.DataModel.Args;
using Xunit;

namespace CernVM.Preserve.Storage.S3.Tests;

/// <summary>The workarounds of the Minio SDK 7.0.0 defects (MinioDefectWorkarounds), with the SDK itself.</summary>
[Collection(RgwCollection.Name)]
public sealed class MinioDefectWorkaroundsTests(RgwCluster rgw)
{
    [RgwFact]
    public async Task RangedGet_ThroughTheHandler_GivesTheRangeInsteadOfPartialContentException()
    {
        string bucket = RgwCluster.NewBucket("range");
        S3Settings settings = rgw.Settings(bucket);
        await S3ObjectStore.PrepareBucketAsync(settings, null, default);
        await using (S3ObjectStore store = await S3ObjectStore.OpenAsync(settings, default))
        {
            await store.PutIfAbsentAsync("journal/2026/x.json", Encoding.ASCII.GetBytes("0123456789abcdefghij"), default);
        }

        using var connection = new S3Connection(settings);
        IMinioClient minio = S3ObjectStore.CreateMinio(connection);
        var received = new MemoryStream();
        await minio.GetObjectAsync(new GetObjectArgs().WithBucket(bucket).WithObject("archive/journal/2026/x.json")
            .WithOffsetAndLength(10, 5).WithCallbackStream(s => s.CopyTo(received)), default);
        Assert.Equal("abcde", Encoding.ASCII.GetString(received.ToArray()));

        // Without the handler the SDK 7.0.0 fails on the same request (minio/minio-dotnet#1342): when this
        // assertion fails, the pinned SDK has the fix and the handler's 206 rewrite can go.
        Uri ep = new(rgw.Endpoint);
        IMinioClient plain = new MinioClient().WithEndpoint(ep.Host, ep.Port).WithSSL(false)
            .WithCredentials(RgwCluster.AccessKey, RgwCluster.SecretKey).WithRegion("us-east-1").Build();
        Exception e = await Assert.ThrowsAnyAsync<Exception>(() => plain.GetObjectAsync(new GetObjectArgs().WithBucket(bucket)
            .WithObject("archive/journal/2026/x.json").WithOffsetAndLength(10, 5).WithCallbackStream(s => s.CopyTo(Stream.Null)), default));
        Assert.Contains("PartialContent", e.GetType().Name + e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task XmlInTheWrongNamespace_IsRewrittenSoTheSdkSeesTheListing()
    {
        // What s3rver 3.7 answers to a listing; Minio 7.0.0's XmlSerializer drops every element of it.
        const string listing = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://doc.s3.amazonaws.com/2006-03-01/\">" +
                               "<Name>b</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>" +
                               "<Contents><Key>a/small.txt</Key><LastModified>2026-11-25T08:00:00.000Z</LastModified><ETag>\"x\"</ETag><Size>27</Size><StorageClass>STANDARD</StorageClass></Contents>" +
                               "</ListBucketResult>";
        using var http = new HttpClient(new MinioDefectWorkarounds(new Canned(HttpStatusCode.OK, listing, "application/xml")));
        HttpResponseMessage r = await http.GetAsync("http://127.0.0.1:1/b?list-type=2");
        string body = await r.Content.ReadAsStringAsync();
        Assert.Contains("xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("doc.s3.amazonaws.com", body, StringComparison.Ordinal);
        Assert.Equal("application/xml", r.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Encoding.UTF8.GetByteCount(body), r.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task PartialContent_IsAnsweredAs200WithTheSameBody()
    {
        using var http = new HttpClient(new MinioDefectWorkarounds(new Canned(HttpStatusCode.PartialContent, "abcde", "application/octet-stream")));
        HttpResponseMessage r = await http.GetAsync("http://127.0.0.1:1/b/k");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("abcde", await r.Content.ReadAsStringAsync());
    }

    /// <summary>A fixed HTTP answer, to show what the handler does to one (the real servers are tested above).</summary>
    private sealed class Canned(HttpStatusCode status, string body, string type) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, type), RequestMessage = request });
    }
}
