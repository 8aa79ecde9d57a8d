using System.Threading.Channels;
using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>
/// Writes the tree catalog (FORMAT.md §6) while the walk and the reading go on, one entry at a time in id
/// order, each as soon as it is final: at once for all but regular files, once the file saver has read and cut
/// them for those (their blobs named, perhaps still being compressed: the catalog is done while the last blobs
/// are, and the snapshot commits it only after every blob is stored and durable). Rows equal to the previous
/// version's are held back until the first difference, so an unchanged tree costs comparisons, not an SQLite
/// database, and the end of a snapshot is left with the serialisation alone. The same entries in the same order
/// give the same catalog bytes, however the work was interleaved.
/// </summary>
internal static class CatalogSaver
{
    /// <summary>
    /// The catalog's bytes, or null when every row equals the previous version's (whose catalog is then reused);
    /// and every final entry in id order.
    /// </summary>
    /// <param name="rows">Every entry in id order, with the pending file to wait for when it is a file being read.</param>
    /// <param name="previous">The previous version's entries in id order (empty for a first version), when known.</param>
    /// <param name="firstVersion">Whether there is no previous version: nothing is held back.</param>
    public static async Task<(byte[]? Catalog, List<TreeEntry> Entries)> RunAsync(
        ChannelReader<(TreeEntry Entry, PendingFile? File)> rows,
        Task<(bool FirstVersion, IReadOnlyList<TreeEntry> Entries)> previous,
        CancellationToken cancellationToken)
    {
        (bool firstVersion, IReadOnlyList<TreeEntry> before) = await previous.WaitAsync(cancellationToken).ConfigureAwait(false);
        using var writer = new TreeCatalogWriter();
        var entries = new List<TreeEntry>();
        int held = 0;
        bool diverged = firstVersion;
        await foreach ((TreeEntry walked, PendingFile? file) in rows.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (file is not null && !file.Done.IsCompleted)
            {
                await file.Done.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            TreeEntry entry = file?.Entry ?? walked;
            entries.Add(entry);

            if (!diverged)
            {
                if (held < before.Count && CatalogRows.SameRow(entry, before[held]))
                {
                    held++;
                    continue;
                }

                diverged = true;
                AddHeld(writer, before, held);
            }

            writer.Add(entry);
        }

        if (!diverged)
        {
            if (held == before.Count)
            {
                return (null, entries);
            }

            AddHeld(writer, before, held);
        }

        return (writer.Finish(), entries);
    }

    // The held rows equal the previous version's, so those are written in their place.
    private static void AddHeld(TreeCatalogWriter writer, IReadOnlyList<TreeEntry> before, int count)
    {
        for (int i = 0; i < count; i++)
        {
            writer.Add(before[i]);
        }
    }
}
