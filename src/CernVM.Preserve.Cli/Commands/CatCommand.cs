using System.CommandLine;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

public static class CatCommand
{
    public static Command Create()
    {
        var reference = new Argument<string>("NAME[@vN]") { Description = "The capsule version (default: newest)." };
        var path = new Argument<string>("PATH") { Description = "A regular file in the tree." };
        var cmd = new Command("cat", "Write a file of a capsule version to stdout, verified against its SHA-256.") { reference, path };
        cmd.SetAction(async (parse, ct) =>
        {
            await using Archive archive = await CommonOptions.OpenArchiveAsync(parse, ArchiveAccess.Read, ct);
            LoadedManifest m = await archive.ResolveAsync(CommonOptions.ParseRef(parse.GetValue(reference)), ct);
            LoadedTree tree = await TreeLoader.LoadAsync(archive, m, ct);
            await using Stream stdout = Console.OpenStandardOutput();
            await new TreeFileReader(archive).CopyToAsync(tree, tree.Resolve(parse.GetValue(path)), stdout, ct);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
