using CernVM.Preserve.Fuzz;
using SharpFuzz;

// cvmpreserve's fuzz harness (docs/security.md, Fuzzing).
//   CernVM.Preserve.Fuzz TARGET            run under afl-fuzz (tools/fuzz.sh): one input per run, from AFL
//   CernVM.Preserve.Fuzz TARGET FILE...    replay files: prints each one's outcome, exits 1 if any is a finding
//   CernVM.Preserve.Fuzz --list            the targets and what each reads
if (args.Length == 0 || args[0] == "--list")
{
    foreach (FuzzTarget t in FuzzTargets.All)
    {
        Console.WriteLine($"{t.Name,-20} {t.Reads}");
    }

    return args.Length == 0 ? 2 : 0;
}

FuzzTarget target = FuzzTargets.Named(args[0]);
if (args.Length == 1)
{
    // Out of process: a stack overflow or a fatal error of the runtime ends a child, which SharpFuzz reports to
    // AFL as a crash, and the fork server goes on.
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        target.Check(copy.ToArray());
    });
    return 0;
}

int findings = 0;
foreach (string file in args[1..])
{
    try
    {
        Exception? documented = target.Check(File.ReadAllBytes(file));
        Console.WriteLine($"{file}: {(documented is null ? "read" : $"{documented.GetType().Name}: {documented.Message}")}");
    }
    catch (Exception e)
    {
        findings++;
        Console.WriteLine($"{file}: FINDING {e}");
    }
}

return findings == 0 ? 0 : 1;
