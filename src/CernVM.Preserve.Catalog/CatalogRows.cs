using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Catalog;

/// <summary>Compares entries as the catalog stores them: equal rows give an equal catalog file.</summary>
public static class CatalogRows
{
    /// <summary>True when both entries are written as the same catalog row, with the same extents and xattrs (every field of <see cref="TreeEntryFields.All"/>).</summary>
    public static bool SameRow(TreeEntry x, TreeEntry y) => TreeEntryFields.SameRow(x, y);
}
