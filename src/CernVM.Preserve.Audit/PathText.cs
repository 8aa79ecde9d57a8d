using System.Text;

namespace CernVM.Preserve.Audit;

/// <summary>Raw path bytes of a catalog (FORMAT.md §6.2) as text for reports: UTF-8, other bytes as \xHH.</summary>
public static class PathText
{
    private static readonly UTF8Encoding Strict = new(false, true);

    public static string Of(byte[] path)
    {
        try
        {
            return "/" + Strict.GetString(path);
        }
        catch (DecoderFallbackException)
        {
            var sb = new StringBuilder("/");
            foreach (byte b in path)
            {
                sb.Append(b is >= 0x20 and < 0x7f and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:x2}");
            }

            return sb.ToString();
        }
    }
}
