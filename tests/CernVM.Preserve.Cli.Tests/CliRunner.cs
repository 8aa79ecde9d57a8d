using System.Diagnostics;
using System.Text;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>The outcome of one run of the real command-line tool.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the built cvmpreserve as a child process, exactly as a user would (the tests check exit codes and
/// messages, so they must go through the real entry point). Every run is bounded in time.
/// </summary>
public static class CliRunner
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "cvmpreserve.dll");

    /// <summary>
    /// The published tool (native code, as shipped) when CVMPRESERVE_CLI names it — tools/test.sh publishes
    /// it and sets this, so every CLI test runs what users run — else the build's cvmpreserve.dll under dotnet.
    /// </summary>
    public static string? Published { get; } = Environment.GetEnvironmentVariable("CVMPRESERVE_CLI") is { Length: > 0 } p
        ? File.Exists(p) ? Path.GetFullPath(p) : throw new InvalidOperationException($"CVMPRESERVE_CLI={p}: no such file (publish the tool first)")
        : null;

    /// <summary>The command that starts the tool, quoted for sh.</summary>
    public static string ShellCommand => Published is string b ? $"'{b}'" : $"'{DotnetPath}' '{Dll}'";

    private static string DotnetPath => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : Sh("command -v dotnet").Trim();

    /// <summary>The repository's root: the first directory above the test binaries holding the solution.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        string? d = AppContext.BaseDirectory;
        while (d is not null && !File.Exists(Path.Combine(d, "CernVM.Preserve.sln")))
        {
            d = Path.GetDirectoryName(d);
        }

        return d ?? throw new InvalidOperationException("CernVM.Preserve.sln not found above " + AppContext.BaseDirectory);
    }

    public static CliResult Run(params string[] args) => Run(TimeSpan.FromMinutes(3), null, args);

    public static CliResult Run(TimeSpan timeout, IDictionary<string, string>? env, params string[] args)
    {
        using Process p = Start(env, args);
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"cvmpreserve {string.Join(' ', args)} did not finish within {timeout}.");
        }

        p.WaitForExit();
        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Starts the tool to signal it. A shell that runs its jobs without job control (`cmd &amp;` in a script, nohup)
    /// starts them with SIGINT ignored, and a program keeps an ignored SIGINT, as cvmpreserve rightly does; so
    /// the tool is started through env(1) with SIGINT and SIGTERM set back to their default, and the tests'
    /// Ctrl-C reaches it however the test run itself was started. env execs the tool (or dotnet): the pid is the tool's.
    /// </summary>
    public static Process Start(IDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add("--default-signal=INT,TERM");
        if (Published is string binary)
        {
            psi.ArgumentList.Add(binary);
        }
        else
        {
            psi.ArgumentList.Add("dotnet");
            psi.ArgumentList.Add(Dll);
        }

        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("CVMPRESERVE_ARCHIVE");
        if (env is not null)
        {
            foreach ((string k, string v) in env)
            {
                psi.Environment[k] = v;
            }
        }

        return Process.Start(psi) ?? throw new InvalidOperationException("could not start cvmpreserve through /usr/bin/env");
    }

    /// <summary>Runs a shell command (coreutils and friends) and returns its stdout; fails the test on error.</summary>
    public static string Sh(string script)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        using Process p = Process.Start(psi)!;
        string o = p.StandardOutput.ReadToEnd();
        string e = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"sh -c '{script}' failed with {p.ExitCode}: {e}");
        }

        return o;
    }
}

/// <summary>A temporary directory removed at the end of a test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "cvmp-cli-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Path { get; }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try
        {
            CliRunner.Sh($"chmod -R u+rwx '{Path}' 2>/dev/null; rm -rf '{Path}'");
        }
        catch (InvalidOperationException)
        {
            // Best effort: a temp directory.
        }
    }
}
