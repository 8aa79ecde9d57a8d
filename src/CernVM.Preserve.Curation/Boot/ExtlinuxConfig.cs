namespace CernVM.Preserve.Curation.Boot;

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
