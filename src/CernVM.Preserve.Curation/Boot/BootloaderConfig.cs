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

/// <summary>
/// GRUB legacy (0.97) grub.conf / menu.lst, as Red Hat's and Scientific Linux 4/5's installers wrote them:
/// <c>default=N</c> (or <c>default N</c>, or <c>default saved</c>), then <c>title</c> blocks with <c>root</c>,
/// <c>kernel PATH ARGS</c> and <c>initrd PATH</c> (GNU GRUB manual, "Configuration" and "Command-line and menu
/// entry commands").
/// </summary>
public static class GrubLegacyConfig
{
    public static BootloaderConfig Parse(string text)
    {
        var entries = new List<BootEntry>();
        var warnings = new List<string>();
        string? defaultSetting = null;
        string? title = null, root = null, kernel = null, cmdline = null;
        var initrds = new List<string>();
        string? globalRoot = null;

        void Flush()
        {
            if (title is not null)
            {
                entries.Add(new BootEntry(title, kernel, initrds.LastOrDefault(), cmdline, root, entries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)) { Initrds = [.. initrds] });
            }

            title = kernel = cmdline = null;
            root = globalRoot;
            initrds.Clear();
        }

        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            // A command and its arguments are separated by blanks or by '=' (default=0, timeout=5).
            int split = line.IndexOfAny([' ', '\t', '=']);
            string command = split < 0 ? line : line[..split];
            string rest = split < 0 ? "" : line[(split + 1)..].Trim();
            switch (command)
            {
                case "title":
                    Flush();
                    title = rest;
                    break;
                case "default" when title is null:
                    defaultSetting = rest;
                    break;
                case "root" or "rootnoverify":
                    if (title is null)
                    {
                        globalRoot = rest;
                    }

                    root = rest;
                    break;
                case "kernel" when title is not null:
                    (string path, string? device) = SplitDevice(FirstWord(rest, out string args));
                    kernel = path;
                    cmdline = args;
                    root = device ?? root;
                    break;
                case "initrd" or "module" when title is not null && kernel is not null:
                    initrds.Add(SplitDevice(FirstWord(rest, out _)).Path);
                    break;
            }
        }

        Flush();
        int? index = null;
        if (entries.Count > 0)
        {
            if (defaultSetting is null)
            {
                index = 0;
            }
            else if (int.TryParse(defaultSetting, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n < entries.Count)
            {
                index = n;
            }
            else
            {
                index = 0;
                warnings.Add(defaultSetting == "saved"
                    ? "grub.conf says 'default saved': the default is whatever /boot/grub/default held at boot time; the first entry is taken"
                    : $"grub.conf's default '{defaultSetting}' names no entry ({entries.Count} entries); GRUB boots the first");
            }
        }

        return new BootloaderConfig("grub-legacy", entries, index, defaultSetting, warnings);
    }

    /// <summary>"(hd0,0)/vmlinuz" → ("/vmlinuz", "(hd0,0)").</summary>
    internal static (string Path, string? Device) SplitDevice(string path)
    {
        if (path.StartsWith('('))
        {
            int close = path.IndexOf(')');
            if (close > 0)
            {
                string rest = path[(close + 1)..];
                return (rest.Length == 0 ? "/" : rest, path[..(close + 1)]);
            }
        }

        return (path, null);
    }

    internal static string FirstWord(string text, out string rest)
    {
        text = text.Trim();
        int space = text.IndexOfAny([' ', '\t']);
        rest = space < 0 ? "" : text[(space + 1)..].Trim();
        return space < 0 ? text : text[..space];
    }
}

/// <summary>
/// extlinux / syslinux / isolinux configuration (syslinux wiki, "Config"): keywords case-insensitive,
/// <c>DEFAULT</c> a label (or, in the old form, a kernel and its arguments), <c>LABEL</c> blocks with
/// <c>KERNEL</c>/<c>LINUX</c>, <c>APPEND</c> (with <c>initrd=</c> in it, comma-separated), <c>INITRD</c>,
/// <c>MENU LABEL</c> and <c>MENU DEFAULT</c>. micro-CernVM's isolinux.cfg has this shape.
/// </summary>
public static class ExtlinuxConfig
{
    public static BootloaderConfig Parse(string text)
    {
        var entries = new List<BootEntry>();
        var labels = new List<string>();
        var warnings = new List<string>();
        string? defaultSetting = null;
        int? menuDefault = null;
        string? label = null, title = null, kernel = null, append = null, initrd = null;
        string? globalAppend = null;

        void Flush()
        {
            if (label is not null)
            {
                entries.Add(Entry(title ?? label, kernel, append ?? globalAppend, initrd, label));
                labels.Add(label);
            }

            label = title = kernel = append = initrd = null;
        }

        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            string keyword = GrubLegacyConfig.FirstWord(line, out string rest).ToUpperInvariant();
            switch (keyword)
            {
                case "LABEL":
                    Flush();
                    label = rest;
                    break;
                case "DEFAULT":
                    defaultSetting = rest;
                    break;
                case "KERNEL" or "LINUX" when label is not null:
                    kernel = rest;
                    break;
                case "APPEND":
                    if (label is null)
                    {
                        globalAppend = rest;
                    }
                    else
                    {
                        append = rest;
                    }

                    break;
                case "INITRD" when label is not null:
                    initrd = rest;
                    break;
                case "MENU":
                    string sub = GrubLegacyConfig.FirstWord(rest, out string value).ToUpperInvariant();
                    if (sub == "LABEL" && label is not null)
                    {
                        title = value.Replace("^", "", StringComparison.Ordinal);
                    }
                    else if (sub == "DEFAULT" && label is not null)
                    {
                        menuDefault = entries.Count;
                    }

                    break;
            }
        }

        Flush();
        int? index = menuDefault;
        if (index is null && defaultSetting is not null)
        {
            int byLabel = labels.IndexOf(defaultSetting);
            if (byLabel >= 0)
            {
                index = byLabel;
            }
            else
            {
                // The old form: DEFAULT names a kernel, with its arguments, instead of a label.
                string k = GrubLegacyConfig.FirstWord(defaultSetting, out string args);
                entries.Add(Entry(defaultSetting, k, args.Length > 0 ? args : globalAppend, null, "DEFAULT"));
                index = entries.Count - 1;
            }
        }

        if (index is null && entries.Count > 0)
        {
            index = 0;
            if (entries.Count > 1)
            {
                warnings.Add("no DEFAULT or MENU DEFAULT: syslinux boots the first label");
            }
        }

        return new BootloaderConfig("extlinux", entries, index, defaultSetting, warnings);
    }

    private static BootEntry Entry(string title, string? kernel, string? append, string? initrd, string id)
    {
        if (append is "-")
        {
            append = null;
        }

        // initrd= in APPEND names the initrd (several, comma-separated); syslinux passes the line on as it is.
        var initrds = new List<string>();
        foreach (string word in (append ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (word.StartsWith("initrd=", StringComparison.Ordinal))
            {
                initrds.AddRange(word["initrd=".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries));
            }
        }

        if (initrd is not null)
        {
            initrds.AddRange(initrd.Split(',', StringSplitOptions.RemoveEmptyEntries));
        }

        return new BootEntry(title, kernel, initrds.LastOrDefault(), append, null, id) { Initrds = initrds };
    }
}
