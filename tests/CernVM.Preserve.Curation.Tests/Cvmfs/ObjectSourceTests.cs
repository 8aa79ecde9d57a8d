using System.Net;
using System.Net.Sockets;
using CernVM.Preserve.Curation.Cvmfs;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Cvmfs;

public class ObjectSourceTests
{
    [Fact]
    public void Constructor_MissingDirectory_ThrowsDirectoryNotFound()
    {
        Assert.Throws<DirectoryNotFoundException>(() => new FileSystemCvmfsSource(Path.Combine(Path.GetTempPath(), "cvmfs-" + Guid.NewGuid().ToString("N"))));
    }

    [Theory]
    [InlineData("../.cvmfspublished")]
    [InlineData("data/ab/cdef")]
    [InlineData("..")]
    public async Task TryFetchFileAsync_PathOutsideRoot_ThrowsArgumentException(string name)
    {
        var source = new FileSystemCvmfsSource(Path.GetTempPath());

        await Assert.ThrowsAsync<ArgumentException>(() => source.TryFetchFileAsync(name, CancellationToken.None));
    }

    [Fact]
    public async Task TryFetchFileAsync_ServerNeverAnswers_ThrowsSourceExceptionAfterTimeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        Task<TcpClient> accepted = silent.AcceptTcpClientAsync();
        using var source = new HttpCvmfsSource(new Uri($"http://127.0.0.1:{port}/cvmfs/repo")) { RequestTimeout = TimeSpan.FromMilliseconds(300) };

        CvmfsSourceException ex = await Assert.ThrowsAsync<CvmfsSourceException>(() => source.TryFetchFileAsync(".cvmfspublished", CancellationToken.None));

        Assert.Contains("timed out", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}/cvmfs/repo/.cvmfspublished", ex.Message, StringComparison.Ordinal);
        (await accepted).Dispose();
        silent.Stop();
    }

    [Fact]
    public void Constructor_NonHttpUrl_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => new HttpCvmfsSource(new Uri("ftp://example.org/cvmfs/x")));
    }
}
