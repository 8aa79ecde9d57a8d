namespace CernVM.Preserve.Curation.Boot;

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
