using System.Text.RegularExpressions;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>What a newcomer reads: help texts, messages for near misses, sizes and durations, exit codes a script relies on.</summary>
public class UsabilityTests
{
    [Fact]
    public void Help_DefaultArchive_IsNamedWhereXdgDataHomePutsIt()
    {
        using var t = new TempDir();
        CliResult help = CliRunner.Run(TimeSpan.FromMinutes(1), new Dictionary<string, string> { ["XDG_DATA_HOME"] = t["data"] }, "list", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains(Path.Combine(t["data"], "cvmpreserve", "archive"), help.Stdout);
    }

    [Fact]
    public void Help_ListName_ReadsAsOptional()
    {
        CliResult help = CliRunner.Run("list", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("list [<NAME>]", help.Stdout);
        Assert.Matches(new Regex(@"\n  \[NAME\]  Optional: only this capsule"), help.Stdout);
    }

    [Fact]
    public void Help_CommandList_BracketsOptionalArgumentsAndKeepsTheColumns()
    {
        CliResult help = CliRunner.Run("--help");
        Assert.Equal(0, help.ExitCode);
        string[] rows = help.Stdout[help.Stdout.IndexOf("Commands:", StringComparison.Ordinal)..].Split('\n');
        Assert.Contains(rows, r => r.StartsWith("  list [NAME]  ", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith("  init [ARCHIVE]  ", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith("  ls <NAME[@vN]> [PATH]  ", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith("  cat <NAME[@vN]> <PATH>  ", StringComparison.Ordinal));

        // Every description still starts in the same column.
        int column = rows.First(r => r.StartsWith("  cat ", StringComparison.Ordinal)).IndexOf("Write", StringComparison.Ordinal);
        Assert.Equal(column, rows.First(r => r.StartsWith("  list ", StringComparison.Ordinal)).IndexOf("List", StringComparison.Ordinal));

        CliResult storage = CliRunner.Run("storage", "--help");
        Assert.Contains("  validate [ARCHIVE]  ", storage.Stdout);
    }

    [Fact]
    public void UnknownCommand_IsReportedAloneWithTheCommands()
    {
        CliResult r = CliRunner.Run("lsit");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("Unrecognized command or argument 'lsit'", r.Stderr);
        Assert.DoesNotContain("Required command", r.Stderr);
        Assert.Contains("the commands are: init, snapshot, list, show", r.Stderr);
    }

    [Fact]
    public void NoCommand_ExitsWith2SayingHowToGiveOne()
    {
        CliResult r = CliRunner.Run();
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("no command given", r.Stderr);
        Assert.DoesNotContain("Required command", r.Stderr);
    }

    [Fact]
    public void Show_NameWithCapitals_SaysNamesAreLowerCaseAndWhichWasMeant()
    {
        using var t = new TempDir();
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult r = CliRunner.Run("show", "Docs", "--archive", t["a"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'Docs' is not a capsule reference", r.Stderr);
        Assert.Contains("lower case: 1 to 64 characters from a-z, 0-9, '.', '_' and '-'", r.Stderr);
        Assert.Contains("Did you mean 'docs'?", r.Stderr);

        CliResult name = CliRunner.Run("snapshot", "--rootfs", t.Path, "--name", "Bad Name", "--archive", t["a"]);
        Assert.Equal(2, name.ExitCode);
        Assert.Contains("lower case", name.Stderr);
        Assert.DoesNotContain("Did you mean", name.Stderr);
    }

    [Fact]
    public void SnapshotAndList_Sizes_AreIecUnitsAndTheRunTimeReadsAsPeopleWriteIt()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["tree"]);
        File.WriteAllBytes(t["tree/data.bin"], new byte[1_572_864]); // 1.5 MiB, 1.6 MB
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);

        CliResult s = CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "sizes", "--archive", t["a"]);
        Assert.True(s.ExitCode == 0, s.ToString());
        Assert.Matches(new Regex(@"^  size +1\.5 MiB captured, in ", RegexOptions.Multiline), s.Stdout);
        Match took = Regex.Match(s.Stdout, @"^  took +(.*)$", RegexOptions.Multiline);
        Assert.True(took.Success, s.Stdout);

        // Under a second: milliseconds and no rate; longer: tenths of a second and the rate in MiB/s or KiB/s.
        Assert.Matches(new Regex(@"^(\d{1,3} ms|\d+\.\d s \(\d+\.\d [KMG]iB/s\))$"), took.Groups[1].Value);

        CliResult list = CliRunner.Run("list", "--archive", t["a"]);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(" 1.5 MiB", list.Stdout);
        Assert.DoesNotContain(" MB", list.Stdout);
    }

    [Fact]
    public void Snapshot_SomeEntriesUnreadable_CommitsTheVersionAndExitsWith8()
    {
        using var t = new TempDir();
        string tree = t["tree"];
        Directory.CreateDirectory(tree);
        File.WriteAllText(Path.Combine(tree, "shadow"), "root only");
        File.WriteAllText(Path.Combine(tree, "public"), "everyone");
        CliRunner.Sh($"chmod 0755 '{t.Path}' '{tree}' && chmod 0000 '{tree}/shadow' && chmod a+r '{tree}/public' && mkdir '{t["a"]}' && chown 65534:65534 '{t["a"]}'");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliRunner.Sh($"chown -R 65534:65534 '{t["a"]}'");

        // setpriv runs the tool as nobody, who cannot read the 0000 file; sh's own exit is the tool's.
        string script = $"cd / && HOME=/tmp DOTNET_CLI_HOME=/tmp setpriv --reuid=65534 --regid=65534 --clear-groups {CliRunner.ShellCommand} snapshot --rootfs '{tree}' --name partial --archive '{t["a"]}' 2>&1; echo \"exit $?\"";
        string output = CliRunner.Sh(script);
        Assert.EndsWith("exit 8\n", output);
        Assert.Contains("1 entry could not be read (CAP001): partial@v1 is committed", output);

        CliResult list = CliRunner.Run("list", "partial", "--archive", t["a"]);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("partial@v1", list.Stdout);
        Assert.Equal("everyone", CliRunner.Run("cat", "partial", "/public", "--archive", t["a"]).Stdout);
    }

    [Fact]
    public void Snapshot_EverythingReadable_ExitsWith0()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["tree"]);
        File.WriteAllText(t["tree/file"], "x");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult s = CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "whole", "--archive", t["a"]);
        Assert.True(s.ExitCode == 0, s.ToString());
        Assert.DoesNotContain("CAP001", s.Stderr);
    }
}
