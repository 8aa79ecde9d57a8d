namespace CernVM.Preserve.Curation.Boot;

/// <summary>One boot entry of a bootloader configuration.</summary>
/// <param name="Title">The menu title (GRUB) or label (syslinux).</param>
/// <param name="Kernel">The kernel path as the configuration writes it, device prefix removed.</param>
/// <param name="Initrd">The initrd path (the last one when several are loaded, the first ones being early microcode).</param>
/// <param name="Cmdline">The kernel command line.</param>
/// <param name="Root">GRUB's root device for the entry ("(hd0,0)", "hd0,msdos1"), when set.</param>
/// <param name="Id">GRUB 2's entry id (<c>$menuentry_id_option 'id'</c>), or the position path ("2>0" in a submenu).</param>
public sealed record BootEntry(string Title, string? Kernel, string? Initrd, string? Cmdline, string? Root, string Id)
{
    /// <summary>Every initrd the entry loads, in order.</summary>
    public IReadOnlyList<string> Initrds { get; init; } = Initrd is null ? [] : [Initrd];
}

/// <summary>A parsed bootloader configuration and the entry it boots by default.</summary>
/// <param name="Format"><c>grub-legacy</c>, <c>grub2</c> or <c>extlinux</c> (also syslinux, isolinux, pxelinux).</param>
/// <param name="Entries">Every boot entry, in menu order (GRUB 2 submenus flattened, their entries' ids "N>M").</param>
/// <param name="DefaultIndex">Index in <see cref="Entries"/> of the default entry; null when there is no entry.</param>
/// <param name="DefaultSetting">The default as written ("0", "saved", "${saved_entry}", a label).</param>
/// <param name="Warnings">What could not be decided statically (a default chosen by a script at boot time).</param>
public sealed record BootloaderConfig(string Format, IReadOnlyList<BootEntry> Entries, int? DefaultIndex, string? DefaultSetting, IReadOnlyList<string> Warnings)
{
    public BootEntry? Default => DefaultIndex is int i ? Entries[i] : null;

    /// <summary>
    /// Parses a configuration, its kind known by its file name (grub.conf, menu.lst → GRUB legacy; grub.cfg →
    /// GRUB 2; extlinux.conf, syslinux.cfg, isolinux.cfg, pxelinux.cfg/* → extlinux) or else by its content.
    /// <paramref name="grubEnvironment"/> holds GRUB 2's saved variables (grubenv), when known.
    /// </summary>
    public static BootloaderConfig Parse(string fileName, string text, IReadOnlyDictionary<string, string>? grubEnvironment = null)
    {
        string name = Path.GetFileName(fileName).ToLowerInvariant();
        string format = name switch
        {
            "grub.conf" or "menu.lst" => "grub-legacy",
            "grub.cfg" => "grub2",
            "extlinux.conf" or "syslinux.cfg" or "isolinux.cfg" => "extlinux",
            _ when fileName.Contains("pxelinux.cfg", StringComparison.Ordinal) => "extlinux",
            _ => Sniff(text),
        };
        return format switch
        {
            "grub-legacy" => GrubLegacyConfig.Parse(text),
            "grub2" => Grub2Config.Parse(text, grubEnvironment),
            _ => ExtlinuxConfig.Parse(text),
        };
    }

    /// <summary>Parses a grubenv file (GRUB 2's saved environment block: <c>name=value</c> lines, '#' padding).</summary>
    public static Dictionary<string, string> ParseGrubEnvironment(string text)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            int eq = line.IndexOf('=');
            if (eq > 0)
            {
                env[line[..eq]] = line[(eq + 1)..].TrimEnd('\r');
            }
        }

        return env;
    }

    private static string Sniff(string text)
    {
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("menuentry", StringComparison.Ordinal) || line.StartsWith("submenu", StringComparison.Ordinal))
            {
                return "grub2";
            }

            if (line.StartsWith("title", StringComparison.Ordinal))
            {
                return "grub-legacy";
            }

            if (line.StartsWith("label", StringComparison.OrdinalIgnoreCase))
            {
                return "extlinux";
            }
        }

        return "extlinux";
    }
}
