using System.Net;
using System.Net.Sockets;

namespace CernVM.Preserve.Curation.Tests.Cvmfs;

/// <summary>
/// Serves a directory over HTTP on 127.0.0.1 and a free port, as Apache serves a stratum: GET of a
/// relative path returns the file (symbolic links followed) or 404. Stopped on dispose.
/// </summary>
internal sealed class LoopbackRepositoryServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _root;
    private readonly Task _loop;
    private int _requests;

    public LoopbackRepositoryServer(string root)
    {
        _root = Path.GetFullPath(root);
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }

        BaseUrl = new Uri($"http://127.0.0.1:{Port}/cvmfs/repo/");
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public Uri BaseUrl { get; }

    public int RequestCount => Volatile.Read(ref _requests);

    public void Dispose()
    {
        try
        {
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // The managed listener looks its endpoint up again while closing, and fails when another process has
            // meanwhile taken the port: the server is stopped either way.
        }

        _loop.Wait(TimeSpan.FromSeconds(5));
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            Interlocked.Increment(ref _requests);
            using HttpListenerResponse response = context.Response;
            string relative = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath);
            const string prefix = "/cvmfs/repo/";
            string? path = relative.StartsWith(prefix, StringComparison.Ordinal) && !relative.Contains("..", StringComparison.Ordinal)
                ? Path.Combine(_root, relative[prefix.Length..])
                : null;
            if (path is null || !File.Exists(path))
            {
                response.StatusCode = 404;
                continue;
            }

            byte[] body = await File.ReadAllBytesAsync(path);
            response.ContentLength64 = body.Length;
            await response.OutputStream.WriteAsync(body);
        }
    }
}
