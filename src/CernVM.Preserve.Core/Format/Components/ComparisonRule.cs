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

    /// <summary>The name of the rule: exact, text or numeric.</summary>
    public string Name => Kind switch
    {
        ComparisonKind.Text => "text",
        ComparisonKind.Numeric => "numeric",
        _ => "exact",
    };
}

/// <summary>Reads and writes <see cref="ComparisonRule"/> in its JSON forms (FORMAT.md §5.3).</summary>
public sealed class ComparisonRuleJsonConverter : JsonConverter<ComparisonRule>
{
    public override ComparisonRule Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString() switch
            {
                "exact" => ComparisonRule.Exact,
                "text" => new ComparisonRule { Kind = ComparisonKind.Text, Shorthand = true },
                string other => throw new JsonException($"unknown comparison rule '{other}' (exact, text, {{text: …}}, {{numeric: …}})."),
                null => throw new JsonException("a comparison rule is null."),
            };
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("a comparison rule is a name or an object.");
        }

        ComparisonRule? rule = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string member = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException($"comparison rule member '{member}' is not an object.");
            }

            rule = member switch
            {
                "text" => ReadText(ref reader),
                "numeric" => ReadNumeric(ref reader),
                _ => throw new JsonException($"comparison rule {{{member}: …}} is not {{text: …}} or {{numeric: …}}."),
            };
        }

        return rule ?? throw new JsonException("a comparison rule object is empty.");
    }

    public override void Write(Utf8JsonWriter writer, ComparisonRule value, JsonSerializerOptions options)
    {
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

    private static ComparisonRule ReadText(ref Utf8JsonReader reader)
    {
        List<string>? ignore = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string member = reader.GetString()!;
            reader.Read();
            if (member == "ignore" && reader.TokenType == JsonTokenType.StartArray)
            {
                ignore = [];
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    ignore.Add(reader.GetString() ?? throw new JsonException("an ignore pattern is null."));
                }
            }
            else
            {
                reader.Skip();
            }
        }

        return new ComparisonRule { Kind = ComparisonKind.Text, Ignore = ignore };
    }

    private static ComparisonRule ReadNumeric(ref Utf8JsonReader reader)
    {
        double? relTol = null, absTol = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string member = reader.GetString()!;
            reader.Read();
            switch (member)
            {
                case "relTol":
                    relTol = reader.GetDouble();
                    break;
                case "absTol":
                    absTol = reader.GetDouble();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new ComparisonRule { Kind = ComparisonKind.Numeric, RelTol = relTol, AbsTol = absTol };
    }
}
