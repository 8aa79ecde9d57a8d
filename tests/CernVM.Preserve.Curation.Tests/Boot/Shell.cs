using System.Diagnostics;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Boot;

/// <summary>Runs the real tools the boot tests build their inputs with (cpio, gzip, xz, zstd, lz4, bzip2, mke2fs).</summary>
internal static class Shell
{
    public static string Run(string script, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        psi.ArgumentList.Add("-euo");
        psi.ArgumentList.Add("pipefail");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(3)), $"timed out: {script}");
        Assert.True(p.ExitCode == 0, $"'{script}' failed with {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>Fails (never skips) when a tool is missing, saying how to get it: tools/install-test-deps.sh installs them all.</summary>
    public static void Require(params string[] tools)
    {
        foreach (string tool in tools)
        {
            Assert.True(Run($"command -v {tool} || true").Trim().Length > 0, $"'{tool}' is missing: run tools/install-test-deps.sh (apt-get install {tool}).");
        }
    }

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
}

/// <summary>
/// A real Debian kernel (linux-image-*-cloud-amd64, unpacked, not installed), fetched once into the test
/// cache by tools/fetch-test-kernel.sh, which tools/install-test-deps.sh runs; never this machine's /boot.
/// </summary>
internal static class DebianKernel
{
    private static readonly Lazy<string> Image = new(() => Shell.Run($"'{Shell.RepoRoot}/tools/fetch-test-kernel.sh'").Trim(), LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Path => Image.Value;
}
