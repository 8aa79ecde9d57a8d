using System.Diagnostics;
using System.IO.Compression;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Replay.Carrier;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Replay.Boot;

/// <summary>
/// The capsule's own kernel, ready to boot a replay: its image (the <c>boot</c> component's kernel blob), the modules
/// the carrier's init needs taken from the capsule's own tree, its recorded command line with what only names the
/// original machine's disks dropped, and what was decided.
/// </summary>
/// <param name="Kit">The kit a boot uses: the capsule's kernel and modules with the carrier's init and busybox.</param>
/// <param name="ModuleFiles">Each module to load, in order: its path under the initramfs' /lib/modules and its bytes.</param>
/// <param name="RecordedArguments">The recorded command line's arguments a replay keeps.</param>
public sealed record ArchivedKernelPlan(CarrierKit Kit, IReadOnlyList<(string Path, byte[] Content)> ModuleFiles, IReadOnlyList<string> RecordedArguments, IReadOnlyList<string> Notes);

/// <summary>
/// <c>replay --kernel archived</c>: boots the capsule's own kernel instead of the carrier's. The carrier's init still
/// runs the entries (it mounts the image under an overlay, finds the disks by their NVMe serials and writes the
/// results disk), so the capsule's kernel must have what that needs: NVMe, ext4, overlay, devtmpfs, an initramfs and
/// a serial console — built in, or as modules in the capsule's own <c>/lib/modules/RELEASE</c>. Every missing piece
/// is said before anything boots, with what to use instead. The capsule's own initrd is not booted: it would look for
/// the original machine's root device, which a replay does not have.
/// </summary>
public static class ArchivedKernel
{
    private static readonly (string Option, string What, bool ModuleAllowed, string Since)[] Needs =
    [
        ("CONFIG_BLK_DEV_INITRD", "initramfs support (the carrier's init)", false, ""),
        ("CONFIG_DEVTMPFS", "devtmpfs", false, "2.6.32"),
        ("CONFIG_SERIAL_8250_CONSOLE", "serial console (the replay's transcript)", false, ""),
        ("CONFIG_BLK_DEV_NVME", "NVMe driver (the replay's disks)", true, "3.3"),
        ("CONFIG_EXT4_FS", "ext4 (the image's file system)", true, "2.6.28"),
        ("CONFIG_OVERLAY_FS", "overlay file system (the read-only image under a discarded tmpfs)", true, "3.18"),
    ];

    private static readonly Dictionary<string, string> ModuleOf = new(StringComparer.Ordinal)
    {
        ["CONFIG_BLK_DEV_NVME"] = "nvme",
        ["CONFIG_EXT4_FS"] = "ext4",
        ["CONFIG_OVERLAY_FS"] = "overlay",
    };

    /// <summary>Checks the capsule's kernel against what a replay needs and collects its modules from the reconstituted tree.</summary>
    /// <exception cref="PreserveException">Usage: the capsule's kernel cannot boot a replay, saying every reason and what to use instead.</exception>
    public static async Task<ArchivedKernelPlan> PrepareAsync(Archive archive, LoadedManifest m, string tree, CarrierKit carrier, string work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(carrier);
        string instead = "boot it on the carrier's kernel instead (leave out --kernel archived)";
        KernelComponent kernel = m.Manifest.Components?.Boot?.Kernel
            ?? throw new PreserveException(FailureKind.Usage, $"{m.Capsule}@v{m.Version} records no kernel (its manifest has no boot.kernel): {instead}.");
        var problems = new List<string>();
        if (kernel.Format != "bzImage")
        {
            problems.Add($"its kernel {kernel.Path} is {kernel.Format ?? "of unknown format"}, and QEMU boots an x86 bzImage directly");
        }

        if (kernel.Architecture is not (null or "x86_64" or "i386" or "x86"))
        {
            problems.Add($"its kernel is built for {kernel.Architecture}, not x86");
        }

        string? release = kernel.Release;
        if (release is null || release.Contains('/', StringComparison.Ordinal) || release.StartsWith('.'))
        {
            problems.Add($"its kernel's release is not known{(release is null ? "" : $" ({release})")}, so its modules and configuration cannot be found");
        }

        if (problems.Count > 0)
        {
            throw Refuse(m, problems, instead);
        }

        string modulesDir = Path.Combine(tree, "lib", "modules", release!);
        string? configFile = new[] { Path.Combine(tree, "boot", "config-" + release), Path.Combine(modulesDir, "config") }.FirstOrDefault(File.Exists);
        if (configFile is null)
        {
            throw Refuse(m, [$"its tree holds no /boot/config-{release}, so its drivers cannot be checked before booting"], instead);
        }

        Dictionary<string, string> config = ReadConfig(configFile);
        Dictionary<string, string[]> deps = ReadModulesDep(Path.Combine(modulesDir, "modules.dep"));
        var wanted = new List<string>();
        foreach ((string option, string what, bool moduleAllowed, string since) in Needs)
        {
            string value = config.GetValueOrDefault(option, "n");
            if (value == "y")
            {
                continue;
            }

            string? module = ModuleOf.GetValueOrDefault(option);
            if (value == "m" && moduleAllowed && module is not null && FindModule(deps, module) is string path && File.Exists(Path.Combine(modulesDir, path)))
            {
                AddWithDependencies(deps, path, wanted);
                continue;
            }

            problems.Add(value == "m"
                ? $"no {what}: {option}=m, but its tree's /lib/modules/{release} does not hold the module"
                : $"no {what}: {option} is not set{(since.Length > 0 ? $" (Linux {since} and later have it)" : "")}");
        }

        if (problems.Count > 0)
        {
            throw Refuse(m, problems, instead);
        }

        var modules = new List<(string, byte[])>();
        foreach (string path in wanted)
        {
            modules.Add(("archived/" + StripCompression(path), await ReadModuleAsync(Path.Combine(modulesDir, path), cancellationToken).ConfigureAwait(false)));
        }

        string image = Path.Combine(work, "archived-kernel");
        await File.WriteAllBytesAsync(image, await archive.Blobs.GetAsync(BlobId.Parse(kernel.Blob), cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var features = new CarrierFeatures(
            Ext4: true,
            Nvme: true,
            Ia32Emulation: config.GetValueOrDefault("CONFIG_IA32_EMULATION") == "y",
            VsyscallEmulation: config.GetValueOrDefault("CONFIG_X86_VSYSCALL_EMULATION") == "y" || config.GetValueOrDefault("CONFIG_X86_64") != "y");
        var kit = new CarrierKit(work, release!, image, carrier.Initramfs, [], [.. modules.Select(x => x.Item1)], features);

        string recorded = m.Manifest.Components?.Boot?.Cmdline ?? m.Manifest.Components?.Boot?.BootloaderConfig?.Default?.Cmdline ?? "";
        string[] words = recorded.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] dropped = [.. words.Where(Dropped)];
        string[] kept = [.. words.Where(w => !Dropped(w))];
        var notes = new List<string>
        {
            $"kernel archived: {kernel.Path} ({release}), booted with the carrier's init; modules from the tree's /lib/modules/{release}: {(modules.Count == 0 ? "none needed (all built in)" : string.Join(", ", wanted.Select(p => Path.GetFileName(StripCompression(p)))))}",
            recorded.Length == 0 ? "no recorded command line" : $"recorded command line kept: {(kept.Length == 0 ? "nothing" : string.Join(' ', kept))}{(dropped.Length == 0 ? "" : $"; dropped: {string.Join(' ', dropped)} (they name the original machine's disks and console)")}",
        };
        if (m.Manifest.Components?.Boot?.Initrd is { } initrd)
        {
            notes.Add($"the capsule's own initrd {initrd.Path} is not booted: it would wait for the original root device; the carrier's init mounts the replay image instead");
        }

        return new ArchivedKernelPlan(kit, modules, kept, notes);
    }

    /// <summary>Arguments of a recorded command line that only make sense on the original machine.</summary>
    private static bool Dropped(string word)
    {
        string name = word.Split('=')[0];
        return name is "root" or "ro" or "rw" or "rootfstype" or "rootflags" or "resume" or "initrd" or "BOOT_IMAGE" or "console" or "rhgb" or "quiet" or "splash" or "rd_NO_LUKS" or "rd_NO_LVM" or "rd_NO_MD" or "rd_NO_DM" or "crashkernel"
               || name.StartsWith("rd.", StringComparison.Ordinal) || name.StartsWith("rd_", StringComparison.Ordinal);
    }

    private static PreserveException Refuse(LoadedManifest m, List<string> problems, string instead) =>
        new(FailureKind.Usage, $"{m.Capsule}@v{m.Version}'s own kernel cannot boot a replay: {string.Join("; ", problems)}. {char.ToUpperInvariant(instead[0])}{instead[1..]}.");

    private static Dictionary<string, string> ReadConfig(string file)
    {
        var config = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(file))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (line.StartsWith("CONFIG_", StringComparison.Ordinal) && eq > 0)
            {
                config[line[..eq]] = line[(eq + 1)..].Trim('"');
            }
        }

        return config;
    }

    // modules.dep: "kernel/fs/overlayfs/overlay.ko: kernel/x/dep.ko ...", each dependency needed before the module.
    private static Dictionary<string, string[]> ReadModulesDep(string file)
    {
        var deps = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!File.Exists(file))
        {
            return deps;
        }

        foreach (string line in File.ReadLines(file))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && !line[..colon].Contains("..", StringComparison.Ordinal) && !line.StartsWith('/'))
            {
                deps[line[..colon]] = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(d => !d.Contains("..", StringComparison.Ordinal) && !d.StartsWith('/')).ToArray();
            }
        }

        return deps;
    }

    private static string? FindModule(Dictionary<string, string[]> deps, string name) =>
        deps.Keys.Where(k => Path.GetFileName(StripCompression(k)) == name + ".ko").Order(StringComparer.Ordinal).FirstOrDefault();

    private static void AddWithDependencies(Dictionary<string, string[]> deps, string path, List<string> wanted)
    {
        if (wanted.Contains(path))
        {
            return;
        }

        // modprobe loads a module's dependencies from the end of its list to the start.
        foreach (string dep in deps.GetValueOrDefault(path, []).Reverse())
        {
            AddWithDependencies(deps, dep, wanted);
        }

        wanted.Add(path);
    }

    private static string StripCompression(string path) =>
        path.EndsWith(".ko.xz", StringComparison.Ordinal) || path.EndsWith(".ko.gz", StringComparison.Ordinal) ? path[..^3]
        : path.EndsWith(".ko.zst", StringComparison.Ordinal) ? path[..^4]
        : path;

    // busybox's insmod takes plain .ko files: compressed modules are unpacked here.
    private static async Task<byte[]> ReadModuleAsync(string file, CancellationToken cancellationToken)
    {
        if (file.EndsWith(".ko.gz", StringComparison.Ordinal))
        {
            await using var gz = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
            using var buffer = new MemoryStream();
            await gz.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer.ToArray();
        }

        string? tool = file.EndsWith(".ko.xz", StringComparison.Ordinal) ? "xz" : file.EndsWith(".ko.zst", StringComparison.Ordinal) ? "zstd" : null;
        if (tool is null)
        {
            return await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
        }

        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-d", "-c", "--", file })
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi) ?? throw new PreserveException(FailureKind.Environment, $"could not start {tool} to unpack {file}.");
        using var output = new MemoryStream();
        Task<string> err = p.StandardError.ReadToEndAsync(cancellationToken);
        await p.StandardOutput.BaseStream.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
        await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return p.ExitCode == 0 ? output.ToArray() : throw new PreserveException(FailureKind.Environment, $"{tool} -d {file} failed: {(await err.ConfigureAwait(false)).Trim()}");
    }
}
