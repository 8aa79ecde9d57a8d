using System.Diagnostics.CodeAnalysis;
using System.Reflection;
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
/// </remarks>
public static class JsonSchemas
{
    private const string InitializerType = "Json.Schema.__ModuleInitialization, JsonSchema.Net";

    private static readonly Lazy<bool> Initialized = new(RunLibraryInitializer, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Builds a schema from its UTF-8 text, the library made ready first.</summary>
    public static JsonSchema FromUtf8(ReadOnlySpan<byte> utf8)
    {
        EnsureLibraryReady();
        return JsonSchema.FromText(System.Text.Encoding.UTF8.GetString(utf8));
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
