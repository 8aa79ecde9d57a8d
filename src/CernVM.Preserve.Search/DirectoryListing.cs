using System.Security.Cryptography;
using System.Text;

namespace CernVM.Preserve.Search;

/// <summary>
/// One directory of a version's tree with the names it holds: the unit in which the index keeps paths. A
/// listing is named by a hash of the directory's path and its children's names, so the versions of a capsule
/// that share a directory unchanged (nearly all of them, nearly all directories) and capsules that hold the same
/// package's directories share one listing document: a version's document names its listings, and a path query
/// finds the listings, then the versions that name them (docs/ARCHITECTURE.md §Search index).
/// </summary>
/// <param name="Id">32 hex digits: the first 16 bytes of the SHA-256 of the directory's path and its children's names, each ended by a NUL.</param>
/// <param name="Directory">The directory's path (<c>/</c> for the root).</param>
/// <param name="Children">The full paths of the entries the directory holds, in ordinal order.</param>
public sealed record DirectoryListing(string Id, string Directory, IReadOnlyList<string> Children)
{
    /// <summary>The listings of a tree given as its entries' absolute paths (every ancestor of an entry is an entry too).</summary>
    public static IReadOnlyList<DirectoryListing> Of(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var byDirectory = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string path in paths)
        {
            int slash = path.LastIndexOf('/');
            string parent = slash <= 0 ? "/" : path[..slash];
            if (!byDirectory.TryGetValue(parent, out List<string>? children))
            {
                byDirectory[parent] = children = [];
            }

            children.Add(path);
        }

        var listings = new List<DirectoryListing>(byDirectory.Count);
        byte[] buffer = new byte[4096];
        foreach ((string directory, List<string> children) in byDirectory)
        {
            children.Sort(StringComparer.Ordinal);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Append(hash, directory, ref buffer);
            int skip = directory == "/" ? 1 : directory.Length + 1;
            foreach (string child in children)
            {
                Append(hash, child.AsSpan(skip), ref buffer);
            }

            listings.Add(new DirectoryListing(Convert.ToHexStringLower(hash.GetCurrentHash().AsSpan(0, 16)), directory, children));
        }

        return listings;
    }

    /// <summary>The name of a child (its path's last segment).</summary>
    public static string NameOf(string child) => child[(child.LastIndexOf('/') + 1)..];

    private static void Append(IncrementalHash hash, ReadOnlySpan<char> text, ref byte[] buffer)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length) + 1;
        if (buffer.Length < max)
        {
            buffer = new byte[max];
        }

        int n = Encoding.UTF8.GetBytes(text, buffer);
        buffer[n] = 0;
        hash.AppendData(buffer, 0, n + 1);
    }
}
