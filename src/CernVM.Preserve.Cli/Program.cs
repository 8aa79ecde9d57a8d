using System.CommandLine;
using System.Runtime.InteropServices;
using CernVM.Preserve.Cli;
using CernVM.Preserve.Cli.Commands;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Storage;

CernVM.Preserve.Posix.PosixFs.KeepFreedHeap();

// SQLite's provider names its library "e_sqlite3": the runtime would try that name in every directory of the
// library path (about a hundred failed opens and stats at the first query) before "libe_sqlite3.so" beside the
// executable, where publishing puts it. Elsewhere (a framework-dependent run) the runtime's own search goes on.
NativeLibrary.SetDllImportResolver(typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly, static (name, _, _) =>
    name == "e_sqlite3" && NativeLibrary.TryLoad(Path.Combine(AppContext.BaseDirectory, "libe_sqlite3.so"), out nint handle) ? handle : 0);

// Standard output through a 64 KiB buffer, still flushed at the end of every write: the console's own writer passes
// text on in pieces of 256 bytes, a system call each (a search's JSON answer of 50 hits took about 200).
Console.SetOut(new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024) { AutoFlush = true });

var root = new RootCommand(
    "cvmpreserve — preserve complete legacy computing environments in an immutable, content-addressed archive, " +
    "and give them back. Docs: docs/CLI.md; archive format: docs/FORMAT.md.");
root.Options.Add(CommonOptions.Archive);
root.Options.Add(CommonOptions.S3Endpoint);
root.Options.Add(CommonOptions.S3Parallel);
root.Subcommands.Add(InitCommand.Create());
root.Subcommands.Add(SnapshotCommand.Create());
root.Subcommands.Add(ListCommand.Create());
root.Subcommands.Add(ShowCommand.Create());
root.Subcommands.Add(LsCommand.Create());
root.Subcommands.Add(CatCommand.Create());
root.Subcommands.Add(DiffCommand.Create());
root.Subcommands.Add(RestoreCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(KeyCommand.Create());
root.Subcommands.Add(StorageCommand.Create());
root.Subcommands.Add(AuditCommand.Create());
root.Subcommands.Add(JournalCommand.Create());

// With an action of its own the root reports a missing command itself, and an unknown command is reported
// alone, not after "Required command was not provided." (the parser's error for a command with no action).
root.SetAction(_ =>
{
    Output.Error("no command given: write 'cvmpreserve COMMAND [ARGS]', for example 'cvmpreserve list'; 'cvmpreserve --help' lists the commands.");
    return ExitCodes.Usage;
});
root.Subcommands.Add(ReplayCommand.Create());
root.Subcommands.Add(CarrierCommand.Create());
root.Subcommands.Add(SearchCommand.Create());
root.Subcommands.Add(IndexCommand.Create());

ParseResult parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (System.CommandLine.Parsing.ParseError e in parse.Errors)
    {
        Output.Error(e.Message);
    }

    if (parse.CommandResult.Command == root && parse.UnmatchedTokens.Count > 0)
    {
        Output.Error($"the commands are: {string.Join(", ", root.Subcommands.Select(c => c.Name))}.");
    }

    Output.Error("see 'cvmpreserve --help'.");
    return ExitCodes.Usage;
}

// Ctrl-C and SIGTERM cancel the running command, which stops cleanly: nothing half-written is committed
// (FORMAT.md §8), and the exit code is 130.
using var interrupt = new CancellationTokenSource();
using PosixSignalRegistration onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using PosixSignalRegistration onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);

void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    interrupt.Cancel();
}

try
{
    // Only help (and --version) write to the configuration's Output; the commands write to the console themselves.
    using var help = new StringWriter();
    int code = await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null, Output = help }, interrupt.Token);
    Console.Out.Write(HelpText.MarkOptionalArguments(help.ToString(), parse.CommandResult.Command));
    return code;
}
catch (OperationCanceledException)
{
    Output.Error("interrupted; nothing was committed, the archive is unchanged apart from blobs no version names yet.");
    return ExitCodes.Interrupted;
}
catch (PreserveException e)
{
    Output.Error(e.Message);
    return ExitCodes.For(e.Kind);
}
catch (StorageFullException e)
{
    Output.Error(e.Message + " Nothing was committed; free space and run the command again.");
    return ExitCodes.Environment;
}
catch (StorageException e)
{
    Output.Error(e.Message);
    return ExitCodes.Environment;
}
catch (CernVM.Preserve.Posix.PosixException e)
{
    Output.Error(e.Message + (e.IsNoSpace ? " Nothing was committed; free space and run the command again." : ""));
    return ExitCodes.Environment;
}
catch (UnauthorizedAccessException e)
{
    Output.Error(e.Message);
    return ExitCodes.Environment;
}
catch (Exception e)
{
    Output.Error($"internal error, please report it: {e}");

    // diff exits 1 when the trees differ (diff(1)'s convention): its trouble must not look like that.
    return parse.CommandResult.Command.Name == "diff" ? ExitCodes.Usage : ExitCodes.InternalError;
}
