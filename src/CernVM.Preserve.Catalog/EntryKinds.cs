using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Catalog;

/// <summary>The words the catalog uses for entry kinds (FORMAT.md §6.2), for output that matches the archive.</summary>
public static class EntryKinds
{
    public static string Name(EntryKind kind) => TreeCatalog.KindName(kind);
}
