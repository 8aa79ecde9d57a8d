using System.Text.Json;
using System.Text.Json.Serialization;

namespace CernVM.Preserve.Core.Format;

/// <summary>How the environment booted (FORMAT.md §5.3 <c>boot</c>): kernel, initrd, bootloader configuration, command line.</summary>
public sealed record BootComponent
{
    [JsonPropertyName("bootloaderConfig")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BootloaderConfigComponent? BootloaderConfig { get; init; }

    [JsonPropertyName("cmdline")]
    public string? Cmdline { get; init; }

    /// <summary><c>spec</c>, <c>bootloaderConfig</c>, or null when there is no command line.</summary>
    [JsonPropertyName("cmdlineFrom")]
    public string? CmdlineFrom { get; init; }

    [JsonPropertyName("kernel")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public KernelComponent? Kernel { get; init; }

    [JsonPropertyName("initrd")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public InitrdComponent? Initrd { get; init; }

    /// <summary>micro-CernVM's arguments in the command line, name → value; a null value is a bare flag (written <c>true</c>).</summary>
    [JsonPropertyName("microCernvm")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(KernelArgumentsJsonConverter))]
    public IReadOnlyList<KeyValuePair<string, string?>>? MicroCernvm { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>The bootloader configuration and the entry it boots by default.</summary>
public sealed record BootloaderConfigComponent
{
    [JsonPropertyName("path")]
    public required string Path { get; init; }

    [JsonPropertyName("blob")]
    public required string Blob { get; init; }

    /// <summary><c>grub-legacy</c>, <c>grub2</c> or <c>extlinux</c>.</summary>
    [JsonPropertyName("format")]
    public string? Format { get; init; }

    /// <summary>Number of boot entries, GRUB 2 submenus' entries included.</summary>
    [JsonPropertyName("entries")]
    public int Entries { get; init; }

    /// <summary>The default as written: <c>0</c>, <c>saved</c>, <c>${saved_entry}</c>, a label.</summary>
    [JsonPropertyName("defaultSetting")]
    public string? DefaultSetting { get; init; }

    [JsonPropertyName("default")]
    public BootEntryRecord? Default { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>A boot entry as the configuration writes it.</summary>
public sealed record BootEntryRecord
{
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    [JsonPropertyName("title")]
    public string? Title { get; init; }

    [JsonPropertyName("kernel")]
    public string? Kernel { get; init; }

    [JsonPropertyName("initrd")]
    public string? Initrd { get; init; }

    [JsonPropertyName("cmdline")]
    public string? Cmdline { get; init; }

    [JsonPropertyName("root")]
    public string? Root { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>The kernel image and what it says of itself.</summary>
public sealed record KernelComponent
{
    /// <summary>The path in the captured tree (starting with '/') or on the curator's machine.</summary>
    [JsonPropertyName("path")]
    public required string Path { get; init; }

    [JsonPropertyName("blob")]
    public required string Blob { get; init; }

    /// <summary><c>spec</c> or <c>bootloaderConfig</c>.</summary>
    [JsonPropertyName("from")]
    public string? From { get; init; }

    /// <summary><c>bzImage</c>, <c>elf</c>, <c>arm64-image</c> or <c>unknown</c>.</summary>
    [JsonPropertyName("format")]
    public string? Format { get; init; }

    [JsonPropertyName("version")]
    public string? Version { get; init; }

    /// <summary>As <c>uname -r</c> prints it.</summary>
    [JsonPropertyName("release")]
    public string? Release { get; init; }

    [JsonPropertyName("architecture")]
    public string? Architecture { get; init; }

    [JsonPropertyName("bootProtocol")]
    public string? BootProtocol { get; init; }

    [JsonPropertyName("compression")]
    public string? Compression { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>The initial RAM disk and the archives it is made of.</summary>
public sealed record InitrdComponent
{
    [JsonPropertyName("path")]
    public required string Path { get; init; }

    [JsonPropertyName("blob")]
    public required string Blob { get; init; }

    [JsonPropertyName("from")]
    public string? From { get; init; }

    [JsonPropertyName("segments")]
    public IReadOnlyList<InitrdSegmentRecord> Segments { get; init; } = [];

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>One archive of an initrd: where it starts, its compression and format.</summary>
public sealed record InitrdSegmentRecord
{
    [JsonPropertyName("offset")]
    public long Offset { get; init; }

    [JsonPropertyName("compression")]
    public string? Compression { get; init; }

    /// <summary><c>cpio-newc</c>, <c>cpio-crc</c>, <c>cpio-odc</c>, <c>cpio-bin</c>, <c>ext2</c>, <c>squashfs</c>, <c>cramfs</c>, <c>unknown</c>.</summary>
    [JsonPropertyName("format")]
    public required string Format { get; init; }

    /// <summary>The member count of an uncompressed cpio.</summary>
    [JsonPropertyName("entries")]
    public int? Entries { get; init; }

    [JsonPropertyName("microcode")]
    public bool Microcode { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>
/// Kernel arguments as a JSON object in command-line order: <c>name: "value"</c>, or <c>name: true</c> for a
/// bare flag (FORMAT.md §5.3 <c>microCernvm</c>). A list of pairs keeps the order and allows no reflection.
/// </summary>
public sealed class KernelArgumentsJsonConverter : JsonConverter<IReadOnlyList<KeyValuePair<string, string?>>>
{
    public override IReadOnlyList<KeyValuePair<string, string?>> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("kernel arguments are a JSON object.");
        }

        var result = new List<KeyValuePair<string, string?>>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string name = reader.GetString()!;
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.True:
                    result.Add(new(name, null));
                    break;
                case JsonTokenType.String:
                    result.Add(new(name, reader.GetString()));
                    break;
                default:
                    // The schema allows false too, which this software never writes: it says nothing, so it is left out.
                    reader.Skip();
                    break;
            }
        }

        return result;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<KeyValuePair<string, string?>> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach ((string name, string? v) in value)
        {
            if (v is null)
            {
                writer.WriteBoolean(name, true);
            }
            else
            {
                writer.WriteString(name, v);
            }
        }

        writer.WriteEndObject();
    }
}
