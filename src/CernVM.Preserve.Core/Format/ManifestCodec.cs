using System.Security.Cryptography;
using System.Text.Json;
using Json.Schema;

namespace CernVM.Preserve.Core.Format;

/// <summary>
/// Turns manifests into bytes and back, validating against the manifest JSON Schema both ways
/// (FORMAT.md §5: a manifest that fails its schema is never written and never trusted).
/// </summary>
public static class ManifestCodec
{
    private static readonly Lazy<JsonSchema> ManifestSchemaValue = new(() =>
        JsonSchemas.FromUtf8(EmbeddedFiles.ManifestSchema));

    private static readonly Lazy<JsonSchema> EventSchemaValue = new(() =>
        JsonSchemas.FromUtf8(EmbeddedFiles.EventSchema));

    /// <summary>Serialises and validates; a manifest that does not meet the schema is a programming error here.</summary>
    private static readonly EvaluationOptions FlagOptions = new() { OutputFormat = OutputFormat.Flag };

    /// <summary>
    /// Builds the schemas ahead of their first use (building them costs about 0.1 s); callers start this on
    /// an idle core early in a command.
    /// </summary>
    public static void WarmUp()
    {
        _ = ManifestSchemaValue.Value.Evaluate(JsonDocument.Parse("{}").RootElement, FlagOptions);
        _ = EventSchemaValue.Value;
    }

    public static byte[] Encode(Manifest manifest)
    {
        byte[] bytes = CanonicalJson.Serialize(manifest);
        IReadOnlyList<string> errors = Validate(bytes, ManifestSchemaValue.Value);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Refusing to write a manifest that fails its schema: " + string.Join("; ", errors));
        }

        return bytes;
    }

    /// <summary>Parses and validates the bytes of a manifest file named <paramref name="key"/>.</summary>
    /// <exception cref="PreserveException">Not JSON, or fails the schema (kind Integrity).</exception>
    public static Manifest Decode(byte[] bytes, string key)
    {
        IReadOnlyList<string> errors = ValidateManifest(bytes);
        if (errors.Count > 0)
        {
            throw new PreserveException(FailureKind.Integrity, $"{key}: the manifest fails its schema: {string.Join("; ", errors)}.");
        }

        return CanonicalJson.Deserialize<Manifest>(bytes, key);
    }

    /// <summary>Schema errors of a manifest file, each as "at /json/pointer: message"; empty when valid.</summary>
    public static IReadOnlyList<string> ValidateManifest(byte[] bytes) => Validate(bytes, ManifestSchemaValue.Value);

    public static IReadOnlyList<string> ValidateEvent(byte[] bytes) => Validate(bytes, EventSchemaValue.Value);

    /// <summary>The text of a sha256sum-compatible sidecar line for a manifest file.</summary>
    public static byte[] Sidecar(byte[] manifestBytes) =>
        System.Text.Encoding.ASCII.GetBytes($"{Convert.ToHexStringLower(SHA256.HashData(manifestBytes))}  manifest.json\n");

    /// <summary>Reads the hash out of a sidecar; null when the text is not in sha256sum form.</summary>
    public static string? ParseSidecar(byte[] sidecar)
    {
        string text = System.Text.Encoding.ASCII.GetString(sidecar).TrimEnd('\n');
        if (text.Length == 64 + 2 + "manifest.json".Length && text.EndsWith("  manifest.json", StringComparison.Ordinal))
        {
            string hex = text[..64];
            return hex.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')) ? hex : null;
        }

        return null;
    }

    private static List<string> Validate(byte[] bytes, JsonSchema schema)
    {
        // JSON is UTF-8 (RFC 8259 §8.1); System.Text.Json checks a string's bytes only when it is read, and
        // then throws InvalidOperationException (found by fuzzing, docs/security.md).
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return ["not valid JSON (it is not UTF-8 text)"];
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            return [$"not valid JSON ({e.Message})"];
        }

        using (doc)
        {
            // The yes/no answer is much cheaper to compute; the detailed one is only needed to explain a failure.
            // JsonSchema.Net compares numbers as decimals: one beyond decimal's range (29 digits or more) throws
            // FormatException or OverflowException instead of failing the check (found by fuzzing, docs/security.md).
            EvaluationResults results;
            try
            {
                if (schema.Evaluate(doc.RootElement, FlagOptions).IsValid)
                {
                    return [];
                }

                results = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                return ["holds a number too large to be checked (beyond 28 significant digits; no number of format 1 comes near)"];
            }

            var errors = new List<string>();
            foreach (EvaluationResults detail in results.Details ?? [])
            {
                if (detail.Errors is null)
                {
                    continue;
                }

                foreach (KeyValuePair<string, string> e in detail.Errors)
                {
                    string at = detail.InstanceLocation.ToString();
                    errors.Add($"at {(at.Length == 0 ? "/" : at)}: {e.Value}");
                }
            }

            return errors.Count > 0 ? errors.Distinct().Take(10).ToList() : ["does not match the schema"];
        }
    }
}
