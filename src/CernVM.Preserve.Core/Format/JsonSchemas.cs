using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Json.Schema;

namespace CernVM.Preserve.Core.Format;

/// <summary>
/// The one way this project builds a JSON Schema (the manifest's, the event's, the curator spec's).
/// </summary>
/// <remarks>
/// JsonSchema.Net prepares its dialects, vocabularies and every meta-schema (draft 6 to 2026) in a module
/// initialiser. Native AOT runs module initialisers when the process starts, so every command paid for it, about
/// a third of a start's CPU, a search or a <c>list</c> too, which never validate anything. The published
/// executable therefore empties the library's module constructor (src/CernVM.Preserve.Cli/Substitutions.xml)
/// and this class runs the same initialiser, the library's own method, before the first schema is built. The
/// initialiser is idempotent, so where the runtime already ran it (a framework-dependent build, the tests) the
/// call does nothing.
/// <para>
/// A schema's <c>pattern</c> is an ECMA-262 regular expression (JSON Schema 2020-12, §6.4), where <c>$</c> is the
/// end of the text; JsonSchema.Net hands it to .NET's engine, where <c>$</c> also matches before a final newline,
/// so <c>"aleph\n"</c> passed <c>^[a-z0-9][a-z0-9._-]{0,63}$</c>. Each pattern is therefore given to the library
/// with every such <c>$</c> written as .NET's <c>\z</c>; the schema files keep the standard's spelling.
/// </para>
/// </remarks>
public static class JsonSchemas
{
    private const string InitializerType = "Json.Schema.__ModuleInitialization, JsonSchema.Net";

    private static readonly Lazy<bool> Initialized = new(RunLibraryInitializer, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Builds a schema from its UTF-8 text, the library made ready first.</summary>
    public static JsonSchema FromUtf8(ReadOnlySpan<byte> utf8)
    {
        EnsureLibraryReady();
        JsonNode schema = JsonNode.Parse(utf8) ?? throw new ArgumentException("A schema is a JSON object or a boolean, not null.", nameof(utf8));
        AnchorPatterns(schema);
        return JsonSchema.FromText(schema.ToJsonString());
    }

    /// <summary>Rewrites every string-valued <c>pattern</c> in <paramref name="node"/> for .NET (see the remarks).</summary>
    private static void AnchorPatterns(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach ((string name, JsonNode? value) in o.ToList())
                {
                    if (name == "pattern" && value is JsonValue v && v.TryGetValue(out string? pattern))
                    {
                        o[name] = EcmaEndsAsDotNet(pattern);
                    }
                    else if (name is not ("const" or "enum" or "default" or "examples"))
                    {
                        // Those hold instances, not schemas: an object there with a "pattern" member is data.
                        AnchorPatterns(value);
                    }
                }

                break;
            case JsonArray a:
                foreach (JsonNode? item in a)
                {
                    AnchorPatterns(item);
                }

                break;
        }
    }

    /// <summary>
    /// <paramref name="pattern"/> (ECMA-262, without the multiline flag) with each end-of-text <c>$</c> (not
    /// escaped, not in a character class) written as <c>\z</c>, which .NET reads as ECMA-262 reads <c>$</c>.
    /// </summary>
    private static string EcmaEndsAsDotNet(string pattern)
    {
        var b = new StringBuilder(pattern.Length + 2);
        bool inClass = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                b.Append(c).Append(pattern[++i]);
                continue;
            }

            if (inClass)
            {
                inClass = c != ']';
            }
            else if (c == '[')
            {
                inClass = true;
            }
            else if (c == '$')
            {
                b.Append("\\z");
                continue;
            }

            b.Append(c);
        }

        return b.ToString();
    }

    /// <summary>Runs JsonSchema.Net's initialiser once if nothing ran it yet.</summary>
    public static void EnsureLibraryReady() => _ = Initialized.Value;

    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "The type is named by a constant; the trimmer keeps the method GetMethod names.")]
    private static bool RunLibraryInitializer()
    {
        MethodInfo initialize = InitializerMethod()
            ?? throw new InvalidOperationException($"JsonSchema.Net has no {InitializerType}.Initialize: the pinned version changed; see {nameof(JsonSchemas)}.");
        initialize.Invoke(null, null);
        return true;
    }

    private static MethodInfo? InitializerMethod() =>
        Type.GetType(InitializerType, throwOnError: false)?.GetMethod("Initialize", BindingFlags.Public | BindingFlags.Static);
}
