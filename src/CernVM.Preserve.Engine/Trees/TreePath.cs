using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Trees;

/// <summary>Paths of a tree as users write them.</summary>
public static class TreePath
{
    /// <summary>"/usr/bin", "usr/bin" and "/" name entries; bytes that are not UTF-8 are written as \xHH.</summary>
    public static byte[] Parse(string? text)
    {
        string t = (text ?? "").Trim('/');
        return t.Length == 0 ? [] : PathBytes.FromDisplay(t);
    }
}
