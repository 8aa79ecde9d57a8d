using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Posix;

namespace CernVM.Preserve.Engine.Restorer;

/// <summary>The directory a tree is restored into, and where each entry of the tree goes in it.</summary>
internal sealed class RestoreTarget
{
    private readonly byte[] _root;

    private RestoreTarget(string text)
    {
        Text = text;
        _root = PosixFs.FromString(text.TrimEnd('/'));
    }

    /// <summary>The target's full path.</summary>
    public string Text { get; }

    /// <summary>
    /// Makes <paramref name="target"/> ready: an empty directory, created when absent. Nothing that exists is
    /// ever overwritten, so a directory with content, or anything else by that name, is refused.
    /// </summary>
    /// <exception cref="PreserveException">Not empty or not a directory (Usage); cannot be created (Environment).</exception>
    public static RestoreTarget Prepare(string target)
    {
        string full = Path.GetFullPath(target);
        if (Directory.Exists(full))
        {
            if (Directory.EnumerateFileSystemEntries(full).Any())
            {
                throw new PreserveException(FailureKind.Usage, $"{full} is not empty; restore into a new or empty directory, so that nothing there is overwritten.");
            }

            return new RestoreTarget(full);
        }

        if (File.Exists(full) || PosixFs.TryLStat(PosixFs.FromString(full), out _, out _))
        {
            throw new PreserveException(FailureKind.Usage, $"{full} exists and is not a directory.");
        }

        try
        {
            Directory.CreateDirectory(full);
        }
        catch (IOException e)
        {
            throw new PreserveException(FailureKind.Environment, $"{full}: cannot create the directory ({e.Message}).", e);
        }

        return new RestoreTarget(full);
    }

    /// <summary>
    /// Where <paramref name="e"/> goes: the target joined with the entry's path, which the tree's structure check
    /// proved plain and relative (FORMAT.md §6.2), so it cannot leave the target.
    /// </summary>
    public byte[] PathOf(TreeEntry e) => e.Path.Length == 0 ? _root : PathBytes.Join(_root, e.Path);
}
