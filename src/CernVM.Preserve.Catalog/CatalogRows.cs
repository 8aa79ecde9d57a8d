using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Catalog;

/// <summary>Compares entries as the catalog stores them: equal rows give an equal catalog file.</summary>
public static class CatalogRows
{
    /// <summary>True when both entries are written as the same catalog row, with the same extents and xattrs.</summary>
    public static bool SameRow(TreeEntry x, TreeEntry y) =>
        x.Id == y.Id && x.ParentId == y.ParentId && x.Path.AsSpan().SequenceEqual(y.Path) && x.Kind == y.Kind && x.State == y.State &&
        x.Mode == y.Mode && x.Uid == y.Uid && x.Gid == y.Gid && x.UserName == y.UserName && x.GroupName == y.GroupName &&
        x.MtimeSeconds == y.MtimeSeconds && x.MtimeNanoseconds == y.MtimeNanoseconds && x.Size == y.Size &&
        x.DeviceMajor == y.DeviceMajor && x.DeviceMinor == y.DeviceMinor &&
        (x.LinkTarget is null) == (y.LinkTarget is null) && x.LinkTarget.AsSpan().SequenceEqual(y.LinkTarget) &&
        x.HardlinkTo == y.HardlinkTo && x.Content == y.Content && x.Note == y.Note &&
        x.SourceDevice == y.SourceDevice && x.SourceInode == y.SourceInode && x.CtimeSeconds == y.CtimeSeconds && x.CtimeNanoseconds == y.CtimeNanoseconds &&
        x.Extents.SequenceEqual(y.Extents) &&
        x.XAttrs.Count == y.XAttrs.Count && x.XAttrs.Zip(y.XAttrs).All(p => p.First.Name.AsSpan().SequenceEqual(p.Second.Name) && p.First.Value.AsSpan().SequenceEqual(p.Second.Value));
}
