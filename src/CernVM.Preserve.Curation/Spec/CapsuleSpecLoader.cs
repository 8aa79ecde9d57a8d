using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using Json.Schema;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CernVM.Preserve.Curation.Spec;

/// <summary>
/// Reads a curator's spec (YAML or JSON) and checks it against catalog-schema/capsule-spec.schema.json.
/// Every error names the file, the line and column, and the field (as a JSON pointer), so a curator can
/// fix a long spec in one pass.
/// </summary>
public static class CapsuleSpecLoader
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        CernVM.Preserve.Core.Format.JsonSchemas.FromUtf8(EmbeddedFiles.CapsuleSpecSchema));

    /// <exception cref="PreserveException">The file cannot be read, is not YAML/JSON, or fails the schema (kind Usage); the message lists every error.</exception>
    public static CapsuleSpec Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new PreserveException(FailureKind.Usage, $"{path}: cannot read the spec ({e.Message}).", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new PreserveException(FailureKind.Usage, $"{path}: cannot read the spec ({e.Message}).", e);
        }

        return Parse(text, path);
    }

    public static CapsuleSpec Parse(string text, string path)
    {
        var positions = new Dictionary<string, Mark>(StringComparer.Ordinal);
        JsonNode? root;
        try
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(text));
            if (yaml.Documents.Count != 1)
            {
                throw new PreserveException(FailureKind.Usage, $"{path}: a spec is one YAML or JSON document; found {yaml.Documents.Count}.");
            }

            root = ToJson(yaml.Documents[0].RootNode, "", positions);
        }
        catch (YamlException e)
        {
            throw new PreserveException(FailureKind.Usage, $"{path}:{e.Start.Line}:{e.Start.Column}: not valid YAML or JSON: {e.InnerException?.Message ?? e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet reports some structural errors (an unclosed flow collection; an event of an unexpected
            // type, found by fuzzing, docs/security.md) without a position.
            throw new PreserveException(FailureKind.Usage, $"{path}: not valid YAML or JSON: {e.Message}", e);
        }
        catch (InvalidCastException e)
        {
            throw new PreserveException(FailureKind.Usage, $"{path}: a mapping key is not a plain value: {e.Message}", e);
        }

        using JsonDocument doc = JsonDocument.Parse(root?.ToJsonString() ?? "null");
        EvaluationResults results = Schema.Value.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!results.IsValid)
        {
            var errors = new List<string>();
            foreach (EvaluationResults d in results.Details ?? [])
            {
                foreach (KeyValuePair<string, string> e in d.Errors ?? new Dictionary<string, string>())
                {
                    string pointer = d.InstanceLocation.ToString();
                    Mark at = Locate(positions, pointer);
                    errors.Add($"{path}:{at.Line}:{at.Column}: {(pointer.Length == 0 ? "/" : pointer)}: {e.Value}");
                }
            }

            errors = errors.Distinct().OrderBy(e => e, StringComparer.Ordinal).ToList();
            throw new PreserveException(FailureKind.Usage, $"{path}: the spec does not meet catalog-schema/capsule-spec.schema.json:\n  " + string.Join("\n  ", errors.Take(30)));
        }

        CapsuleSpec spec = root.Deserialize(CapsuleSpec.Json.CapsuleSpec)
            ?? throw new PreserveException(FailureKind.Usage, $"{path}: the spec is empty.");
        spec.SpecFile = Path.GetFullPath(path);
        return spec;
    }

    // The nearest enclosing node that has a position: errors about a missing member point at its object.
    private static Mark Locate(Dictionary<string, Mark> positions, string pointer)
    {
        string p = pointer;
        while (true)
        {
            if (positions.TryGetValue(p, out Mark m))
            {
                return m;
            }

            if (p.Length == 0)
            {
                return Mark.Empty;
            }

            int slash = p.LastIndexOf('/');
            p = slash <= 0 ? "" : p[..slash];
        }
    }

    private static JsonNode? ToJson(YamlNode node, string pointer, Dictionary<string, Mark> positions)
    {
        positions[pointer] = node.Start;
        switch (node)
        {
            case YamlMappingNode map:
                var o = new JsonObject();
                foreach ((YamlNode k, YamlNode v) in map.Children)
                {
                    string key = ((YamlScalarNode)k).Value ?? "";
                    string child = pointer + "/" + key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
                    o[key] = ToJson(v, child, positions);
                }

                return o;
            case YamlSequenceNode seq:
                var a = new JsonArray();
                int i = 0;
                foreach (YamlNode item in seq.Children)
                {
                    a.Add(ToJson(item, $"{pointer}/{i++}", positions));
                }

                return a;
            case YamlScalarNode s:
                return Scalar(s);
            default:
                return null;
        }
    }

    // YAML 1.2 core schema for plain scalars; quoted scalars are always strings.
    private static JsonNode? Scalar(YamlScalarNode s)
    {
        string v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(v);
        }

        if (v is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (v is "true" or "True" or "TRUE")
        {
            return JsonValue.Create(true);
        }

        if (v is "false" or "False" or "FALSE")
        {
            return JsonValue.Create(false);
        }

        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
        {
            return JsonValue.Create(l);
        }

        // A float beyond double's range stays text (JSON has no infinity; found by fuzzing): the schema then names it.
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) && v.IndexOfAny(['.', 'e', 'E']) >= 0)
        {
            return JsonValue.Create(d);
        }

        return JsonValue.Create(v);
    }
}
