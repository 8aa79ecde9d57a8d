using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Restorer;

/// <summary>One stretch of a file to write from a blob.</summary>
/// <param name="File">The file's entry (its first name).</param>
/// <param name="Extent">Which bytes of the blob go where in the file.</param>
internal readonly record struct ExtentTarget(TreeEntry File, Extent Extent);

/// <summary>
/// File content to restore, by blob: each blob is read once, and written to every file that needs it (a
/// bundle holds many small files; a chunk shared by several files is read once for all of them).
/// </summary>
/// <param name="Blobs">Every blob needed, with the stretches of files it holds, in tree order.</param>
/// <param name="Bytes">The bytes to write, for progress.</param>
internal sealed record ContentPlan(IReadOnlyDictionary<BlobId, List<ExtentTarget>> Blobs, long Bytes)
{
    /// <summary>The content of every regular file (first names only) that <paramref name="isMade"/> says was made.</summary>
    public static ContentPlan For(IEnumerable<TreeEntry> entries, Func<long, bool> isMade)
    {
        var byBlob = new Dictionary<BlobId, List<ExtentTarget>>();
        long bytes = 0;
        foreach (TreeEntry e in entries)
        {
            if (e.Kind != EntryKind.File || e.HardlinkTo is not null || !isMade(e.Id))
            {
                continue;
            }

            foreach (Extent x in e.Extents)
            {
                if (!byBlob.TryGetValue(x.Blob, out List<ExtentTarget>? list))
                {
                    byBlob[x.Blob] = list = [];
                }

                list.Add(new ExtentTarget(e, x));
                bytes += x.Length;
            }
        }

        return new ContentPlan(byBlob, bytes);
    }
}
