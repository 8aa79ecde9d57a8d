using System.Text;
using System.Text.Json;
using CernVM.Preserve.Core.Format;
using Json.Schema;
using Xunit;

namespace CernVM.Preserve.Core.Tests.Format;

public sealed class JsonSchemasTests
{
    // The published executable empties JsonSchema.Net's module constructor and relies on finding the library's
    // initialiser by name: a new version that renames it must fail here, not in a user's first validation.
    [Fact]
    public void EnsureLibraryReady_PinnedVersion_FindsAndRunsTheLibraryInitialiser()
    {
        JsonSchemas.EnsureLibraryReady();
        JsonSchemas.EnsureLibraryReady();

        Assert.NotNull(MetaSchemas.Draft202012);
        Assert.NotNull(Dialect.Default);
    }

    [Fact]
    public void FromUtf8_Draft202012Schema_EvaluatesByItsRules()
    {
        JsonSchema schema = JsonSchemas.FromUtf8(Encoding.UTF8.GetBytes(
            """{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}}}"""));

        Assert.True(schema.Evaluate(JsonDocument.Parse("""{"name": "aleph"}""").RootElement).IsValid);
        Assert.False(schema.Evaluate(JsonDocument.Parse("""{"name": ""}""").RootElement).IsValid);
        Assert.False(schema.Evaluate(JsonDocument.Parse("""{}""").RootElement).IsValid);
    }

    // JSON Schema's patterns are ECMA-262, where $ is the end of the text; .NET's $ also matches before a final
    // newline. The schemas are read as the standard says.
    [Theory]
    [InlineData("^a$", "a", true)]
    [InlineData("^a$", "a\n", false)]
    [InlineData("^a$", "a\r\n", false)]
    [InlineData("^a$|^b$", "b", true)]
    [InlineData("^a$|^b$", "a\n", false)]
    [InlineData("^[$]+$", "$$", true)]
    [InlineData("^[$]+$", "$$\n", false)]
    [InlineData("^\\$$", "$", true)]
    [InlineData("^\\$$", "$\n", false)]
    [InlineData("^[\\]$]+$", "]$", true)]
    [InlineData("^/", "/x\n", true)]
    public void FromUtf8_PatternsEndAsInEcma262(string pattern, string text, bool valid)
    {
        string schema = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = "object",
            ["properties"] = new Dictionary<string, object> { ["pattern"] = new Dictionary<string, string> { ["type"] = "string", ["pattern"] = pattern } },
        });
        JsonSchema s = JsonSchemas.FromUtf8(Encoding.UTF8.GetBytes(schema));

        using JsonDocument instance = JsonDocument.Parse(JsonSerializer.Serialize(new Dictionary<string, string> { ["pattern"] = text }));
        Assert.Equal(valid, s.Evaluate(instance.RootElement).IsValid);
    }

    [Fact]
    public void FromUtf8_APatternMemberOfAnInstance_IsLeftAsWritten()
    {
        // "const" holds an instance: its "pattern" member is data, compared as written.
        JsonSchema s = JsonSchemas.FromUtf8("""{ "const": { "pattern": "a$" } }"""u8);
        using JsonDocument same = JsonDocument.Parse("""{ "pattern": "a$" }""");
        Assert.True(s.Evaluate(same.RootElement).IsValid);
    }
}
