using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Engine.Archiver;
using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Audit;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Cli.Commands;

/// <summary><c>journal</c>: the archive's history, its hash chain verified (FORMAT.md §7.1).</summary>
public static class JournalCommand
{
    public static Command Create()
    {
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("journal", "List the journal's events and verify its hash chain. Exit 3 when the chain is broken or an event edited.") { json };
        cmd.SetAction(async (parse, ct) =>
        {
            ArchiveLocation location = CommonOptions.Location(parse);
            if (location.LocalPath is string dir && !Directory.Exists(dir))
            {
                throw new PreserveException(FailureKind.NotAnArchive, $"{dir} does not exist: there is no archive.");
            }

            await using IObjectStore store = await location.CreateStoreAsync(ct);
            if (!await store.ExistsAsync(Core.Format.ArchiveLayout.Declaration, ct))
            {
                throw new PreserveException(FailureKind.NotAnArchive, $"{store.Location} is not a CernVM.Preserve archive (no {Core.Format.ArchiveLayout.Declaration} file).");
            }

            JournalCheck check = await JournalVerifier.VerifyAsync(store, ct);
            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject
                {
                    ["archive"] = store.Location,
                    ["chainIntact"] = check.ChainIntact,
                    ["head"] = check.Head is null ? null : new JsonObject { ["key"] = check.Head.Key, ["sha256"] = check.Head.Sha256 },
                    ["events"] = new JsonArray([.. check.Events.Select(e => (JsonNode)new JsonObject
                    {
                        ["key"] = e.Key,
                        ["sha256"] = e.Sha256,
                        ["eventType"] = e.EventType,
                        ["dateTime"] = e.DateTime,
                        ["outcome"] = e.Outcome,
                        ["objects"] = new JsonArray([.. e.Objects.Select(o => (JsonNode)JsonValue.Create(o))]),
                        ["detail"] = e.Detail,
                        ["previousEvent"] = e.Previous is null ? null : new JsonObject { ["key"] = e.Previous.Key, ["sha256"] = e.Previous.Sha256 },
                        ["fixity"] = e.Fixity is null ? null : Core.Format.CanonicalJson.ToNode(e.Fixity),
                    })]),
                    ["findings"] = new JsonArray([.. check.Findings.Select(AuditCommand.FindingJson)]),
                });
            }
            else
            {
                foreach (JournalEvent e in check.Events)
                {
                    Output.Line($"{e.DateTime[..19].Replace('T', ' ')}  {e.EventType,-19} {e.Outcome,-8} {string.Join(" ", e.Objects.Take(4))}{(e.Objects.Count > 4 ? $" +{e.Objects.Count - 4}" : "")}  {e.Detail}");
                }

                Output.Line(check.Events.Count == 0 ? "the journal is empty" : $"{check.Events.Count} events; head {check.Head!.Key} sha256 {check.Head.Sha256}");
                foreach (Finding f in check.Findings)
                {
                    Output.Line($"{(f.IsError ? "error  " : "warning")} {f.Code.Code} {f.Message}");
                }

                Output.Line(check.ChainIntact ? "chain intact" : "chain BROKEN");
            }

            return check.ChainIntact ? ExitCodes.Ok : ExitCodes.Integrity;
        });
        return cmd;
    }
}
