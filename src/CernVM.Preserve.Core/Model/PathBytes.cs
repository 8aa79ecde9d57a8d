using System.Text;

namespace CernVM.Preserve.Core.Model;

/// <summary>
/// Paths are raw bytes (legacy systems hold Latin-1 names). These helpers turn them into text for people and
/// back, and order them the way catalogs do (FORMAT.md §6.2: ordinal byte order).
/// </summary>
public static class PathBytes
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>UTF-8 text when the bytes are valid UTF-8; otherwise each invalid byte as <c>\xHH</c>.</summary>
    public static string ToDisplay(ReadOnlySpan<byte> path)
    {
        try
        {
            string s = StrictUtf8.GetString(path);
            return s.Contains('\\') ? s.Replace("\\", "\\\\", StringComparison.Ordinal) : s;
        }
        catch (DecoderFallbackException)
        {
            var sb = new StringBuilder(path.Length + 16);
            int i = 0;
            while (i < path.Length)
            {
                int len = Utf8SequenceLength(path[i..]);
                if (len > 0)
                {
                    string part = Encoding.UTF8.GetString(path.Slice(i, len));
                    sb.Append(part == "\\" ? "\\\\" : part);
                    i += len;
                }
                else
                {
                    sb.Append("\\x").Append(path[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    i++;
                }
            }

            return sb.ToString();
        }
    }

    /// <summary>The inverse of <see cref="ToDisplay"/>: UTF-8 with <c>\xHH</c> and <c>\\</c> escapes.</summary>
    public static byte[] FromDisplay(string text)
    {
        if (!text.Contains('\\'))
        {
            return Encoding.UTF8.GetBytes(text);
        }

        var bytes = new List<byte>(text.Length);
        var run = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] == '\\')
            {
                run.Append('\\');
                i++;
            }
            else if (text[i] == '\\' && i + 3 < text.Length && text[i + 1] == 'x'
                && byte.TryParse(text.AsSpan(i + 2, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b))
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(run.ToString()));
                run.Clear();
                bytes.Add(b);
                i += 3;
            }
            else
            {
                run.Append(text[i]);
            }
        }

        bytes.AddRange(Encoding.UTF8.GetBytes(run.ToString()));
        return [.. bytes];
    }

    /// <summary>Joins a parent path and a name with '/' (the root is the empty path).</summary>
    public static byte[] Join(ReadOnlySpan<byte> parent, ReadOnlySpan<byte> name)
    {
        if (parent.IsEmpty)
        {
            return name.ToArray();
        }

        var result = new byte[parent.Length + 1 + name.Length];
        parent.CopyTo(result);
        result[parent.Length] = (byte)'/';
        name.CopyTo(result.AsSpan(parent.Length + 1));
        return result;
    }

    /// <summary>The last segment of a path.</summary>
    public static ReadOnlySpan<byte> Name(ReadOnlySpan<byte> path)
    {
        int slash = path.LastIndexOf((byte)'/');
        return slash < 0 ? path : path[(slash + 1)..];
    }

    /// <summary>
    /// True when every segment is a plain name: not empty, not "." or "..", no NUL. A catalog path that fails
    /// this would let a restore write outside its target (FORMAT.md §6.2).
    /// </summary>
    public static bool IsSafeRelative(ReadOnlySpan<byte> path)
    {
        if (path.IsEmpty)
        {
            return true;
        }

        if (path.IndexOf((byte)0) >= 0)
        {
            return false;
        }

        foreach (Range r in path.Split((byte)'/'))
        {
            ReadOnlySpan<byte> seg = path[r];
            if (seg.IsEmpty || (seg.Length == 1 && seg[0] == '.') || (seg.Length == 2 && seg[0] == '.' && seg[1] == '.'))
            {
                return false;
            }
        }

        return true;
    }

    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    private static int Utf8SequenceLength(ReadOnlySpan<byte> s)
    {
        byte b = s[0];
        int len = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 0 || len > s.Length)
        {
            return 0;
        }

        try
        {
            StrictUtf8.GetCharCount(s[..len]);
            return len;
        }
        catch (DecoderFallbackException)
        {
            return 0;
        }
    }

    /// <summary>Byte-array comparer for dictionaries keyed by raw paths.</summary>
    public static IEqualityComparer<byte[]> EqualityComparer { get; } = new ByteArrayComparer();

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var h = new HashCode();
            h.AddBytes(obj);
            return h.ToHashCode();
        }
    }
}
