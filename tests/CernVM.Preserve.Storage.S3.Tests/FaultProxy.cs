using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace CernVM.Preserve.Storage.S3.Tests;

/// <summary>
/// A loopback TCP proxy between a client and the gateway that injects the faults of a real network: it drops
/// connections (a reset in the middle of a request or an answer), stalls them (no byte moves until the
/// client gives up), corrupts one byte of what the client sends, and limits the bandwidth. Test-only.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Lock _lock = new();
    private readonly Random _random = new(1234);
    private readonly Task _accepting;
    private long _connections;
    private long _bytesUp;
    private long _corruptAt = -1;
    private volatile bool _refuseAll;

    public FaultProxy(Uri upstream)
    {
        _upstream = new IPEndPoint(IPAddress.Parse(upstream.Host), upstream.Port);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Every Nth new connection is reset after a random number of bytes (0: never).</summary>
    public int DropEvery { get; set; }

    /// <summary>Every Nth new connection stops forwarding after a random number of bytes and hangs (0: never).</summary>
    public int StallEvery { get; set; }

    /// <summary>Resets every open connection and every new one (the gateway looks unreachable).</summary>
    public bool RefuseAll
    {
        get => _refuseAll;
        set
        {
            _refuseAll = value;
            if (value)
            {
                lock (_lock)
                {
                    foreach (TcpClient c in _open)
                    {
                        Reset(c);
                    }

                    _open.Clear();
                }
            }
        }
    }

    /// <summary>Bytes per second each direction of each connection may move (0: unlimited).</summary>
    public int BytesPerSecond { get; set; }

    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Drops and stalls that actually happened (a connection that carried less than its fault offset has none).</summary>
    public long Faults => Interlocked.Read(ref _faults);

    private long _faults;

    /// <summary>Bytes the clients sent through the proxy.</summary>
    public long BytesUp => Interlocked.Read(ref _bytesUp);

    /// <summary>Flips one byte at this offset of the client-to-server stream of the next connection that reaches it.</summary>
    public void CorruptOnceAt(long offsetInConnection) => Interlocked.Exchange(ref _corruptAt, offsetInConnection);

    public bool Corrupted { get; private set; }

    /// <summary>
    /// Once: the next request whose start contains this text (e.g. "PUT /bucket/key") reaches the server,
    /// but its connection is reset before the answer reaches the client, as when a network fails at the
    /// worst moment.
    /// </summary>
    public string? LoseAnswerTo { get; set; }

    public bool AnswerLost { get; private set; }

    private int _slowDown;

    /// <summary>The next N new connections get their request answered by the proxy itself: 503 SlowDown, as an overloaded S3 answers.</summary>
    public int SlowDownNext
    {
        get => Volatile.Read(ref _slowDown);
        set => Volatile.Write(ref _slowDown, value);
    }

    private bool TakeSlowDown()
    {
        while (true)
        {
            int n = Volatile.Read(ref _slowDown);
            if (n <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _slowDown, n - 1, n) == n)
            {
                return true;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_lock)
        {
            foreach (TcpClient c in _open)
            {
                c.Dispose();
            }
        }

        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            long n = Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(client, n));
        }
    }

    private async Task ServeAsync(TcpClient client, long n)
    {
        using var upstream = new TcpClient();
        lock (_lock)
        {
            _open.Add(client);
            _open.Add(upstream);
        }

        try
        {
            if (RefuseAll)
            {
                return;
            }

            if (TakeSlowDown())
            {
                await AnswerSlowDownAsync(client.GetStream());
                client.Client.Shutdown(SocketShutdown.Send);
                await Task.Delay(100);
                return;
            }

            await upstream.ConnectAsync(_upstream, _stop.Token);
            long faultAfter;
            lock (_random)
            {
                faultAfter = _random.Next(0, 256 * 1024);
            }

            bool drop = DropEvery > 0 && n % DropEvery == 0;
            bool stall = !drop && StallEvery > 0 && n % StallEvery == 0;
            using var pair = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var armed = new StrongBox<bool>();
            Task up = PumpAsync(client.GetStream(), upstream.GetStream(), true, drop || stall ? faultAfter : long.MaxValue, stall, armed, pair.Token);
            Task down = PumpAsync(upstream.GetStream(), client.GetStream(), false, drop || stall ? faultAfter : long.MaxValue, stall, armed, pair.Token);
            await Task.WhenAny(up, down);
            await pair.CancelAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A dropped connection is what this proxy is for.
        }
        finally
        {
            Reset(client);
        }
    }

    private async Task AnswerSlowDownAsync(NetworkStream stream)
    {
        // Read the request head (a GET or HEAD has no body), then answer and close.
        byte[] buffer = new byte[16384];
        int have = 0;
        while (have < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(have), _stop.Token);
            if (read == 0)
            {
                return;
            }

            have += read;
            if (System.Text.Encoding.ASCII.GetString(buffer, 0, have).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                break;
            }
        }

        const string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
        string answer = $"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(answer), _stop.Token);
    }

    /// <summary>Closes with a reset (RST), as a dropped connection looks to the client.</summary>
    private static void Reset(TcpClient c)
    {
        try
        {
            if (c.Client is { } socket)
            {
                socket.LingerState = new LingerOption(true, 0);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            // Already closed.
        }

        c.Dispose();
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool isUp, long faultAfter, bool stall, StrongBox<bool> armed, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[16384];
        long moved = 0;
        try
        {
            while (true)
            {
                int read = await from.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                if (moved + read > faultAfter)
                {
                    Interlocked.Increment(ref _faults);
                    if (stall)
                    {
                        await Task.Delay(Timeout.Infinite, cancellationToken);
                    }

                    return; // drop: the caller resets both ends
                }

                if (isUp && LoseAnswerTo is { } marker &&
                    System.Text.Encoding.ASCII.GetString(buffer, 0, Math.Min(read, 512)).Contains(marker, StringComparison.Ordinal))
                {
                    LoseAnswerTo = null;
                    armed.Value = true;
                }

                if (!isUp && armed.Value)
                {
                    AnswerLost = true;
                    return; // the request was served; its answer is lost with the connection
                }

                if (isUp)
                {
                    long at = Interlocked.Read(ref _corruptAt);
                    if (at >= moved && at < moved + read && Interlocked.CompareExchange(ref _corruptAt, -1, at) == at)
                    {
                        buffer[at - moved] ^= 0x5a;
                        Corrupted = true;
                    }

                    Interlocked.Add(ref _bytesUp, read);
                }

                moved += read;
                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                if (BytesPerSecond > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)read / BytesPerSecond), cancellationToken);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The other side went away.
        }
    }
}
