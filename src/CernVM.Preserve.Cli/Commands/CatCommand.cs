using System.CommandLine;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
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
            await using Archive archive = await CommonOptions.Location(parse).OpenAsync(ct);
            LoadedManifest m = await archive.ResolveAsync(CommonOptions.ParseRef(parse.GetValue(reference)), ct);
            List<TreeEntry> entries = await CatalogAccess.LoadAsync(archive, m, ct);
            TreeEntry e = CatalogAccess.Find(entries, parse.GetValue(path), m);
            if (e.HardlinkTo is long h)
            {
                e = entries.First(x => x.Id == h);
            }

            if (e.Kind != EntryKind.File)
            {
                throw new PreserveException(FailureKind.Usage, $"'/{e.DisplayPath}' is a {Catalog.EntryKinds.Name(e.Kind)}, not a regular file" + (e.Kind == EntryKind.Symlink ? $" (it points to '{PathBytes.ToDisplay(e.LinkTarget ?? [])}')." : "."));
            }

            if (e.State != EntryState.Captured)
            {
                throw new PreserveException(FailureKind.NotFound, $"'/{e.DisplayPath}' has no content in the archive: it was {e.State.ToString().ToLowerInvariant()} at capture ({e.Note}).");
            }

            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            await using Stream stdout = Console.OpenStandardOutput();
            long pos = 0;
            var zeros = new byte[64 * 1024];
            foreach (Extent x in e.Extents.OrderBy(x => x.Offset))
            {
                pos = await WriteZerosAsync(stdout, hash, zeros, x.Offset - pos, pos, ct);
                byte[] blob = await archive.Blobs.GetAsync(x.Blob, ct);
                var slice = new ReadOnlyMemory<byte>(blob, (int)x.BlobOffset, (int)x.Length);
                hash.AppendData(slice.Span);
                await stdout.WriteAsync(slice, ct);
                pos += x.Length;
            }

            await WriteZerosAsync(stdout, hash, zeros, e.Size - pos, pos, ct);
            await stdout.FlushAsync(ct);
            if (e.Content is BlobId c && BlobId.FromDigest(hash.GetHashAndReset()) != c)
            {
                throw new PreserveException(FailureKind.Integrity, $"'/{e.DisplayPath}': the content written does not match its recorded SHA-256 {c}.");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static async Task<long> WriteZerosAsync(Stream s, System.Security.Cryptography.IncrementalHash hash, byte[] zeros, long count, long pos, CancellationToken ct)
    {
        while (count > 0)
        {
            int n = (int)Math.Min(count, zeros.Length);
            hash.AppendData(zeros, 0, n);
            await s.WriteAsync(zeros.AsMemory(0, n), ct);
            count -= n;
            pos += n;
        }

        return pos;
    }
}
