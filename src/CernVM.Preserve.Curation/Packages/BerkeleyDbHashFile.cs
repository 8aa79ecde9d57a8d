using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace CernVM.Preserve.Curation.Packages;

/// <summary>
/// A read-only walk over the key/value pairs of a Berkeley DB hash database file (format versions 8 to 10,
/// Berkeley DB 4.x to 6.x), without libdb.
/// </summary>
/// <remarks>
/// Layout, as read by rpm's lib/backend/bdb_ro.c and described in libdb's dbinc/db_page.h:
/// <list type="bullet">
/// <item>Page 0 is the hash metadata page: magic 0x061561 at byte 12 (its byte order is the file's byte
/// order, which is the order of the machine that wrote it), version at 16, page size at 20, last page
/// number at 32, max bucket at 72 and the 32 "spares" at 96 that map a bucket to its first page.</item>
/// <item>Every page starts with a 26-byte header: page number at 8, next page at 16, item count (uint16)
/// at 20, high free offset (uint16) at 22, page type at 25.</item>
/// <item>Hash pages (type 2 or 13) hold an array of uint16 item offsets at 26; items come in key/value
/// pairs, stored from the end of the page downwards. An item is H_KEYDATA (type byte 1, data follows) or
/// H_OFFPAGE (type 3: overflow page number at +4, total length at +8).</item>
/// <item>Overflow pages (type 7) hold high-free-offset bytes of data at 26 and chain through "next".</item>
/// </list>
/// </remarks>
internal sealed class BerkeleyDbHashFile : IDisposable
{
    private const uint HashMagic = 0x00061561;
    private const uint BtreeMagic = 0x00053162;
    private const int PageHeaderSize = 26;
    private const byte HashUnsortedPage = 2;
    private const byte OverflowPage = 7;
    private const byte HashPage = 13;
    private const byte KeyDataItem = 1;
    private const byte OffPageItem = 3;

    private readonly SafeFileHandle _handle;
    private readonly string _path;
    private readonly long _length;
    private readonly bool _bigEndian;
    private readonly uint _pageSize;
    private readonly uint _lastPage;
    private readonly uint _maxBucket;
    private readonly uint[] _spares;

    private BerkeleyDbHashFile(SafeFileHandle handle, string path, long length, bool bigEndian, uint pageSize, uint lastPage, uint maxBucket, uint[] spares)
    {
        _handle = handle;
        _path = path;
        _length = length;
        _bigEndian = bigEndian;
        _pageSize = pageSize;
        _lastPage = lastPage;
        _maxBucket = maxBucket;
        _spares = spares;
    }

    /// <summary>True when the file was written on a big-endian machine.</summary>
    public bool IsBigEndian => _bigEndian;

    public static BerkeleyDbHashFile Open(string path)
    {
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        try
        {
            long length = RandomAccess.GetLength(handle);
            byte[] meta = new byte[512];
            if (length < meta.Length || RandomAccess.Read(handle, meta, 0) != meta.Length)
            {
                throw PackageDatabaseException.Corrupt(path, null, $"the file is {length} bytes, too short for a Berkeley DB metadata page");
            }

            uint magicLittle = BinaryPrimitives.ReadUInt32LittleEndian(meta.AsSpan(12));
            uint magicBig = BinaryPrimitives.ReadUInt32BigEndian(meta.AsSpan(12));
            bool bigEndian;
            if (magicLittle == HashMagic)
            {
                bigEndian = false;
            }
            else if (magicBig == HashMagic)
            {
                bigEndian = true;
            }
            else if (magicLittle == BtreeMagic || magicBig == BtreeMagic)
            {
                throw PackageDatabaseException.Corrupt(path, null, "this is a Berkeley DB btree (an rpm index such as Name), not the hash database Packages");
            }
            else
            {
                throw PackageDatabaseException.Corrupt(path, null, $"not a Berkeley DB hash database (magic 0x{magicLittle:x8} at byte 12, expected 0x{HashMagic:x8})");
            }

            uint U32(int offset) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(meta.AsSpan(offset)) : BinaryPrimitives.ReadUInt32LittleEndian(meta.AsSpan(offset));

            uint version = U32(16);
            uint pageSize = U32(20);
            uint lastPage = U32(32);
            uint maxBucket = U32(72);

            // bdb_ro.c accepts hash versions 8 (db 4.2/4.3: SL4, SL5) to 10 (db 5.x/6.x); 9 is db 4.6+ (SL6, EL7, EL8).
            if (version is < 8 or > 10)
            {
                throw PackageDatabaseException.Corrupt(path, null, $"unsupported Berkeley DB hash version {version} (8 to 10 are supported)");
            }

            if (pageSize is < 512 or > 65536 || (pageSize & (pageSize - 1)) != 0)
            {
                throw PackageDatabaseException.Corrupt(path, null, $"invalid page size {pageSize}");
            }

            if (meta[24] != 0)
            {
                throw PackageDatabaseException.Corrupt(path, null, "the database is encrypted");
            }

            var spares = new uint[32];
            for (int i = 0; i < spares.Length; i++)
            {
                spares[i] = U32(96 + (4 * i));
            }

            return new BerkeleyDbHashFile(handle, path, length, bigEndian, pageSize, lastPage, maxBucket, spares);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Every key/value pair, bucket by bucket, with the page where each pair's index lives.</summary>
    /// <exception cref="PackageDatabaseException">A page is missing, of the wrong type, or an item points outside its page.</exception>
    public IEnumerable<(byte[] Key, byte[] Value, uint Page)> ReadPairs()
    {
        byte[] page = new byte[_pageSize];
        for (uint bucket = 0; bucket <= _maxBucket; bucket++)
        {
            // bdb_ro.c hash_bucket_to_page: a bucket's first page is bucket + spares[number of bits in bucket].
            uint pageNumber = bucket + _spares[32 - uint.LeadingZeroCount(bucket)];
            uint hops = 0;
            while (pageNumber != 0)
            {
                if (++hops > _lastPage + 1)
                {
                    throw Corrupt(pageNumber, $"the page chain of bucket {bucket} loops");
                }

                ReadPage(pageNumber, page);
                byte type = page[25];
                if (type is not (HashUnsortedPage or HashPage))
                {
                    throw Corrupt(pageNumber, $"bucket {bucket} leads to a page of type {type}, not a hash page");
                }

                int items = U16(page, 20);
                if (items % 2 != 0 || PageHeaderSize + (2 * items) > _pageSize)
                {
                    throw Corrupt(pageNumber, $"{items} items do not form key/value pairs on a {_pageSize}-byte page");
                }

                for (int k = 0; k < items; k += 2)
                {
                    int keyOffset = U16(page, PageHeaderSize + (2 * k));
                    int valueOffset = U16(page, PageHeaderSize + (2 * (k + 1)));

                    // Items fill the page from its end downwards: a key ends where the previous item starts.
                    int keyEnd = k == 0 ? (int)_pageSize : U16(page, PageHeaderSize + (2 * (k - 1)));
                    byte[] key = ReadItem(page, pageNumber, keyOffset, keyEnd - keyOffset);
                    byte[] value = ReadItem(page, pageNumber, valueOffset, keyOffset - valueOffset);
                    yield return (key, value, pageNumber);
                }

                pageNumber = U32(page, 16);
            }
        }
    }

    public void Dispose() => _handle.Dispose();

    internal uint ReadKeyNumber(byte[] key) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(key) : BinaryPrimitives.ReadUInt32LittleEndian(key);

    private byte[] ReadItem(byte[] page, uint pageNumber, int offset, int length)
    {
        int minimum = PageHeaderSize + (2 * U16(page, 20));
        if (offset < minimum || length <= 0 || offset + length > _pageSize)
        {
            throw Corrupt(pageNumber, $"item at offset {offset} with length {length} lies outside the page's item area");
        }

        switch (page[offset])
        {
            case KeyDataItem:
                return page.AsSpan(offset + 1, length - 1).ToArray();
            case OffPageItem when length == 12:
                return ReadOverflow(pageNumber, U32(page, offset + 4), U32(page, offset + 8));
            default:
                throw Corrupt(pageNumber, $"item at offset {offset} has unsupported type {page[offset]} (length {length})");
        }
    }

    private byte[] ReadOverflow(uint fromPage, uint pageNumber, uint totalLength)
    {
        // A header never exceeds rpm's HEADER_DATA_MAX plus its index; anything larger is corruption.
        if (totalLength == 0 || totalLength > (uint)Math.Min(_length, 0x2000_0000))
        {
            throw Corrupt(fromPage, $"overflow item claims {totalLength} bytes");
        }

        byte[] result = new byte[totalLength];
        byte[] page = new byte[_pageSize];
        int filled = 0;
        while (filled < result.Length)
        {
            if (pageNumber == 0)
            {
                throw Corrupt(fromPage, $"overflow chain ends after {filled} of {totalLength} bytes");
            }

            ReadPage(pageNumber, page);
            if (page[25] != OverflowPage)
            {
                throw Corrupt(pageNumber, $"page of type {page[25]} in an overflow chain");
            }

            int chunk = U16(page, 22);
            if (PageHeaderSize + chunk > _pageSize || chunk > result.Length - filled || chunk == 0)
            {
                throw Corrupt(pageNumber, $"overflow page holds {chunk} bytes, inconsistent with the {totalLength}-byte item");
            }

            page.AsSpan(PageHeaderSize, chunk).CopyTo(result.AsSpan(filled));
            filled += chunk;
            pageNumber = U32(page, 16);
        }

        return result;
    }

    private void ReadPage(uint pageNumber, byte[] page)
    {
        long offset = (long)pageNumber * _pageSize;
        if (pageNumber == 0 || pageNumber > _lastPage || offset + _pageSize > _length)
        {
            throw Corrupt(pageNumber, $"page {pageNumber} is outside the database (last page {_lastPage}, file {_length} bytes)");
        }

        if (RandomAccess.Read(_handle, page, offset) != page.Length)
        {
            throw Corrupt(pageNumber, "short read");
        }

        if (U32(page, 8) != pageNumber)
        {
            throw Corrupt(pageNumber, $"the page header says it is page {U32(page, 8)}");
        }
    }

    private int U16(byte[] page, int offset) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(page.AsSpan(offset)) : BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(offset));

    private uint U32(byte[] page, int offset) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(page.AsSpan(offset)) : BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(offset));

    private PackageDatabaseException Corrupt(uint pageNumber, string what) =>
        PackageDatabaseException.Corrupt(_path, $"page {pageNumber}", what);
}
