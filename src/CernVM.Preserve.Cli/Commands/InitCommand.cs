using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

public static class InitCommand
{
    public static Command Create()
    {
        var location = new Argument<string?>("ARCHIVE") { Arity = ArgumentArity.ZeroOrOne, Description = "Where to make the archive (default: --archive, then the default archive)." };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("init", "Make a new, empty archive: declaration, FORMAT.md, archive.json and schemas.") { location, json };
        cmd.SetAction(async (parse, ct) =>
        {
            string? text = parse.GetValue(location) ?? parse.GetValue(CommonOptions.Archive);
            ArchiveLocation where = ArchiveLocation.Resolve(text);
            await using Archive archive = await Archive.InitAsync(where.CreateStore(), null, ct);
            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject { ["archive"] = archive.Location, ["id"] = archive.Descriptor.Id, ["format"] = archive.Descriptor.Format });
            }
            else
            {
                Output.Line($"initialised archive {archive.Location} (format {archive.Descriptor.Format}, id {archive.Descriptor.Id})");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
