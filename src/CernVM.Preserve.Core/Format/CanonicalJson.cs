using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

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
        TypeInfoResolver = ArchiveJsonContext.Default,
    };

    /// <summary>
    /// The compile-time metadata of <typeparamref name="T"/> under <see cref="Options"/>: the archive's JSON
    /// uses no reflection, so the published tool (native code, trimmed) reads and writes exactly what the
    /// tests do. A type not declared in <see cref="ArchiveJsonContext"/> fails here, in every build.
    /// </summary>
    public static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));

    /// <summary><paramref name="value"/> in its canonical form, as a JSON node (for --json answers).</summary>
    public static JsonNode? ToNode<T>(T value) => JsonSerializer.SerializeToNode(value, TypeInfo<T>());

    public static byte[] Serialize<T>(T value)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(value, TypeInfo<T>());
        var result = new byte[body.Length + 1];
        body.CopyTo(result, 0);
        result[^1] = (byte)'\n';
        return result;
    }

    /// <summary>Parses <paramref name="utf8"/>; <paramref name="what"/> names the file in the error.</summary>
    /// <exception cref="PreserveException">Not valid JSON for <typeparamref name="T"/> (kind Integrity).</exception>
    public static T Deserialize<T>(ReadOnlySpan<byte> utf8, string what)
    {
        // Checked first: System.Text.Json reports bytes that are not UTF-8 inside a string with an
        // InvalidOperationException, not a JsonException (found by fuzzing, docs/security.md).
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw new PreserveException(FailureKind.Integrity, $"{what}: not valid JSON (it is not UTF-8 text).");
        }

        try
        {
            return JsonSerializer.Deserialize(utf8, TypeInfo<T>())
                ?? throw new PreserveException(FailureKind.Integrity, $"{what}: the file holds 'null', not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new PreserveException(FailureKind.Integrity, $"{what}: not valid JSON ({e.Message}).", e);
        }
    }

    public static string ToText(byte[] utf8) => Encoding.UTF8.GetString(utf8);
}
