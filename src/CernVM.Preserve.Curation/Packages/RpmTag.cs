namespace CernVM.Preserve.Curation.Packages;

/// <summary>The rpm header tags this reader interprets (numbers from include/rpm/rpmtag.h).</summary>
public enum RpmTag
{
    /// <summary>HEADER_IMAGE: region tag of pre-4.0 style headers.</summary>
    HeaderImage = 61,

    /// <summary>HEADER_SIGNATURES: region tag of a signature header.</summary>
    HeaderSignatures = 62,

    /// <summary>HEADER_IMMUTABLE: region tag of the signed, immutable part of a package header.</summary>
    HeaderImmutable = 63,

    /// <summary>HEADER_I18NTABLE: the locales of I18NSTRING values.</summary>
    HeaderI18nTable = 100,
    Sha1Header = 269,
    Sha256Header = 273,
    Name = 1000,
    Version = 1001,
    Release = 1002,
    Epoch = 1003,
    Summary = 1004,
    InstallTime = 1008,
    Size = 1009,
    License = 1014,
    Arch = 1022,
    SourceRpm = 1044,
    RequireFlags = 1048,
    RequireName = 1049,
    RequireVersion = 1050,
    LongSize = 5009,
}

/// <summary>The data types of header entries (docs/manual/format_header.md, "Index").</summary>
public enum RpmTagType
{
    Null = 0,
    Char = 1,
    Int8 = 2,
    Int16 = 3,
    Int32 = 4,
    Int64 = 5,
    String = 6,
    Binary = 7,
    StringArray = 8,
    I18nString = 9,
}
