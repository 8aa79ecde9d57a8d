using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Cvmfs;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

/// <summary>`export NAME --cvmfs-stratum DIR`: a capsule's CernVM-FS revisions written back as repositories.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var reference = new Argument<string>("NAME[@vN]") { Description = "The capsule version (default: newest)." };
        var stratum = new Option<string>("--cvmfs-stratum")
        {
            Description = "Write each archived CernVM-FS revision as a repository at DIR/<fqrn> (the stratum layout a client or a web server serves).",
            HelpName = "DIR",
            Required = true,
        };
        var fqrn = new Option<string?>("--fqrn") { Description = "Export only this repository." };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("export", "Write a capsule's CernVM-FS revisions back as repositories, verified object by object.") { reference, stratum, fqrn, json };
        cmd.SetAction(async (parse, ct) =>
        {
            await using Archive archive = await CommonOptions.OpenArchiveAsync(parse, ArchiveAccess.Read, ct);
            LoadedManifest m = await archive.ResolveAsync(CommonOptions.ParseRef(parse.GetValue(reference)), ct);
            string? only = parse.GetValue(fqrn);
            List<CvmfsComponent> revisions = (m.Manifest.Components?.Cvmfs ?? [])
                .Where(c => only is null || c.Fqrn == only).ToList();
            if (revisions.Count == 0)
            {
                throw new PreserveException(FailureKind.NotFound, only is null
                    ? $"{m.Capsule}@v{m.Version} holds no CernVM-FS revision."
                    : $"{m.Capsule}@v{m.Version} holds no CernVM-FS revision of {only}.");
            }

            string where = $"{archive.Location}/{ArchiveLayout.Manifest(m.Capsule, m.Version)}";
            List<string> directories = revisions.Select(c => CvmfsStratumExporter.RepositoryDirectory(parse.GetValue(stratum)!, c.Fqrn, where)).ToList();
            List<TreeEntry> entries = (await TreeLoader.LoadAsync(archive, m, ct)).Entries;
            var exporter = new CvmfsStratumExporter(archive);
            var results = new JsonArray();
            foreach ((CvmfsComponent c, string directory) in revisions.Zip(directories))
            {
                CvmfsExportResult r = await exporter.ExportAsync(entries, c, directory, ct);
                results.Add((JsonNode)new JsonObject
                {
                    ["fqrn"] = r.Fqrn,
                    ["directory"] = r.Directory,
                    ["rootHash"] = r.RootHash,
                    ["objectsKept"] = r.ObjectsKept,
                    ["objectsRebuilt"] = r.ObjectsRebuilt,
                    ["objectsOmitted"] = r.ObjectsOmitted,
                    ["bytes"] = r.Bytes,
                });
                if (!parse.GetValue(json))
                {
                    Output.Line($"{r.Fqrn}: {r.Directory}, {r.ObjectsKept + r.ObjectsRebuilt} objects ({r.ObjectsKept} kept, {r.ObjectsRebuilt} rebuilt from the tree), {Output.Size(r.Bytes)}");
                    Output.Line($"  mount this revision with CVMFS_ROOT_HASH={r.RootHash}");
                    if (r.ObjectsOmitted > 0)
                    {
                        Output.Warn($"{r.Fqrn}: {r.ObjectsOmitted} objects are not in the capsule (its shrinkwrap spec left their files out): the repository is partial.");
                    }
                }
            }

            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject { ["capsule"] = m.Capsule.ToString(), ["version"] = m.Version, ["repositories"] = results });
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
