using System.Globalization;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using Microsoft.Data.Sqlite;

namespace CernVM.Preserve.Catalog;

/// <summary>
/// A tree catalog (FORMAT.md §6): the SQLite file listing one tree, stored as a blob. Writing is
/// deterministic: the same entries give the same bytes, so an unchanged tree gives the same catalog blob.
/// </summary>
public static class TreeCatalog
{
    private static readonly byte[] SqliteMagic = "SQLite format 3\0"u8.ToArray();

    /// <summary>Writes <paramref name="entries"/> (ids 1..n, parents first) into catalog bytes.</summary>
    public static byte[] Write(IReadOnlyList<TreeEntry> entries)
    {
        string path = Path.Combine(Path.GetTempPath(), $"cvmpreserve-catalog-{Guid.NewGuid():N}.sqlite");
        try
        {
            using (var conn = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                conn.Open();
                Exec(conn, "PRAGMA page_size=4096; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA encoding='UTF-8';");
                Exec(conn, System.Text.Encoding.UTF8.GetString(EmbeddedFiles.CatalogDdl));
                using SqliteTransaction tx = conn.BeginTransaction();
                using (SqliteCommand info = conn.CreateCommand())
                {
                    info.CommandText = "INSERT INTO catalog_info(key, value) VALUES ('format', '1'), ('entries', $n)";
                    info.Parameters.AddWithValue("$n", entries.Count.ToString(CultureInfo.InvariantCulture));
                    info.ExecuteNonQuery();
                }

                using SqliteCommand e = conn.CreateCommand();
                e.CommandText =
                    "INSERT INTO entries(id, parent, path, kind, state, mode, uid, gid, uname, gname, mtime_sec, mtime_nsec, size, " +
                    "rdev_major, rdev_minor, target, hardlink_to, content, note, src_dev, src_ino, ctime_sec, ctime_nsec) VALUES " +
                    "($id, $parent, $path, $kind, $state, $mode, $uid, $gid, $uname, $gname, $ms, $mn, $size, $maj, $min, $target, $hl, $content, $note, $dev, $ino, $cs, $cn)";
                string[] names = ["$id", "$parent", "$path", "$kind", "$state", "$mode", "$uid", "$gid", "$uname", "$gname", "$ms", "$mn", "$size", "$maj", "$min", "$target", "$hl", "$content", "$note", "$dev", "$ino", "$cs", "$cn"];
                SqliteParameter[] p = names.Select(n => e.Parameters.Add(n, SqliteType.Integer)).ToArray();
                p[2].SqliteType = SqliteType.Blob;
                p[15].SqliteType = SqliteType.Blob;
                foreach (int i in new[] { 3, 4, 8, 9, 17, 18 })
                {
                    p[i].SqliteType = SqliteType.Text;
                }

                e.Prepare();

                using SqliteCommand x = conn.CreateCommand();
                x.CommandText = "INSERT INTO extents(entry, offset, length, blob, blob_offset) VALUES ($e, $o, $l, $b, $bo)";
                SqliteParameter xe = x.Parameters.Add("$e", SqliteType.Integer), xo = x.Parameters.Add("$o", SqliteType.Integer),
                    xl = x.Parameters.Add("$l", SqliteType.Integer), xb = x.Parameters.Add("$b", SqliteType.Text), xbo = x.Parameters.Add("$bo", SqliteType.Integer);
                x.Prepare();

                using SqliteCommand a = conn.CreateCommand();
                a.CommandText = "INSERT INTO xattrs(entry, name, value) VALUES ($e, $n, $v)";
                SqliteParameter ae = a.Parameters.Add("$e", SqliteType.Integer), an = a.Parameters.Add("$n", SqliteType.Blob), av = a.Parameters.Add("$v", SqliteType.Blob);
                a.Prepare();

                foreach (TreeEntry t in entries)
                {
                    p[0].Value = t.Id;
                    p[1].Value = (object?)t.ParentId ?? DBNull.Value;
                    p[2].Value = t.Path;
                    p[3].Value = KindName(t.Kind);
                    p[4].Value = StateName(t.State);
                    p[5].Value = t.Mode;
                    p[6].Value = t.Uid;
                    p[7].Value = t.Gid;
                    p[8].Value = (object?)t.UserName ?? DBNull.Value;
                    p[9].Value = (object?)t.GroupName ?? DBNull.Value;
                    p[10].Value = t.MtimeSeconds;
                    p[11].Value = t.MtimeNanoseconds;
                    p[12].Value = t.Size;
                    p[13].Value = t.DeviceMajor;
                    p[14].Value = t.DeviceMinor;
                    p[15].Value = (object?)t.LinkTarget ?? DBNull.Value;
                    p[16].Value = (object?)t.HardlinkTo ?? DBNull.Value;
                    p[17].Value = t.Content is BlobId c ? c.ToString() : DBNull.Value;
                    p[18].Value = (object?)t.Note ?? DBNull.Value;
                    p[19].Value = t.SourceDevice;
                    p[20].Value = t.SourceInode;
                    p[21].Value = t.CtimeSeconds;
                    p[22].Value = t.CtimeNanoseconds;
                    e.ExecuteNonQuery();

                    foreach (Extent ext in t.Extents)
                    {
                        xe.Value = t.Id;
                        xo.Value = ext.Offset;
                        xl.Value = ext.Length;
                        xb.Value = ext.Blob.ToString();
                        xbo.Value = ext.BlobOffset;
                        x.ExecuteNonQuery();
                    }

                    foreach (XAttr attr in t.XAttrs)
                    {
                        ae.Value = t.Id;
                        an.Value = attr.Name;
                        av.Value = attr.Value;
                        a.ExecuteNonQuery();
                    }
                }

                tx.Commit();
            }

            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Reads every entry of a catalog, with extents and xattrs, in id order.</summary>
    /// <exception cref="PreserveException">The bytes are not a format-1 tree catalog (kind Integrity), naming <paramref name="what"/>.</exception>
    public static List<TreeEntry> ReadAll(byte[] catalog, string what)
    {
        using var file = new CatalogFile(catalog, what);
        return file.ReadAll();
    }

    public static string KindName(EntryKind kind) => kind switch
    {
        EntryKind.Directory => "dir",
        EntryKind.File => "file",
        EntryKind.Symlink => "symlink",
        EntryKind.CharDevice => "chardev",
        EntryKind.BlockDevice => "blockdev",
        EntryKind.Fifo => "fifo",
        EntryKind.Socket => "socket",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static EntryKind ParseKind(string s, string what) => s switch
    {
        "dir" => EntryKind.Directory,
        "file" => EntryKind.File,
        "symlink" => EntryKind.Symlink,
        "chardev" => EntryKind.CharDevice,
        "blockdev" => EntryKind.BlockDevice,
        "fifo" => EntryKind.Fifo,
        "socket" => EntryKind.Socket,
        _ => throw new PreserveException(FailureKind.Integrity, $"{what}: unknown entry kind '{s}'."),
    };

    internal static string StateName(EntryState state) => state switch
    {
        EntryState.Captured => "captured",
        EntryState.Excluded => "excluded",
        EntryState.Pseudo => "pseudo",
        EntryState.Unreadable => "unreadable",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    internal static EntryState ParseState(string s, string what) => s switch
    {
        "captured" => EntryState.Captured,
        "excluded" => EntryState.Excluded,
        "pseudo" => EntryState.Pseudo,
        "unreadable" => EntryState.Unreadable,
        _ => throw new PreserveException(FailureKind.Integrity, $"{what}: unknown entry state '{s}'."),
    };

    internal static bool HasSqliteMagic(byte[] bytes) => bytes.AsSpan().StartsWith(SqliteMagic);

    private static void Exec(SqliteConnection conn, string sql)
    {
        using SqliteCommand c = conn.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }
}
