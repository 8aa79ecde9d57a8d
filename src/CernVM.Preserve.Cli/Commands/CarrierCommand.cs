using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Engine.Archiver;
using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Replay.Carrier;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

/// <summary><c>carrier import|list</c>: replay carriers stored in the archive as capsules of their own.</summary>
public static class CarrierCommand
{
    public static Command Create()
    {
        var cmd = new Command("carrier", "Replay carriers (kernel and initramfs that boot a capsule), stored in the archive as capsules.");
        cmd.Subcommands.Add(Import());
        cmd.Subcommands.Add(List());
        return cmd;
    }

    private static Command Import()
    {
        var dir = new Argument<string>("DIR") { Description = "A carrier kit made by tools/make-carrier.sh." };
        var name = new Option<string?>("--name", "-n") { Description = $"The carrier capsule's name (must start with '{CarrierCapsules.Prefix}'; default: {CarrierCapsules.Prefix}<kernel release>)." };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("import", "Store a carrier kit in the archive as a capsule, so that replays need nothing from the network.") { dir, name, json };
        cmd.SetAction(async (parse, ct) =>
        {
            string source = Path.GetFullPath(parse.GetValue(dir)!);
            CarrierKit kit = CarrierKit.Load(source);
            CapsuleName capsule = parse.GetValue(name) is string n ? CommonOptions.ParseName(n) : CarrierCapsules.DefaultName(kit);
            if (!capsule.Value.StartsWith(CarrierCapsules.Prefix, StringComparison.Ordinal))
            {
                throw new PreserveException(FailureKind.Usage, $"--name {capsule}: a carrier capsule's name starts with '{CarrierCapsules.Prefix}' (that is how replays find carriers).");
            }

            await using Archive archive = await CommonOptions.OpenArchiveAsync(parse, ArchiveAccess.Write, ct);
            SnapshotResult r = await new TreeSnapshotter(archive).SnapshotAsync(
                new SnapshotOptions { Source = source, Tree = new DirectoryTreeSource(source, []), Capsule = capsule, Title = "replay carrier: " + kit.Describe() },
                ct);
            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject { ["capsule"] = r.Version.Capsule.Value, ["version"] = r.Version.Version, ["manifestSha256"] = r.Version.Sha256, ["kernelRelease"] = kit.KernelRelease, ["description"] = kit.Describe() });
            }
            else
            {
                Output.Line($"carrier {r.Version.Capsule}@v{r.Version.Version}: {kit.Describe()}");
            }

            SnapshotCommand.WarnIfUnrecorded(r);

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command List()
    {
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("list", "List the carriers in the archive.") { json };
        cmd.SetAction(async (parse, ct) =>
        {
            await using Archive archive = await CommonOptions.OpenArchiveAsync(parse, ArchiveAccess.Read, ct);
            IReadOnlyList<CarrierVersion> all = await new CarrierCapsules(archive).ListAsync(ct);
            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject
                {
                    ["carriers"] = new JsonArray(all.Select(c => (JsonNode)new JsonObject { ["capsule"] = c.Capsule.Value, ["version"] = c.Version, ["title"] = c.Title }).ToArray()),
                });
            }
            else if (all.Count == 0)
            {
                Output.Line($"no carriers in {archive.Location} (tools/make-carrier.sh DIR, then 'cvmpreserve carrier import DIR')");
            }
            else
            {
                foreach (CarrierVersion c in all)
                {
                    Output.Line($"{(c.Capsule + "@v" + c.Version),-40} {c.Title}");
                }
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
