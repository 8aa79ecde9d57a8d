namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// The content hash algorithms of CernVM-FS. The numeric values are the ABI order of
/// <c>shash::Algorithms</c> (cvmfs/crypto/hash.h), so they can be stored and compared with cvmfs.
/// </summary>
public enum CvmfsHashAlgorithm : byte
{
    /// <summary>MD5, 16 bytes; only used for path hashes and legacy content.</summary>
    Md5 = 0,

    /// <summary>SHA-1, 20 bytes; the default content hash.</summary>
    Sha1 = 1,

    /// <summary>RIPEMD-160, 20 bytes; printed with the <c>-rmd160</c> id.</summary>
    Ripemd160 = 2,

    /// <summary>SHAKE-128 truncated to 160 bits; printed with the <c>-shake128</c> id.</summary>
    Shake128 = 3,
}
