namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// The <c>flags</c> column of a catalog row (catalog_sql.h, <c>kFlag*</c>; docs/CVMFS.md §4.2).
/// Bits 8-10 hold the content hash algorithm minus one and bits 11-13 the compression; read them
/// with <see cref="CatalogFlags"/>.
/// </summary>
[Flags]
public enum CatalogEntryFlags
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>A directory.</summary>
    Directory = 1,

    /// <summary>A directory in the parent catalog where a nested catalog is mounted.</summary>
    NestedMountpoint = 2,

    /// <summary>A regular file (also set on symbolic links by writers).</summary>
    File = 4,

    /// <summary>A symbolic link.</summary>
    Link = 8,

    /// <summary>A special file (device, fifo, socket), schema revision ≥ 5.</summary>
    Special = 16,

    /// <summary>The root directory entry of a nested catalog.</summary>
    NestedRoot = 32,

    /// <summary>A file stored as chunks (table <c>chunks</c>).</summary>
    Chunked = 64,

    /// <summary>An external file whose content is not in the object store.</summary>
    External = 128,

    /// <summary>A bind mount point (revision ≥ 4).</summary>
    BindMountpoint = 0x4000,

    /// <summary>A hidden entry (e.g. <c>/.cvmfs</c>).</summary>
    Hidden = 0x8000,

    /// <summary>A file read with direct I/O (revision ≥ 6).</summary>
    DirectIo = 0x10000,
}

/// <summary>The compression of a file's objects (compression.h <c>zlib::Algorithms</c>).</summary>
public enum CvmfsCompressionAlgorithm
{
    /// <summary>zlib (RFC 1950), the default.</summary>
    Zlib = 0,

    /// <summary>Stored uncompressed.</summary>
    None = 1,
}

/// <summary>Decoding of the multi-bit fields in <see cref="CatalogEntryFlags"/>.</summary>
public static class CatalogFlags
{
    /// <summary>Content hash algorithm: bits 8-10 store the algorithm minus one (catalog_sql.h kFlagPosHash).</summary>
    public static CvmfsHashAlgorithm HashAlgorithm(long flags) => (CvmfsHashAlgorithm)(((flags >> 8) & 7) + 1);

    /// <summary>Compression: bits 11-13 (catalog_sql.h kFlagPosCompression).</summary>
    public static CvmfsCompressionAlgorithm Compression(long flags) => (CvmfsCompressionAlgorithm)((flags >> 11) & 7);
}
