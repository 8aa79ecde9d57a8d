using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

public static class ListCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("NAME") { Arity = ArgumentArity.ZeroOrOne, Description = "Optional: only this capsule (without it, every capsule)." };
        var all = new Option<bool>("--all") { Description = "Also list incomplete versions (interrupted snapshots, which do not exist as versions)." };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("list", "List capsules and their versions.") { name, all, json };
        cmd.SetAction(async (parse, ct) =>
        {
            await using Archive archive = await CommonOptions.OpenArchiveAsync(parse, ArchiveAccess.Read, ct);
            IReadOnlyList<VersionListing> listings = parse.GetValue(name) is string n
                ? await archive.ListVersionsAsync(CommonOptions.ParseName(n), ct)
                : await archive.ListAllVersionsAsync(ct);
            var rows = new JsonArray();
            var lines = new List<string>();
            foreach (VersionListing v in listings)
            {
                CapsuleName c = v.Capsule;
                if (!v.Complete && !parse.GetValue(all))
                {
                    continue;
                }

                if (!v.Complete)
                {
                    rows.Add((JsonNode)new JsonObject { ["capsule"] = c.Value, ["version"] = v.Version, ["complete"] = false });
                    lines.Add($"{c}@v{v.Version}  (incomplete: never committed)");
                    continue;
                }

                LoadedManifest m = await archive.ReadManifestAsync(c, v.Version, ct);
                rows.Add((JsonNode)new JsonObject
                {
                    ["capsule"] = c.Value,
                    ["version"] = v.Version,
                    ["complete"] = true,
                    ["created"] = m.Manifest.Created,
                    ["entries"] = m.Manifest.Tree.Entries,
                    ["bytes"] = m.Manifest.Tree.Bytes,
                    ["signed"] = m.Signature is not null,
                    ["title"] = m.Manifest.Title,
                    ["manifestSha256"] = m.Sha256,
                });
                lines.Add($"{(c + "@v" + v.Version),-32} {m.Manifest.Created[..19].Replace('T', ' ')}  {m.Manifest.Tree.Entries,9:N0} entries  {Output.Size(m.Manifest.Tree.Bytes),10}{(m.Signature is null ? "" : "  signed")}  {m.Manifest.Title}");
            }

            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject { ["archive"] = archive.Location, ["versions"] = rows });
            }
            else if (lines.Count == 0)
            {
                Output.Line($"no capsules in {archive.Location}");
            }
            else
            {
                lines.ForEach(Output.Line);
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
