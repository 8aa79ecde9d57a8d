using System.Globalization;
using System.Text;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Replay.Images;

/// <summary>
/// What a tree reconstituted without root lacks, written into its image afterwards: every entry's recorded owner
/// (a user's restore leaves everything owned by that user) and the device nodes only root can make. It edits the
/// image file with <c>debugfs -w</c> (e2fsprogs, like mke2fs): no loop mount, no root. A name debugfs's command
/// language cannot carry (a double quote, a control character, bytes that are not UTF-8) is left as restored and
/// said in the notes.
/// </summary>
public static class ImageOwnership
{
    /// <summary>The debugfs commands that give the image the tree's owners and device nodes; and the entries they cannot name.</summary>
    /// <param name="present">Whether the restored tree holds the entry (a device node a user could not make does not).</param>
    public static (string Script, IReadOnlyList<string> Unnamed) Script(IEnumerable<TreeEntry> entries, Func<TreeEntry, bool> present)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(present);
        var script = new StringBuilder();
        var unnamed = new List<string>();
        foreach (TreeEntry e in entries)
        {
            if (e.State != EntryState.Captured || e.HardlinkTo is not null)
            {
                continue; // not in the image as recorded, or the same inode as its first name
            }

            string? name = Quoted(e.Path);
            if (name is null)
            {
                unnamed.Add(e.DisplayPath);
                continue;
            }

            if (e.Kind is EntryKind.CharDevice or EntryKind.BlockDevice && !present(e))
            {
                // debugfs's mknod makes the name in its current directory: change into the parent first.
                int slash = Array.LastIndexOf(e.Path, (byte)'/');
                string parent = slash < 0 ? "\"/\"" : Quoted(e.Path[..slash])!;
                string leaf = "\"" + Encoding.UTF8.GetString(e.Path, slash + 1, e.Path.Length - slash - 1) + "\"";
                script.Append(CultureInfo.InvariantCulture, $"cd {parent}\nmknod {leaf} {(e.Kind == EntryKind.CharDevice ? 'c' : 'b')} {e.DeviceMajor} {e.DeviceMinor}\ncd \"/\"\n");
                int type = e.Kind == EntryKind.CharDevice ? 0x2000 : 0x6000;
                script.Append(CultureInfo.InvariantCulture, $"sif {name} mode 0{Convert.ToString(type | (e.Mode & 0xfff), 8)}\n");
                script.Append(CultureInfo.InvariantCulture, $"sif {name} mtime {e.MtimeSeconds}\n");
            }
            else if (!present(e))
            {
                continue;
            }

            script.Append(CultureInfo.InvariantCulture, $"sif {name} uid {e.Uid}\nsif {name} gid {e.Gid}\n");
        }

        return (script.ToString(), unnamed);
    }

    /// <summary>Writes the owners and device nodes of <paramref name="entries"/> into the ext4 image <paramref name="image"/>.</summary>
    public static async Task<IReadOnlyList<string>> ApplyAsync(IEnumerable<TreeEntry> entries, string treeDirectory, string image, CancellationToken cancellationToken)
    {
        (string script, IReadOnlyList<string> unnamed) = Script(entries, e => Exists(Path.Combine(treeDirectory, e.DisplayPath)));
        string file = image + ".debugfs";
        await File.WriteAllTextAsync(file, script, cancellationToken).ConfigureAwait(false);
        try
        {
            await ExternalProgram.RunAsync("debugfs", "e2fsprogs", ["-w", "-f", file, image], cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(file);
        }

        var notes = new List<string> { "owners and device nodes written into the image with debugfs (the tree was reconstituted without root)" };
        notes.AddRange(unnamed.Select(u => $"/{u}: owner left as restored (its name cannot be given to debugfs)"));
        return notes;
    }

    // The entry itself, not what a symlink names (a dangling link is there too).
    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;

    // debugfs reads a command's arguments like a shell's words: a double-quoted name keeps its spaces.
    private static string? Quoted(byte[] path)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(path);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        return text.Any(c => c == '"' || char.IsControl(c)) ? null : "\"/" + text + "\"";
    }
}
