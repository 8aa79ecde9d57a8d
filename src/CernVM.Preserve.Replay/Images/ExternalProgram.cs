using System.Diagnostics;
using CernVM.Preserve.Core;

namespace CernVM.Preserve.Replay.Images;

/// <summary>Runs a standard tool (mke2fs, mksquashfs, qemu-img) to completion and turns its failure into a message naming it.</summary>
public static class ExternalProgram
{
    /// <summary>Finds a program on PATH (and in /sbin, /usr/sbin, where Debian keeps mke2fs), or null.</summary>
    public static string? Find(string name)
    {
        IEnumerable<string> dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"]);
        return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    /// <summary>Runs <paramref name="name"/> with <paramref name="args"/>; returns its stdout.</summary>
    /// <exception cref="PreserveException">Environment: the program is missing (naming the package) or failed (with its stderr).</exception>
    public static async Task<string> RunAsync(string name, string package, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        string program = Find(name) ?? throw new PreserveException(FailureKind.Environment, $"{name} is not installed (apt-get install {package}).");
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi) ?? throw new PreserveException(FailureKind.Environment, $"could not start {program}.");
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = p.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }

        string err = await stderr.ConfigureAwait(false);
        if (p.ExitCode != 0)
        {
            throw new PreserveException(FailureKind.Environment, $"{name} {string.Join(' ', args)} failed with exit code {p.ExitCode}: {err.Trim()}");
        }

        return await stdout.ConfigureAwait(false);
    }
}
