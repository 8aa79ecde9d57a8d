using System.Diagnostics;
using System.Globalization;
using CernVM.Preserve.Core;
using CernVM.Preserve.Replay.Images;

namespace CernVM.Preserve.Replay.Boot;

/// <summary>How a guest ended, as the console transcript and the clock show it (never QEMU's exit status: a panic exits 0).</summary>
public enum GuestEnd
{
    /// <summary>The carrier printed CVMPRESERVE-REPLAY-DONE: the results disk holds the outputs.</summary>
    Completed,

    /// <summary>The kernel panicked.</summary>
    Panicked,

    /// <summary>The carrier's init stopped with a reason (CVMPRESERVE-CARRIER-FAILED).</summary>
    CarrierFailed,

    /// <summary>The guest did not power off within its time and was killed.</summary>
    Hung,

    /// <summary>QEMU stopped before the carrier finished, for another reason.</summary>
    Stopped,
}

/// <summary>What a boot gave: how it ended, a line saying why, how long it took, and the accelerator used.</summary>
public sealed record BootOutcome(GuestEnd End, string Reason, TimeSpan Elapsed, string Accelerator, IReadOnlyList<string> CommandLine);

/// <summary>What to boot: the carrier's kernel and initrd, the two disks, the kernel command line, the limits.</summary>
/// <param name="Accelerator"><c>tcg</c>, or <c>kvm</c> when <see cref="AcceleratorProbe"/> showed that KVM boots a guest here.</param>
public sealed record BootRequest(string Kernel, string Initrd, string Image, string ResultsDisk, string KernelArguments, string Transcript, TimeSpan Timeout, int MemoryMegabytes = 512, bool Console = false, string Accelerator = "tcg");

/// <summary>
/// Boots a replay guest with qemu-system-x86_64, without network, under TCG or, where <see cref="AcceleratorProbe"/>
/// showed that it works, KVM (on some hosts /dev/kvm is present but hangs guests, so it is never assumed), always
/// bounded by a timeout. The serial console goes to the
/// transcript file (or, for <see cref="BootRequest.Console"/>, to the terminal).
/// </summary>
public static class QemuBoot
{
    /// <summary>The marker the carrier prints when the results are on their disk.</summary>
    public const string DoneMarker = "CVMPRESERVE-REPLAY-DONE";

    /// <summary>The QEMU command line for a request.</summary>
    public static IReadOnlyList<string> CommandLine(string qemu, BootRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return
        [
            qemu, "-machine", r.Accelerator == "kvm" ? "accel=kvm" : "accel=tcg", "-cpu", r.Accelerator == "kvm" ? "host" : "max", "-m", r.MemoryMegabytes.ToString(CultureInfo.InvariantCulture), "-smp", "1",
            "-nodefaults", "-no-reboot", "-display", "none",
            .. r.Console ? new[] { "-serial", "stdio" } : ["-serial", "file:" + r.Transcript],
            "-kernel", r.Kernel, "-initrd", r.Initrd, "-append", r.KernelArguments,
            // The disks are found by their serials (tools/carrier/init), not by the order of enumeration.
            "-drive", $"file={Escape(r.Image)},if=none,id=image,format=raw,readonly=on", "-device", "nvme,drive=image,serial=cvmp-image",
            "-drive", $"file={Escape(r.ResultsDisk)},if=none,id=results,format=raw", "-device", "nvme,drive=results,serial=cvmp-results",
        ];
    }

    /// <summary>The QEMU to run: $CVMPRESERVE_QEMU when set, else qemu-system-x86_64 on PATH.</summary>
    /// <exception cref="PreserveException">Environment: QEMU is not installed, saying what to install.</exception>
    public static string Locate() =>
        Environment.GetEnvironmentVariable("CVMPRESERVE_QEMU") is { Length: > 0 } named
            ? File.Exists(named) ? named : throw new PreserveException(FailureKind.Environment, $"CVMPRESERVE_QEMU={named}: no such file; install QEMU (apt-get install qemu-system-x86) or name its qemu-system-x86_64.")
            : ExternalProgram.Find("qemu-system-x86_64")
              ?? throw new PreserveException(FailureKind.Environment, "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86); replay without --boot builds the image and the initrd to boot by hand.");

    /// <summary>Boots, waits for the guest to power off or for the timeout, and reads the verdict from the transcript.</summary>
    /// <exception cref="PreserveException">Environment: QEMU is not installed.</exception>
    public static async Task<BootOutcome> RunAsync(BootRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string qemu = Locate();
        IReadOnlyList<string> line = CommandLine(qemu, request);
        (int exitCode, string stderrText, bool hung, TimeSpan elapsed) = await RunBoundedAsync(line, request.Timeout, request.Console, cancellationToken).ConfigureAwait(false);
        if (request.Console)
        {
            // The console was the terminal's: nothing to read back, the person saw it all.
            return new BootOutcome(hung ? GuestEnd.Hung : GuestEnd.Completed, hung ? FormattableString.Invariant($"the session did not end within {request.Timeout.TotalSeconds:0} s and was stopped") : $"the console session ended (QEMU exit code {exitCode})", elapsed, request.Accelerator, line);
        }

        string transcript = File.Exists(request.Transcript) ? await File.ReadAllTextAsync(request.Transcript, CancellationToken.None).ConfigureAwait(false) : "";
        (GuestEnd end, string reason) = Judge(transcript, hung, request.Timeout, exitCode, stderrText);
        return new BootOutcome(end, reason, elapsed, request.Accelerator, line);
    }

    /// <summary>
    /// Runs a QEMU command line and waits for it to end or for <paramref name="timeout"/>, killing it then (a guest
    /// that hangs must not hang the caller). With <paramref name="console"/>, QEMU keeps this terminal.
    /// </summary>
    /// <returns>QEMU's exit code, its standard error, whether it was killed at the timeout, and how long it ran.</returns>
    public static async Task<(int ExitCode, string Stderr, bool Hung, TimeSpan Elapsed)> RunBoundedAsync(IReadOnlyList<string> line, TimeSpan timeout, bool console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        var psi = new ProcessStartInfo(line[0]) { UseShellExecute = false, RedirectStandardInput = !console, RedirectStandardOutput = !console, RedirectStandardError = !console };
        foreach (string a in line.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        var clock = Stopwatch.StartNew();
        using Process p = Process.Start(psi) ?? throw new PreserveException(FailureKind.Environment, $"could not start {line[0]}.");
        Task<string> stderr = console ? Task.FromResult("") : p.StandardError.ReadToEndAsync(CancellationToken.None);
        if (!console)
        {
            _ = p.StandardOutput.ReadToEndAsync(CancellationToken.None);
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        bool hung = false;
        try
        {
            await p.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            hung = true;
        }

        return (p.ExitCode, await stderr.ConfigureAwait(false), hung, clock.Elapsed);
    }

    /// <summary>The verdict from the console transcript: the carrier's markers first, then a panic, then the clock.</summary>
    public static (GuestEnd End, string Reason) Judge(string transcript, bool killedAtTimeout, TimeSpan timeout, int qemuExitCode, string qemuStderr)
    {
        ArgumentNullException.ThrowIfNull(transcript);
        string[] lines = transcript.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (lines.Any(l => l == DoneMarker))
        {
            return (GuestEnd.Completed, "the carrier ran every entry and wrote the results");
        }

        if (lines.FirstOrDefault(l => l.Contains("Kernel panic", StringComparison.Ordinal)) is string panic)
        {
            return (GuestEnd.Panicked, "the guest kernel panicked: " + Strip(panic));
        }

        if (lines.FirstOrDefault(l => l.StartsWith("CVMPRESERVE-CARRIER-FAILED ", StringComparison.Ordinal)) is string failed)
        {
            return (GuestEnd.CarrierFailed, "the carrier stopped: " + failed["CVMPRESERVE-CARRIER-FAILED ".Length..]);
        }

        string last = lines.Length == 0 ? "nothing on the console" : "last console line: " + Strip(lines[^1]);
        if (killedAtTimeout)
        {
            return (GuestEnd.Hung, FormattableString.Invariant($"the guest did not finish within {timeout.TotalSeconds:0} s and was stopped ({last})"));
        }

        string err = qemuStderr.Trim();
        return (GuestEnd.Stopped, $"QEMU exited with code {qemuExitCode} before the carrier finished ({last}){(err.Length > 0 ? ": " + err : "")}");
    }

    // A kernel line starts with its time stamp, "[    4.84] ".
    private static string Strip(string line) => line.StartsWith('[') && line.IndexOf("] ", StringComparison.Ordinal) is int i and > 0 ? line[(i + 2)..] : line;

    // QEMU's -drive splits on commas; a comma in a path is written twice.
    private static string Escape(string path) => path.Replace(",", ",,", StringComparison.Ordinal);
}
