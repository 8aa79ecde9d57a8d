using System.Diagnostics;

namespace CernVM.Preserve.Replay.Tests.Replay;

/// <summary>Runs real tools (sh, cpio, tar) for the replay unit tests.</summary>
internal static class Sh
{
    public static string Run(string script, string? stdin = null)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        using Process p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }

        string o = p.StandardOutput.ReadToEnd();
        string e = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? o : throw new InvalidOperationException($"sh -c '{script}' failed with {p.ExitCode}: {e}");
    }
}
