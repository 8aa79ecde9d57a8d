using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

public static class LsCommand
{
    public static Command Create()
    {
        var reference = new Argument<string>("NAME[@vN]") { Description = "The capsule version (default: newest)." };
        var path = new Argument<string?>("PATH") { Arity = ArgumentArity.ZeroOrOne, Description = "Optional: a directory or entry in the tree (without it, the root)." };
        var recursive = new Option<bool>("--recursive", "-R") { Description = "List everything below PATH." };
        var longFormat = new Option<bool>("--long", "-l") { Description = "Show mode, owner, size and mtime." };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("ls", "List the entries of a capsule version's tree.") { reference, path, recursive, longFormat, json };
        cmd.SetAction(async (parse, ct) =>
        {
            await using Archive archive = await CommonOptions.OpenArchiveAsync(parse, ArchiveAccess.Read, ct);
            LoadedManifest m = await archive.ResolveAsync(CommonOptions.ParseRef(parse.GetValue(reference)), ct);
            LoadedTree tree = await TreeLoader.LoadAsync(archive, m, ct);
            TreeEntry start = tree.Resolve(parse.GetValue(path));
            IEnumerable<TreeEntry> shown = start.Kind != EntryKind.Directory ? [start]
                : parse.GetValue(recursive) ? tree.Descendants(start)
                : tree.Children(start);

            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject { ["capsule"] = m.Capsule.Value, ["version"] = m.Version, ["entries"] = new JsonArray(shown.Select(e => (JsonNode)Output.EntryJson(e)).ToArray()) });
                return ExitCodes.Ok;
            }

            bool lng = parse.GetValue(longFormat);
            foreach (TreeEntry e in shown)
            {
                string name = "/" + e.DisplayPath;
                string suffix = e.Kind == EntryKind.Symlink ? " -> " + PathBytes.ToDisplay(e.LinkTarget ?? []) : "";
                if (e.HardlinkTo is long h)
                {
                    suffix += " => /" + tree[h].DisplayPath;
                }

                if (e.State != EntryState.Captured)
                {
                    suffix += $"  [{e.State.ToString().ToLowerInvariant()}: {e.Note}]";
                }

                if (!lng)
                {
                    Output.Line(name + suffix);
                    continue;
                }

                string size = e.Kind is EntryKind.CharDevice or EntryKind.BlockDevice ? $"{e.DeviceMajor}, {e.DeviceMinor}" : e.Size.ToString(System.Globalization.CultureInfo.InvariantCulture);
                Output.Line($"{Output.ModeString(e)} {e.UserName ?? e.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture),-8} {e.GroupName ?? e.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture),-8} {size,12} {Output.Time(e.MtimeSeconds, e.MtimeNanoseconds)} {name}{suffix}");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
