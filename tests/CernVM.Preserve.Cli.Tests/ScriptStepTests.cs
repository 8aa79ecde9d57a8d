using System.Diagnostics;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>
/// The step logic of tools/demo.sh, tools/test.sh and tools/install-test-deps.sh (tools/steps.sh), run by bash:
/// each step says what it does and how long it took, the tools' chatter stays out, real errors stay visible.
/// </summary>
public class ScriptStepTests
{
    private const string Debconf = "debconf: delaying package configuration, since apt-utils is not installed";

    private static (int ExitCode, string Stdout, string Stderr) Bash(string script)
    {
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = CliRunner.RepoRoot };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("set -euo pipefail; source tools/steps.sh; " + script);
        using Process p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }

    [Theory]
    [InlineData(974, "974 ms")]
    [InlineData(12_083, "12.1 s")]
    [InlineData(59_970, "1 min 0 s")]
    [InlineData(63_000, "1 min 3 s")]
    [InlineData(7_500_000, "2 h 5 min")]
    public void FormatDuration_Milliseconds_ReadsAsTheToolWritesIt(long milliseconds, string expected)
    {
        (int code, string stdout, _) = Bash($"format_duration {milliseconds}");
        Assert.Equal(0, code);
        Assert.Equal(expected + "\n", stdout);
        Assert.Equal(expected, Output.Duration(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Fact]
    public void Step_QuietCommandThatSucceeds_SaysWhatAndHowLongWithoutTheChatter()
    {
        (int code, string stdout, string stderr) = Bash($"step 'installing things' 'about 1 min' quietly sh -c 'echo \"{Debconf}\" >&2; echo Reading package lists...; echo 42%'");
        Assert.Equal(0, code);
        Assert.StartsWith("== installing things (about 1 min)\n", stdout);
        Assert.Matches(@"\n   done in \d+ ms\n$", stdout);
        Assert.DoesNotContain("debconf", stdout + stderr);
        Assert.DoesNotContain("42%", stdout + stderr);
    }

    [Fact]
    public void Step_QuietCommandThatFails_ShowsItsErrorsWithoutTheChatterAndStopsTheScript()
    {
        (int code, string stdout, string stderr) = Bash(
            $"step 'installing nosuch' '' quietly sh -c 'echo \"{Debconf}\" >&2; echo \"E: Unable to locate package nosuch\" >&2; exit 100'; echo not reached");
        Assert.Equal(100, code);
        Assert.Equal("== installing nosuch\n", stdout);
        Assert.Contains("E: Unable to locate package nosuch", stderr);
        Assert.Matches(@"== installing nosuch failed after \d+ ms \(exit 100\)", stderr);
        Assert.DoesNotContain("debconf", stderr);
    }

    [Fact]
    public void Scripts_EveryLongStep_GoesThroughStepAndTheirSyntaxIsValid()
    {
        foreach (string script in new[] { "tools/demo.sh", "tools/test.sh", "tools/install-test-deps.sh", "tools/fetch-test-kernel.sh", "tools/steps.sh" })
        {
            (int code, _, string stderr) = Bash($"bash -n {script}");
            Assert.True(code == 0, script + ": " + stderr);
        }

        foreach (string script in new[] { "tools/demo.sh", "tools/test.sh", "tools/install-test-deps.sh" })
        {
            string[] lines = File.ReadAllLines(Path.Combine(CliRunner.RepoRoot, script));
            Assert.Contains(lines, l => l.Trim() == "source tools/steps.sh" || l.Trim() == "source \"$here/steps.sh\"");

            // apt-get and dotnet build/publish/test run only as steps (the line or the one before starts "step").
            for (int i = 0; i < lines.Length; i++)
            {
                string l = lines[i].Trim();
                bool longCommand = (l.Contains("apt-get ", StringComparison.Ordinal) || l.Contains("dotnet build", StringComparison.Ordinal) ||
                                    l.Contains("dotnet publish", StringComparison.Ordinal) || l.Contains("dotnet test", StringComparison.Ordinal)) && !l.StartsWith('#') && !l.StartsWith("echo ", StringComparison.Ordinal);
                if (longCommand)
                {
                    Assert.True(l.StartsWith("step ", StringComparison.Ordinal) || (i > 0 && lines[i - 1].Trim().StartsWith("step ", StringComparison.Ordinal)), $"{script}:{i + 1} runs a long command outside a step: {l}");
                }
            }
        }
    }
}
