using Xunit;

namespace CernVM.Preserve.Storage.Tests;

/// <summary>
/// A tmpfs of the given size, mounted by the test (mounting needs root, as the command-line fault tests do) on a new
/// temporary directory and unmounted, with all it holds, when disposed.
/// </summary>
internal sealed class Tmpfs : IDisposable
{
    public Tmpfs(string size)
    {
        Path = Directory.CreateTempSubdirectory("cvmp-tmpfs-").FullName;
        Run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", Path);
    }

    /// <summary>Where it is mounted.</summary>
    public string Path { get; }

    public void Dispose()
    {
        Run("umount", Path);
        Directory.Delete(Path);
    }

    /// <summary>Runs a system command, failing the test with its error output if it fails.</summary>
    public static void Run(string file, params string[] args)
    {
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: exit {p.ExitCode}: {err}");
    }
}
