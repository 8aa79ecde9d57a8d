using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CernVM.Preserve.Core.Format;

/// <summary>
/// The one serialised form of archive JSON files (FORMAT.md §1.3): UTF-8 without BOM, two-space indentation,
/// LF line ends, properties in declaration order, a final LF. Same object, same bytes.
/// </summary>
public static class CanonicalJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
        TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(
            ArchiveJsonContext.Default, new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver()),
    };

    public static byte[] Serialize<T>(T value)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(value, Options);
        var result = new byte[body.Length + 1];
        body.CopyTo(result, 0);
        result[^1] = (byte)'\n';
        return result;
    }

    /// <summary>Parses <paramref name="utf8"/>; <paramref name="what"/> names the file in the error.</summary>
    /// <exception cref="PreserveException">Not valid JSON for <typeparamref name="T"/> (kind Integrity).</exception>
    public static T Deserialize<T>(ReadOnlySpan<byte> utf8, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(utf8, Options)
                ?? throw new PreserveException(FailureKind.Integrity, $"{what}: the file holds 'null', not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new PreserveException(FailureKind.Integrity, $"{what}: not valid JSON ({e.Message}).", e);
        }
    }

    public static string ToText(byte[] utf8) => Encoding.UTF8.GetString(utf8);
}
