using System.Buffers.Binary;
using System.Text;

namespace CernVM.Preserve.Curation.Packages;

/// <summary>
/// One rpm header, parsed from the blob an rpm database stores per installed package, or from the header
/// section of a package file (the same bytes preceded by the 8-byte header magic).
/// </summary>
/// <remarks>
/// Layout (rpm docs/manual/format_header.md): two big-endian uint32 counts <c>il</c> (index entries) and
/// <c>dl</c> (data bytes), then <c>il</c> 16-byte index entries (tag, type, offset, count), then the data
/// area. Every entry is checked against the data area before it is used, so a corrupt blob is reported
/// as a <see cref="PackageDatabaseException"/> and never reads out of bounds.
/// </remarks>
public sealed class RpmHeader
{
    private const int EntrySize = 16;

    // lib/header.cc: HEADER_TAGS_MAX and HEADER_DATA_MAX bound a header; larger counts mean corruption.
    private const int MaxEntries = 0xffff;
    private const int MaxData = 0x0fffffff;

    private static ReadOnlySpan<byte> Magic => [0x8e, 0xad, 0xe8, 0x01];

    private readonly byte[] _data;
    private readonly Dictionary<int, Entry> _entries;
    private readonly string _databasePath;
    private readonly string _record;

    private RpmHeader(byte[] data, Dictionary<int, Entry> entries, int? regionTag, int regionEntryCount, string databasePath, string record)
    {
        _data = data;
        _entries = entries;
        RegionTag = regionTag;
        RegionEntryCount = regionEntryCount;
        _databasePath = databasePath;
        _record = record;
    }

    /// <summary>The region tag of the first entry (63 for an installed package), or null for a header without a region.</summary>
    public int? RegionTag { get; }

    /// <summary>How many index entries, the region tag included, belong to the immutable region; the rest are "dribbles" added at install.</summary>
    public int RegionEntryCount { get; }

    /// <summary>The tags present, region tag excluded; a tag repeated by a dribble appears once.</summary>
    public IEnumerable<int> Tags => _entries.Keys;

    /// <summary>Parses and bounds-checks a header blob.</summary>
    /// <param name="blob">The header bytes, with or without the leading 8-byte magic.</param>
    /// <param name="databasePath">The database file, named in error messages.</param>
    /// <param name="record">The record within it (for example <c>header #12</c>), named in error messages.</param>
    /// <exception cref="PackageDatabaseException">The blob is truncated or an entry points outside it.</exception>
    public static RpmHeader Parse(ReadOnlySpan<byte> blob, string databasePath, string record)
    {
        ArgumentNullException.ThrowIfNull(databasePath);
        ArgumentNullException.ThrowIfNull(record);
        if (blob.Length >= 8 && blob[..4].SequenceEqual(Magic))
        {
            blob = blob[8..];
        }

        if (blob.Length < 8)
        {
            throw Corrupt(databasePath, record, $"header blob is {blob.Length} bytes, shorter than its 8-byte intro");
        }

        uint il = BinaryPrimitives.ReadUInt32BigEndian(blob);
        uint dl = BinaryPrimitives.ReadUInt32BigEndian(blob[4..]);
        if (il == 0 || il > MaxEntries || dl > MaxData)
        {
            throw Corrupt(databasePath, record, $"header claims {il} index entries and {dl} data bytes");
        }

        long needed = 8 + ((long)il * EntrySize) + dl;
        if (blob.Length < needed)
        {
            throw Corrupt(databasePath, record, $"header is truncated: {il} entries and {dl} data bytes need {needed} bytes, the blob has {blob.Length}");
        }

        ReadOnlySpan<byte> index = blob.Slice(8, (int)il * EntrySize);
        byte[] data = blob.Slice(8 + ((int)il * EntrySize), (int)dl).ToArray();

        int? regionTag = null;
        int regionEntries = 0;
        var entries = new Dictionary<int, Entry>((int)il);
        for (int n = 0; n < il; n++)
        {
            ReadOnlySpan<byte> raw = index.Slice(n * EntrySize, EntrySize);
            var entry = new Entry(
                BinaryPrimitives.ReadInt32BigEndian(raw),
                (RpmTagType)BinaryPrimitives.ReadInt32BigEndian(raw[4..]),
                BinaryPrimitives.ReadInt32BigEndian(raw[8..]),
                BinaryPrimitives.ReadInt32BigEndian(raw[12..]));

            if (n == 0 && entry.Tag is (int)RpmTag.HeaderImage or (int)RpmTag.HeaderSignatures or (int)RpmTag.HeaderImmutable)
            {
                regionEntries = CheckRegion(entry, data, (int)il, databasePath, record);
                regionTag = entry.Tag;
                continue;
            }

            CheckEntry(entry, data, databasePath, record);

            // Tags outside the region ("dribbles", written at install time) replace region values with
            // the same tag, as headerImport does; the later entry wins.
            entries[entry.Tag] = entry;
        }

        return new RpmHeader(data, entries, regionTag, regionEntries, databasePath, record);
    }

    public bool Contains(RpmTag tag) => _entries.ContainsKey((int)tag);

    /// <summary>The type of the entry for <paramref name="tag"/>, or null when absent.</summary>
    public RpmTagType? GetTagType(int tag) => _entries.TryGetValue(tag, out Entry e) ? e.Type : null;

    /// <summary>
    /// A STRING entry, the first (untranslated "C" locale) value of an I18NSTRING, or the first value of a
    /// STRING_ARRAY; null when the tag is absent.
    /// </summary>
    /// <exception cref="PackageDatabaseException">The tag holds a non-string type.</exception>
    public string? GetString(RpmTag tag)
    {
        IReadOnlyList<string>? values = GetStrings((int)tag);
        return values is null ? null : values.Count > 0 ? values[0] : string.Empty;
    }

    /// <summary>All strings of a STRING, STRING_ARRAY or I18NSTRING entry; empty when the tag is absent.</summary>
    /// <exception cref="PackageDatabaseException">The tag holds a non-string type.</exception>
    public IReadOnlyList<string> GetStringArray(RpmTag tag) => GetStrings((int)tag) ?? [];

    /// <summary>
    /// The values of an integer entry (CHAR, INT8, INT16, INT32, INT64), widened to long. CHAR to INT32 are
    /// read unsigned, because rpm stores sizes and flag words as uint32. Null when the tag is absent.
    /// </summary>
    /// <exception cref="PackageDatabaseException">The tag holds a non-integer type.</exception>
    public long[]? GetIntegers(RpmTag tag)
    {
        if (!_entries.TryGetValue((int)tag, out Entry e))
        {
            return null;
        }

        ReadOnlySpan<byte> d = _data.AsSpan(e.Offset);
        var values = new long[e.Count];
        for (int i = 0; i < e.Count; i++)
        {
            values[i] = e.Type switch
            {
                RpmTagType.Char or RpmTagType.Int8 => d[i],
                RpmTagType.Int16 => BinaryPrimitives.ReadUInt16BigEndian(d[(i * 2)..]),
                RpmTagType.Int32 => BinaryPrimitives.ReadUInt32BigEndian(d[(i * 4)..]),
                RpmTagType.Int64 => BinaryPrimitives.ReadInt64BigEndian(d[(i * 8)..]),
                _ => throw Corrupt(_databasePath, _record, $"tag {e.Tag} has type {e.Type}, expected an integer type"),
            };
        }

        return values;
    }

    /// <summary>The bytes of a BIN entry (or of any fixed-size entry), or null when absent.</summary>
    public byte[]? GetBinary(RpmTag tag)
    {
        if (!_entries.TryGetValue((int)tag, out Entry e))
        {
            return null;
        }

        int length = e.Type switch
        {
            RpmTagType.Binary or RpmTagType.Char or RpmTagType.Int8 => e.Count,
            RpmTagType.Int16 => e.Count * 2,
            RpmTagType.Int32 => e.Count * 4,
            RpmTagType.Int64 => e.Count * 8,
            _ => throw Corrupt(_databasePath, _record, $"tag {e.Tag} has type {e.Type}, expected binary data"),
        };
        return _data.AsSpan(e.Offset, length).ToArray();
    }

    /// <summary>Reads the package identity, sizes, requirements and header digests from this header.</summary>
    /// <exception cref="PackageDatabaseException">The header has no name, version or release, or its requirement arrays disagree in length.</exception>
    public InstalledPackage ToInstalledPackage(PackageDatabaseFormat sourceFormat)
    {
        string name = GetString(RpmTag.Name) ?? throw Corrupt(_databasePath, _record, "header has no NAME (1000)");
        string version = GetString(RpmTag.Version) ?? throw Corrupt(_databasePath, _record, $"header of {name} has no VERSION (1001)");
        string release = GetString(RpmTag.Release) ?? throw Corrupt(_databasePath, _record, $"header of {name} has no RELEASE (1002)");

        long[]? epoch = GetIntegers(RpmTag.Epoch);
        long[]? installTime = GetIntegers(RpmTag.InstallTime);

        // LONGSIZE (5009) replaces SIZE for packages of 4 GiB or more; rpm writes only one of them.
        long[]? size = GetIntegers(RpmTag.LongSize) ?? GetIntegers(RpmTag.Size);

        return new InstalledPackage
        {
            Name = name,
            Epoch = epoch is [long e, ..] ? unchecked((int)e) : null,
            Version = version,
            Release = release,
            Architecture = GetString(RpmTag.Arch),
            Size = size is [long s, ..] ? s : null,
            InstallTime = installTime is [long t, ..] ? InstallTimeOf(name, t) : null,
            Summary = GetString(RpmTag.Summary),
            License = GetString(RpmTag.License),
            Requires = ReadRequires(),
            HeaderSha1 = GetString(RpmTag.Sha1Header),
            HeaderSha256 = GetString(RpmTag.Sha256Header),
            SourceFormat = sourceFormat,
        };
    }

    // INSTALLTIME (1008) is seconds since 1970; one a calendar cannot hold (years before 1 or after 9999) is a
    // damaged header, not a time.
    private DateTimeOffset InstallTimeOf(string name, long seconds) =>
        seconds >= DateTimeOffset.MinValue.ToUnixTimeSeconds() && seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : throw Corrupt(_databasePath, _record, $"header of {name} has INSTALLTIME (1008) {seconds}, outside the years 1-9999");

    private List<PackageRequirement> ReadRequires()
    {
        // The three REQUIRE* tags are parallel arrays (lib/rpmds.c); very old headers may omit flags and
        // versions for unversioned requirements.
        IReadOnlyList<string> names = GetStringArray(RpmTag.RequireName);
        long[] flags = GetIntegers(RpmTag.RequireFlags) ?? new long[names.Count];
        IReadOnlyList<string> versions = Contains(RpmTag.RequireVersion) ? GetStringArray(RpmTag.RequireVersion) : new string[names.Count];
        if (flags.Length != names.Count || versions.Count != names.Count)
        {
            throw Corrupt(_databasePath, _record, $"REQUIRENAME has {names.Count} values but REQUIREFLAGS {flags.Length} and REQUIREVERSION {versions.Count}");
        }

        var requires = new List<PackageRequirement>(names.Count);
        for (int i = 0; i < names.Count; i++)
        {
            int f = unchecked((int)flags[i]);
            requires.Add(new PackageRequirement(names[i], (RequirementComparison)(f & 0x0E), versions[i] ?? string.Empty) { RpmFlags = f });
        }

        return requires;
    }

    private IReadOnlyList<string>? GetStrings(int tag)
    {
        if (!_entries.TryGetValue(tag, out Entry e))
        {
            return null;
        }

        if (e.Type is not (RpmTagType.String or RpmTagType.StringArray or RpmTagType.I18nString))
        {
            throw Corrupt(_databasePath, _record, $"tag {tag} has type {e.Type}, expected a string type");
        }

        // CheckEntry has verified that every string is NUL-terminated inside the data area.
        var values = new string[e.Count];
        int offset = e.Offset;
        for (int i = 0; i < e.Count; i++)
        {
            int end = Array.IndexOf(_data, (byte)0, offset);
            values[i] = DecodeString(_data.AsSpan(offset, end - offset));
            offset = end + 1;
        }

        return values;
    }

    // Header strings carry no declared encoding: modern packages use UTF-8, 1990s ones often Latin-1.
    // Decode as UTF-8 when valid and fall back to Latin-1, which maps every byte, so nothing is lost.
    private static string DecodeString(ReadOnlySpan<byte> bytes) =>
        System.Text.Unicode.Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : Encoding.Latin1.GetString(bytes);

    private static int CheckRegion(Entry entry, byte[] data, int il, string path, string record)
    {
        // format_header.md "Immutable regions": the region entry is BIN with count 16, its offset points at
        // a 16-byte trailer in the data area that repeats the tag and stores -(region entries × 16).
        if (entry.Type != RpmTagType.Binary || entry.Count != EntrySize)
        {
            throw Corrupt(path, record, $"region tag {entry.Tag} has type {(int)entry.Type} and count {entry.Count}, expected BIN and 16");
        }

        if (entry.Offset < 0 || (long)entry.Offset + EntrySize > data.Length)
        {
            throw Corrupt(path, record, $"region trailer at offset {entry.Offset} lies outside the {data.Length}-byte data area");
        }

        ReadOnlySpan<byte> trailer = data.AsSpan(entry.Offset, EntrySize);
        int trailerTag = BinaryPrimitives.ReadInt32BigEndian(trailer);
        int trailerType = BinaryPrimitives.ReadInt32BigEndian(trailer[4..]);
        long regionBytes = -(long)BinaryPrimitives.ReadInt32BigEndian(trailer[8..]);
        int trailerCount = BinaryPrimitives.ReadInt32BigEndian(trailer[12..]);

        // lib/header.cc hdrblobVerifyRegion: old signature headers carry HEADER_IMAGE in the trailer.
        bool tagMatches = trailerTag == entry.Tag
            || (entry.Tag == (int)RpmTag.HeaderSignatures && trailerTag == (int)RpmTag.HeaderImage);
        if (!tagMatches || trailerType != (int)RpmTagType.Binary || trailerCount != EntrySize)
        {
            throw Corrupt(path, record, $"region trailer is tag {trailerTag} type {trailerType} count {trailerCount}, expected tag {entry.Tag}, BIN, 16");
        }

        if (regionBytes <= 0 || regionBytes % EntrySize != 0 || regionBytes / EntrySize > il)
        {
            throw Corrupt(path, record, $"region size {regionBytes} bytes does not fit the {il} index entries");
        }

        return (int)(regionBytes / EntrySize);
    }

    private static void CheckEntry(Entry e, byte[] data, string path, string record)
    {
        if (e.Type is < RpmTagType.Char or > RpmTagType.I18nString)
        {
            throw Corrupt(path, record, $"tag {e.Tag} has unknown type {(int)e.Type}");
        }

        if (e.Count <= 0 || e.Count > data.Length)
        {
            throw Corrupt(path, record, $"tag {e.Tag} has count {e.Count}, impossible in a {data.Length}-byte data area");
        }

        if (e.Offset < 0 || e.Offset >= data.Length)
        {
            throw Corrupt(path, record, $"tag {e.Tag} points at offset {e.Offset}, outside the {data.Length}-byte data area");
        }

        if (e.Type == RpmTagType.String && e.Count != 1)
        {
            throw Corrupt(path, record, $"tag {e.Tag} is a STRING with count {e.Count}; a STRING holds one value");
        }

        int width = e.Type switch
        {
            RpmTagType.Int16 => 2,
            RpmTagType.Int32 => 4,
            RpmTagType.Int64 => 8,
            RpmTagType.Char or RpmTagType.Int8 or RpmTagType.Binary => 1,
            _ => 0,
        };

        if (width > 0)
        {
            // The data of each integer type starts aligned to its width (format_header.md "Data").
            if (e.Offset % width != 0)
            {
                throw Corrupt(path, record, $"tag {e.Tag} of type {e.Type} is misaligned at offset {e.Offset}");
            }

            if ((long)e.Offset + ((long)e.Count * width) > data.Length)
            {
                throw Corrupt(path, record, $"tag {e.Tag} needs {(long)e.Count * width} bytes at offset {e.Offset}, beyond the {data.Length}-byte data area");
            }

            return;
        }

        int offset = e.Offset;
        for (int i = 0; i < e.Count; i++)
        {
            int end = offset < data.Length ? Array.IndexOf(data, (byte)0, offset) : -1;
            if (end < 0)
            {
                throw Corrupt(path, record, $"string {i} of tag {e.Tag} runs past the end of the data area");
            }

            offset = end + 1;
        }
    }

    private static PackageDatabaseException Corrupt(string path, string record, string what) =>
        PackageDatabaseException.Corrupt(path, record, what);

    private readonly record struct Entry(int Tag, RpmTagType Type, int Offset, int Count);
}
