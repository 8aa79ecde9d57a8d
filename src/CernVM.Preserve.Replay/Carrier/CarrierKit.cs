using System.Text.Json;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;

namespace CernVM.Preserve.Replay.Carrier;

/// <summary>A Debian package a carrier is made of, as tools/make-carrier.sh recorded it.</summary>
public sealed record CarrierPackage(string Name, string Version, string Sha256);

/// <summary>What the carrier's kernel can do for a legacy userland (from its config, at build time).</summary>
public sealed record CarrierFeatures(bool Ext4, bool Nvme, bool Ia32Emulation, bool VsyscallEmulation);

/// <summary>
/// A carrier kit on disk: the kernel, the initramfs and <c>carrier.json</c> that tools/make-carrier.sh writes.
/// A replay boots the capsule's tree with it; it is stored in the archive as a capsule of its own, so that the
/// same carrier can be named, and booted, again years later.
/// </summary>
public sealed record CarrierKit(string Directory, string KernelRelease, string Kernel, string Initramfs, IReadOnlyList<CarrierPackage> Packages, IReadOnlyList<string> Modules, CarrierFeatures Features)
{
    /// <summary>The descriptor's file name at the kit's root.</summary>
    public const string DescriptorFile = "carrier.json";

    /// <summary>Reads and checks a kit directory.</summary>
    /// <exception cref="PreserveException">Usage: the directory is no carrier kit, naming the file and the problem.</exception>
    public static CarrierKit Load(string directory)
    {
        string file = Path.Combine(directory, DescriptorFile);
        if (!File.Exists(file))
        {
            throw new PreserveException(FailureKind.Usage, $"{directory}: not a carrier kit (no {DescriptorFile}; build one with tools/make-carrier.sh).");
        }

        JsonObject d;
        try
        {
            d = JsonNode.Parse(File.ReadAllText(file))?.AsObject() ?? throw new FormatException("empty");
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new PreserveException(FailureKind.Usage, $"{file}: not a carrier descriptor: {e.Message}", e);
        }

        string Text(string key) => d[key] is JsonValue v && v.TryGetValue(out string? s) && s.Length > 0
            ? s
            : throw new PreserveException(FailureKind.Usage, $"{file}: '{key}' is missing or not a string.");
        if (d["kind"]?.GetValue<string>() != "cvmpreserve-carrier" || d["carrierFormat"]?.GetValue<int>() != 1)
        {
            throw new PreserveException(FailureKind.Usage, $"{file}: not a carrier descriptor of format 1 (kind 'cvmpreserve-carrier', carrierFormat 1).");
        }

        string kernel = Path.Combine(directory, Text("kernel")), initramfs = Path.Combine(directory, Text("initramfs"));
        foreach (string f in new[] { kernel, initramfs })
        {
            if (!File.Exists(f))
            {
                throw new PreserveException(FailureKind.Usage, $"{file}: names {Path.GetFileName(f)}, which is not in {directory}.");
            }
        }

        JsonObject features = d["features"] as JsonObject ?? throw new PreserveException(FailureKind.Usage, $"{file}: 'features' is missing.");
        bool Flag(string key) => features[key]?.GetValue<bool>() ?? false;
        return new CarrierKit(
            directory,
            Text("kernelRelease"),
            kernel,
            initramfs,
            (d["packages"] as JsonArray ?? []).Select(p => new CarrierPackage((string?)p?["name"] ?? "", (string?)p?["version"] ?? "", (string?)p?["sha256"] ?? "")).ToList(),
            (d["modules"] as JsonArray ?? []).Select(m => (string?)m ?? "").ToList(),
            new CarrierFeatures(Flag("ext4"), Flag("nvme"), Flag("ia32Emulation"), Flag("vsyscallEmulation")));
    }

    /// <summary>One line naming the kernel and the packages, for reports.</summary>
    public string Describe() => $"linux {KernelRelease}" + string.Concat(Packages.Select(p => $", {p.Name} {p.Version}"));
}
