using System.Threading.Channels;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>
/// Walks the tree source once and hands out what the walk finds, in id order, as it finds it: each captured
/// regular file (its first name) to the file saver, and every entry to the catalog saver. It counts entries
/// and the bytes of the files to read as it goes, so progress knows its total as soon as the walk, which reads
/// no content, is over: the walk is the cheap part, and walking twice would cost every entry's lstat again.
/// </summary>
internal sealed class Scanner(ITreeSource source, SnapshotMonitor monitor)
{
    /// <summary>
    /// Walks; completes both channels (with the walk's failure, if it fails) and returns every entry in id order.
    /// </summary>
    public List<TreeEntry> Run(ChannelWriter<PendingFile> files, ChannelWriter<(TreeEntry Entry, PendingFile? File)> rows, CancellationToken cancellationToken)
    {
        try
        {
            List<TreeEntry> all = source.Walk(cancellationToken, e =>
            {
                PendingFile? file = null;
                if (e.Kind == EntryKind.File && e.HardlinkTo is null && e.State == EntryState.Captured)
                {
                    file = new PendingFile(e);
                    monitor.AddScanned(1, e.Size);
                    files.TryWrite(file);
                }
                else
                {
                    monitor.AddScanned(0, 0);
                }

                rows.TryWrite((e, file));
            });
            files.Complete();
            rows.Complete();
            monitor.ScanFinished(all.Count);
            return all;
        }
        catch (Exception e)
        {
            files.TryComplete(e);
            rows.TryComplete(e);
            throw;
        }
    }
}
