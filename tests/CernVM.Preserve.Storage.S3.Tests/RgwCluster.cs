using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CernVM.Preserve.Cli.Tests;
using CernVM.Preserve.Storage.S3;
using Xunit;

namespace CernVM.Preserve.Storage.S3.Tests;

/// <summary>
/// One real Ceph RADOS gateway (monitor, memstore OSD, radosgw; tools/ceph-rgw.sh) for the whole test run,
/// on free loopback ports, stopped by its pids when the tests end. In CI (CI=true) a missing radosgw fails
/// every test that needs it; elsewhere those tests are skipped with the reason (<see cref="RgwFactAttribute"/>).
/// </summary>
public sealed class RgwCluster : IAsyncLifetime
{
    public const string AccessKey = "cvmpreserve";
    public const string SecretKey = "cvmpreserve-secret";

    private static int _buckets;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("cvmp-rgw-").FullName;

    public string Endpoint { get; private set; } = "";

    /// <summary>The same gateway over TLS, with a self-signed certificate for 127.0.0.1 (<see cref="CaFile"/>).</summary>
    public string TlsEndpoint { get; private set; } = "";

    /// <summary>The PEM certificate of <see cref="TlsEndpoint"/>, for AWS_CA_BUNDLE.</summary>
    public string CaFile => Path.Combine(Directory, "cluster", "tls.crt");

    public static bool Installed => File.Exists("/usr/bin/radosgw") && File.Exists("/usr/bin/ceph-mon") && File.Exists("/usr/bin/ceph-osd");

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The environment of a cvmpreserve or aws run against this gateway.</summary>
    public Dictionary<string, string> Env => new()
    {
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
        ["AWS_REGION"] = "us-east-1",
        ["AWS_DEFAULT_REGION"] = "us-east-1",
        ["AWS_ENDPOINT_URL"] = Endpoint,
    };

    public async Task InitializeAsync()
    {
        if (!Installed)
        {
            if (InCi)
            {
                throw new InvalidOperationException("radosgw, ceph-mon or ceph-osd is not installed, and CI=true: the S3 tests must run. tools/install-test-deps.sh installs them.");
            }

            return;
        }

        // A start-up can lose a race that is not ours (a port taken between FreePort and the daemon's bind by
        // another test process, a monitor slow to settle): one more try on fresh ports, both errors kept.
        string? firstError = null;
        for (int attempt = 1; attempt <= 2; attempt++)
        {
            string? error = await TryStartAsync();
            if (error is null)
            {
                return;
            }

            if (firstError is not null)
            {
                throw new InvalidOperationException($"{firstError}\nand again on fresh ports: {error}");
            }

            firstError = error;
        }
    }

    /// <summary>Starts the cluster on fresh ports; null when it answers, else what went wrong (nothing left running).</summary>
    private async Task<string?> TryStartAsync()
    {
        int port = FreePort();
        int monPort = FreePort();
        int tlsPort = FreePort();
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(CliRunner.RepoRoot, "tools", "ceph-rgw.sh"));
        psi.ArgumentList.Add("start");
        psi.ArgumentList.Add(Path.Combine(Directory, "cluster"));
        psi.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        psi.ArgumentList.Add(monPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        psi.Environment["CEPH_RGW_ACCESS_KEY"] = AccessKey;
        psi.Environment["CEPH_RGW_SECRET_KEY"] = SecretKey;
        psi.Environment["CEPH_RGW_TIMEOUT"] = "60";
        psi.Environment["CEPH_RGW_TLS_PORT"] = tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await p.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await StopAsync();
            return "tools/ceph-rgw.sh start did not finish within 90 s.";
        }

        if (p.ExitCode != 0)
        {
            await StopAsync();
            return $"tools/ceph-rgw.sh start failed ({p.ExitCode}): {await stderr}";
        }

        Endpoint = (await stdout).Trim();
        TlsEndpoint = $"https://127.0.0.1:{tlsPort}";
        return null;
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory.
        }
    }

    /// <summary>Throws unless the gateway runs (the fixture started it); outside CI a missing radosgw skips instead.</summary>
    public void Require()
    {
        if (Endpoint.Length == 0)
        {
            throw new InvalidOperationException("the RADOS gateway is not running (see the fixture's start-up error).");
        }
    }

    /// <summary>A new bucket name, unique in this run.</summary>
    public static string NewBucket(string what) => $"t{Environment.ProcessId}-{Interlocked.Increment(ref _buckets)}-{what}";

    /// <summary>Settings for s3://bucket/prefix on this gateway.</summary>
    public S3Settings Settings(string bucket, string prefix = "archive", Action<Dictionary<string, string>>? env = null)
    {
        Require();
        Dictionary<string, string> e = Env;
        env?.Invoke(e);
        return S3Settings.Parse($"s3://{bucket}/{prefix}", null, null, k => e.TryGetValue(k, out string? v) ? v : null);
    }

    /// <summary>Runs /usr/bin/aws (awscli 2; the `aws` on PATH may be another one) against this gateway.</summary>
    public (int ExitCode, string Stdout, string Stderr) Aws(params string[] args)
    {
        Require();
        var psi = new ProcessStartInfo("/usr/bin/aws") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("--endpoint-url");
        psi.ArgumentList.Add(Endpoint);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach ((string k, string v) in Env)
        {
            psi.Environment[k] = v;
        }

        psi.Environment.Remove("AWS_ENDPOINT_URL");
        using Process p = Process.Start(psi)!;
        Task<string> o = p.StandardOutput.ReadToEndAsync();
        Task<string> err = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("aws " + string.Join(' ', args) + " did not finish within 120 s.");
        }

        return (p.ExitCode, o.Result, err.Result);
    }

    /// <summary>Runs radosgw-admin on this cluster (quotas, users); fails the test on error.</summary>
    public string Admin(params string[] args)
    {
        Require();
        var psi = new ProcessStartInfo("radosgw-admin") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Path.Combine(Directory, "cluster", "ceph.conf"));
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        Task<string> o = p.StandardOutput.ReadToEndAsync();
        Task<string> err = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("radosgw-admin " + string.Join(' ', args) + " did not finish within 60 s.");
        }

        return p.ExitCode == 0 ? o.Result : throw new InvalidOperationException($"radosgw-admin {string.Join(' ', args)} failed ({p.ExitCode}): {err.Result}");
    }

    private async Task StopAsync()
    {
        string dir = Path.Combine(Directory, "cluster");
        if (!File.Exists(Path.Combine(dir, "pids")))
        {
            return;
        }

        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(CliRunner.RepoRoot, "tools", "ceph-rgw.sh"));
        psi.ArgumentList.Add("stop");
        psi.ArgumentList.Add(dir);
        using Process p = Process.Start(psi)!;
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(bound.Token);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class RgwCollection : ICollectionFixture<RgwCluster>
{
    public const string Name = "rgw";
}

/// <summary>A fact that needs the RADOS gateway: skipped with its reason outside CI when radosgw is not installed.</summary>
public sealed class RgwFactAttribute : FactAttribute
{
    public RgwFactAttribute()
    {
        if (!RgwCluster.Installed && !RgwCluster.InCi)
        {
            Skip = "radosgw, ceph-mon and ceph-osd are not installed (tools/install-test-deps.sh installs them; in CI these tests run)";
        }
    }
}

/// <summary>A theory that needs the RADOS gateway (see <see cref="RgwFactAttribute"/>).</summary>
public sealed class RgwTheoryAttribute : TheoryAttribute
{
    public RgwTheoryAttribute()
    {
        if (!RgwCluster.Installed && !RgwCluster.InCi)
        {
            Skip = "radosgw, ceph-mon and ceph-osd are not installed (tools/install-test-deps.sh installs them; in CI these tests run)";
        }
    }
}
