using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Trees;

namespace CernVM.Preserve.Engine.Restorer;

/// <summary>
/// The second and later names of each inode (FORMAT.md §6.2, <c>hardlink_to</c>), with the entry holding the
/// first name, whose content and metadata they share.
/// </summary>
internal sealed class HardLinkIndex
{
    private readonly List<(TreeEntry Link, TreeEntry First)> _links;

    public HardLinkIndex(LoadedTree tree)
    {
        _links = tree.Entries.Where(e => e.HardlinkTo is not null).Select(e => (e, tree.FirstName(e))).ToList();
    }

    /// <summary>Every further name, in tree order, with its first name.</summary>
    public IReadOnlyList<(TreeEntry Link, TreeEntry First)> Links => _links;
}
