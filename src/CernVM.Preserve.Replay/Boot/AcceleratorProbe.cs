using System.Text.Json;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;

namespace CernVM.Preserve.Replay.Boot;

/// <summary>The accelerator a boot uses, and why it was chosen (stated in the replay report).</summary>
/// <param name="Name"><c>kvm</c> or <c>tcg</c>.</param>
public sealed record AcceleratorChoice(string Name, string Reason)
{
    public bool IsKvm => Name == "kvm";
}

/// <summary>
/// Chooses KVM only when a probe shows it really boots a guest on this host: <c>/dev/kvm</c> exists on machines
/// where a KVM guest hangs or QEMU aborts setting the CPU up, so its presence proves nothing. The probe boots the
/// carrier's own kernel and initramfs under KVM with no disks, bounded by <see cref="ProbeTimeout"/>, and
/// succeeds when the carrier's init prints its first marker (it then stops for want of a job). The verdict is
/// kept in the user's cache for as long as the host stays up (its boot id) with the same QEMU, so one replay
/// pays for the probe, not every one. <c>CVMPRESERVE_ACCEL=tcg|kvm</c> decides without a probe.
/// </summary>
public static class AcceleratorProbe
{
    /// <summary>How long a probe guest may take to reach the carrier's init (a KVM guest does it in about a second).</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The marker the carrier's init prints first (tools/carrier/init).</summary>
    public const string UpMarker = "CVMPRESERVE-CARRIER-UP";

    /// <summary>Chooses as the environment says: CVMPRESERVE_ACCEL, the verdict cached under the user's cache directory.</summary>
    public static Task<AcceleratorChoice> ChooseAsync(string qemu, string kernel, string initramfs, string scratch, CancellationToken cancellationToken) =>
        ChooseAsync(Environment.GetEnvironmentVariable("CVMPRESERVE_ACCEL"), DefaultCachePath(), qemu, kernel, initramfs, scratch, cancellationToken);

    /// <param name="setting">auto (or null), kvm or tcg.</param>
    /// <param name="cache">The file that keeps the probe's verdict for this host's boot.</param>
    /// <exception cref="PreserveException">Usage: <paramref name="setting"/> is another word than auto, kvm or tcg.</exception>
    public static async Task<AcceleratorChoice> ChooseAsync(string? setting, string cache, string qemu, string kernel, string initramfs, string scratch, CancellationToken cancellationToken)
    {
        switch (setting)
        {
            case "tcg":
                return new AcceleratorChoice("tcg", "CVMPRESERVE_ACCEL=tcg");
            case "kvm":
                return new AcceleratorChoice("kvm", "CVMPRESERVE_ACCEL=kvm (not probed)");
            case null or "" or "auto":
                break;
            case var other:
                throw new PreserveException(FailureKind.Usage, $"CVMPRESERVE_ACCEL={other}: use auto, kvm or tcg.");
        }

        if (!File.Exists("/dev/kvm"))
        {
            return new AcceleratorChoice("tcg", "this host has no /dev/kvm: TCG (software emulation)");
        }

        try
        {
            using FileStream _ = new("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new AcceleratorChoice("tcg", $"/dev/kvm cannot be opened by this user ({e.Message}): TCG");
        }

        string bootId = File.Exists("/proc/sys/kernel/random/boot_id") ? File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim() : "";
        if (ReadCached(cache, bootId, qemu) is AcceleratorChoice cached)
        {
            return cached;
        }

        AcceleratorChoice probed = await ProbeAsync(qemu, kernel, initramfs, scratch, cancellationToken).ConfigureAwait(false);
        WriteCached(cache, bootId, qemu, probed);
        return probed;
    }

    /// <summary>The probe's QEMU command line: the carrier's kernel and initramfs under KVM, no disks, no network.</summary>
    public static IReadOnlyList<string> ProbeCommandLine(string qemu, string kernel, string initramfs, string transcript) =>
    [
        qemu, "-machine", "accel=kvm", "-cpu", "host", "-m", "256", "-smp", "1", "-nodefaults", "-no-reboot", "-display", "none",
        "-serial", "file:" + transcript, "-kernel", kernel, "-initrd", initramfs, "-append", "console=ttyS0 quiet panic=-1",
    ];

    private static async Task<AcceleratorChoice> ProbeAsync(string qemu, string kernel, string initramfs, string scratch, CancellationToken cancellationToken)
    {
        string transcript = Path.Combine(scratch, "kvm-probe.log");
        IReadOnlyList<string> line = ProbeCommandLine(qemu, kernel, initramfs, transcript);
        (int exitCode, string stderr, bool hung, TimeSpan elapsed) = await QemuBoot.RunBoundedAsync(line, ProbeTimeout, console: false, cancellationToken).ConfigureAwait(false);
        string console = File.Exists(transcript) ? await File.ReadAllTextAsync(transcript, CancellationToken.None).ConfigureAwait(false) : "";
        string seconds = elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
        if (console.Contains(UpMarker, StringComparison.Ordinal))
        {
            return new AcceleratorChoice("kvm", $"a KVM probe guest reached the carrier's init in {seconds} s");
        }

        string err = stderr.Trim().Split('\n').FirstOrDefault(l => l.Length > 0) ?? "";
        return new AcceleratorChoice("tcg", hung
            ? $"/dev/kvm is present but a KVM probe guest did not reach the carrier's init within {ProbeTimeout.TotalSeconds:0} s: TCG"
            : $"/dev/kvm is present but QEMU could not run a KVM guest (exit {exitCode}{(err.Length > 0 ? ": " + err : "")}): TCG");
    }

    /// <summary>$XDG_CACHE_HOME/cvmpreserve/kvm-probe.json, else ~/.cache/cvmpreserve/kvm-probe.json.</summary>
    public static string DefaultCachePath()
    {
        string root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x && Path.IsPathRooted(x)
            ? x
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "cvmpreserve", "kvm-probe.json");
    }

    private static AcceleratorChoice? ReadCached(string path, string bootId, string qemu)
    {
        try
        {
            JsonNode? n = JsonNode.Parse(File.ReadAllText(path));
            return bootId.Length > 0 && (string?)n?["bootId"] == bootId && (string?)n?["qemu"] == qemu && (string?)n?["accelerator"] is "kvm" or "tcg"
                ? new AcceleratorChoice((string)n!["accelerator"]!, (string)n["reason"]! + " (probed earlier since this host booted)")
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or FormatException)
        {
            return null; // no verdict, or a damaged one: probe again
        }
    }

    private static void WriteCached(string path, string bootId, string qemu, AcceleratorChoice choice)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            string partial = $"{path}.{Environment.ProcessId}";
            File.WriteAllText(partial, new JsonObject { ["bootId"] = bootId, ["qemu"] = qemu, ["accelerator"] = choice.Name, ["reason"] = choice.Reason }.ToJsonString());
            File.Move(partial, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be written costs the next replay another probe, nothing else.
        }
    }
}
