using CernVM.Preserve.Core.Format;
using System.Globalization;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;
using CernVM.Preserve.Replay.Carrier;

namespace CernVM.Preserve.Replay.Boot;

/// <summary>What the carrier's kernel must do for the capsule's userland: extra kernel arguments, and why.</summary>
public sealed record UserlandDecision(IReadOnlyList<string> KernelArguments, IReadOnlyList<string> Reasons);

/// <summary>
/// Decides, from the capsule's OS component (FORMAT.md §5.3 <c>os</c>: architecture, distribution, version),
/// what an old userland needs from today's x86_64 kernel: an i386 tree runs through IA-32 emulation (the
/// carrier's kernel must have it); an x86_64 glibc older than 2.15 calls the vsyscall page, which current
/// kernels only emulate when booted with <c>vsyscall=emulate</c>. Anything else cannot run on the carrier.
/// </summary>
public static class LegacyUserland
{
    /// <summary>The decision for an OS component and a carrier.</summary>
    /// <exception cref="PreserveException">Usage: the userland cannot run on this carrier, saying why and what to use instead.</exception>
    public static UserlandDecision Decide(JsonObject? os, CarrierKit carrier) =>
        Decide((string?)os?["architecture"], (string?)os?["distribution"] ?? "", (string?)os?["version"], carrier);

    /// <summary>The decision for a capsule's recorded OS (FORMAT.md §5.3 <c>os</c>).</summary>
    public static UserlandDecision Decide(OsComponent? os, CarrierKit carrier) =>
        Decide(os?.Architecture, os?.Distribution ?? "", os?.Version, carrier);

    private static UserlandDecision Decide(string? arch, string distro, string? version, CarrierKit carrier)
    {
        ArgumentNullException.ThrowIfNull(carrier);
        var args = new List<string>();
        var reasons = new List<string>();
        switch (arch)
        {
            case "i386" or "i486" or "i586" or "i686":
                if (!carrier.Features.Ia32Emulation)
                {
                    throw new PreserveException(FailureKind.Usage, $"the tree is {arch} and the carrier's kernel ({carrier.KernelRelease}) has no IA-32 emulation (CONFIG_IA32_EMULATION): use a carrier built with it.");
                }

                reasons.Add($"{arch} userland: runs through the carrier kernel's IA-32 emulation (CONFIG_IA32_EMULATION=y)");
                break;
            case "x86_64":
                if (NeedsVsyscall(distro, version))
                {
                    if (!carrier.Features.VsyscallEmulation)
                    {
                        throw new PreserveException(FailureKind.Usage, $"the tree's {distro} {version} glibc needs the vsyscall page, and the carrier's kernel ({carrier.KernelRelease}) cannot emulate it (CONFIG_X86_VSYSCALL_EMULATION): use a carrier built with it.");
                    }

                    args.Add("vsyscall=emulate");
                    reasons.Add($"x86_64 userland of {distro} {version} (glibc older than 2.15 calls the vsyscall page): vsyscall=emulate");
                }
                else
                {
                    reasons.Add($"x86_64 userland{(distro.Length > 0 ? $" of {distro} {version}" : "")}: runs natively");
                }

                break;
            case null:
                reasons.Add("the capsule records no architecture: assumed to run natively on x86_64");
                break;
            default:
                throw new PreserveException(FailureKind.Usage, $"the tree is {arch}; the carrier boots x86_64 and can run x86_64 and i386 userlands only: use --target container on a {arch} host.");
        }

        return new UserlandDecision(args, reasons);
    }

    // glibc 2.15 (2012) stopped needing the vsyscall page: Red Hat family 7, Debian 8, Ubuntu 12.04 and later
    // have it; an unknown x86_64 distribution gets the emulation too, which costs nothing but a little hardening.
    private static bool NeedsVsyscall(string distribution, string? version)
    {
        int major = version is null ? -1 : int.TryParse(version.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out int m) ? m : -1;
        string d = distribution.ToLowerInvariant();
        if (major < 0)
        {
            return true;
        }

        return d switch
        {
            _ when d.Contains("debian", StringComparison.Ordinal) => major < 8,
            _ when d.Contains("ubuntu", StringComparison.Ordinal) => major < 12,
            _ when d.Contains("fedora", StringComparison.Ordinal) => major < 17,
            _ when d.Contains("alpine", StringComparison.Ordinal) => false,
            _ => major < 7,
        };
    }
}
