using System.Text.Json;
using System.Text.Json.Serialization;

namespace CernVM.Preserve.Core.Format;

/// <summary>How an output is compared with its reference (FORMAT.md §5.3 <c>compare</c>).</summary>
public enum ComparisonKind
{
    /// <summary>Byte for byte.</summary>
    Exact,

    /// <summary>Line by line, CRLF read as LF, a final newline optional, ignored lines dropped from both sides.</summary>
    Text,

    /// <summary>Line by line and token by token; numbers agree within <c>absTol + relTol·max(|a|, |b|)</c>.</summary>
    Numeric,

    /// <summary>A form this version does not know (a later revision of format 1 wrote it); kept as read, not applied.</summary>
    Unknown,
}

/// <summary>
/// A run output's comparison rule, in one of the forms FORMAT.md §5.3 allows: <c>"exact"</c>, <c>"text"</c>,
/// <c>{"text": {"ignore": [regex]}}</c>, <c>{"numeric": {"relTol", "absTol"}}</c>. The form it was written in
/// (<see cref="Shorthand"/>, which members were given) is kept, so a rule is written back as it was read.
/// </summary>
[JsonConverter(typeof(ComparisonRuleJsonConverter))]
public sealed record ComparisonRule
{
    /// <summary>The default rule: <c>"exact"</c>.</summary>
    public static ComparisonRule Exact { get; } = new() { Kind = ComparisonKind.Exact, Shorthand = true };

    public required ComparisonKind Kind { get; init; }

    /// <summary>Written as the bare name (<c>"exact"</c>, <c>"text"</c>) rather than as an object.</summary>
    public bool Shorthand { get; init; }

    /// <summary>Text: .NET regular expressions (unanchored); a line matching any is dropped. Null when not given.</summary>
    public IReadOnlyList<string>? Ignore { get; init; }

    /// <summary>Numeric: relative tolerance; null when not given (0).</summary>
    public double? RelTol { get; init; }

    /// <summary>Numeric: absolute tolerance; null when not given (0).</summary>
    public double? AbsTol { get; init; }

    /// <summary>The rule as read, when its form is <see cref="ComparisonKind.Unknown"/>: written back unchanged.</summary>
    public JsonElement? Unknown { get; init; }

    /// <summary>The name of the rule: exact, text or numeric.</summary>
    public string Name => Kind switch
    {
        ComparisonKind.Text => "text",
        ComparisonKind.Numeric => "numeric",
        ComparisonKind.Unknown => Unknown?.GetRawText() ?? "unknown",
        _ => "exact",
    };
}

/// <summary>Reads and writes <see cref="ComparisonRule"/> in its JSON forms (FORMAT.md §5.3).</summary>
public sealed class ComparisonRuleJsonConverter : JsonConverter<ComparisonRule>
{
    public override ComparisonRule Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // FORMAT.md §5.3: readers ignore what they do not know. A rule of another form is kept as read, so the
        // manifest can still be shown and exported; only comparing under it is refused (Replay's OutputComparison).
        JsonElement rule = JsonElement.ParseValue(ref reader);
        switch (rule.ValueKind)
        {
            case JsonValueKind.String when rule.ValueEquals("exact"):
                return ComparisonRule.Exact;
            case JsonValueKind.String when rule.ValueEquals("text"):
                return new ComparisonRule { Kind = ComparisonKind.Text, Shorthand = true };
            case JsonValueKind.Object when Single(rule) is ("text", { ValueKind: JsonValueKind.Object } text):
                return new ComparisonRule
                {
                    Kind = ComparisonKind.Text,
                    Ignore = text.TryGetProperty("ignore", out JsonElement ignore) && ignore.ValueKind == JsonValueKind.Array
                        ? ignore.EnumerateArray().Select(p => p.GetString() ?? throw new JsonException("an ignore pattern is null.")).ToList()
                        : null,
                };
            case JsonValueKind.Object when Single(rule) is ("numeric", { ValueKind: JsonValueKind.Object } numeric):
                return new ComparisonRule
                {
                    Kind = ComparisonKind.Numeric,
                    RelTol = numeric.TryGetProperty("relTol", out JsonElement relTol) ? relTol.GetDouble() : null,
                    AbsTol = numeric.TryGetProperty("absTol", out JsonElement absTol) ? absTol.GetDouble() : null,
                };
            default:
                return new ComparisonRule { Kind = ComparisonKind.Unknown, Unknown = rule };
        }
    }

    private static (string Name, JsonElement Value)? Single(JsonElement o)
    {
        using JsonElement.ObjectEnumerator members = o.EnumerateObject();
        if (!members.MoveNext())
        {
            return null;
        }

        JsonProperty first = members.Current;
        return members.MoveNext() ? null : (first.Name, first.Value);
    }

    public override void Write(Utf8JsonWriter writer, ComparisonRule value, JsonSerializerOptions options)
    {
        if (value.Kind == ComparisonKind.Unknown)
        {
            (value.Unknown ?? throw new InvalidOperationException("A comparison rule of an unknown form keeps what was read.")).WriteTo(writer);
            return;
        }

        // "exact" has no object form; an object's members follow the schema's order (FORMAT.md §1.3).
        if (value.Kind == ComparisonKind.Exact || (value.Shorthand && value.Kind == ComparisonKind.Text))
        {
            writer.WriteStringValue(value.Name);
            return;
        }

        writer.WriteStartObject();
        writer.WriteStartObject(value.Name);
        if (value.Ignore is { } ignore)
        {
            writer.WriteStartArray("ignore");
            foreach (string pattern in ignore)
            {
                writer.WriteStringValue(pattern);
            }

            writer.WriteEndArray();
        }

        if (value.RelTol is double relTol)
        {
            writer.WriteNumber("relTol", relTol);
        }

        if (value.AbsTol is double absTol)
        {
            writer.WriteNumber("absTol", absTol);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
