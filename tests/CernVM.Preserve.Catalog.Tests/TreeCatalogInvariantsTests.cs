using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Data.Sqlite;
using Xunit;

namespace CernVM.Preserve.Catalog.Tests;

/// <summary>
/// The rules of FORMAT.md §6 hold for every catalog written: random trees, valid and with one hostile change
/// (hard-link groupings above all), are fed to the catalog writer and, written without any check, to the reader.
/// The writer refuses exactly what the reader refuses, naming the entry.
/// </summary>
public sealed class TreeCatalogInvariantsTests
{
    /// <summary>One hostile change to a valid tree; each breaks one rule at one entry.</summary>
    public enum Hostility
    {
        HardLinkToALaterEntry,
        HardLinkToAnotherKind,
        SymlinkHardLinkedToAFile,
        HardLinkToADirectory,
        HardLinkToAHardLink,
        DirectoryAsHardLink,
        HardLinkWithExtents,
        ParentIsNotADirectory,
        ParentListedLater,
        NotInsideItsParent,
        PathListedTwice,
        DotDotSegment,
        ExtentPastTheSize,
        ExtentsOverlap,
        SymlinkSizeNotItsTarget,
        DeviceWithASize,
        ModeWithTypeBits,
        ExtentsOnAnUncapturedFile,
    }

    private static readonly Gen<int> Seeds = Gen.Choose(0, int.MaxValue);

    private static readonly Gen<int> Sizes = Gen.Choose(0, 40);

    private static readonly Gen<Hostility> Hostilities = Gen.Elements(Enum.GetValues<Hostility>());

    /// <summary>
    /// A valid tree: ids in creation order (parents first), a fixed skeleton that every hostility can act on,
    /// then <paramref name="extra"/> random entries: directories, sparse files with extents, symlinks, devices,
    /// and hard links to earlier first names of every kind but directories.
    /// </summary>
    internal static List<TreeEntry> ValidTree(int seed, int extra)
    {
        var random = new Random(seed);
        var entries = new List<TreeEntry>();
        BlobId bundle = BlobId.Of(BitConverter.GetBytes(seed));

        TreeEntry Add(TreeEntry parent, string name, EntryKind kind, Func<TreeEntry, TreeEntry>? shape = null)
        {
            byte[] path = parent.Path.Length == 0 ? System.Text.Encoding.ASCII.GetBytes(name) : [.. parent.Path, (byte)'/', .. System.Text.Encoding.ASCII.GetBytes(name)];
            var e = new TreeEntry { Id = entries.Count + 1, ParentId = parent.Id, Path = path, Kind = kind, Mode = random.Next(0, 0x1000), Uid = random.Next(0, 3), MtimeSeconds = random.NextInt64(-1L << 40, 1L << 40), MtimeNanoseconds = random.Next(0, 1_000_000_000) };
            e = shape?.Invoke(e) ?? e;
            entries.Add(e);
            return e;
        }

        TreeEntry File(TreeEntry e)
        {
            long size = random.Next(0, 1 << 20);
            var extents = new List<Extent>();
            long at = 0;
            while (at < size && random.Next(4) > 0)
            {
                at += random.Next(0, 4096); // a hole, or none
                long length = Math.Min(size - at, random.Next(1, 1 << 18));
                if (length <= 0)
                {
                    break;
                }

                extents.Add(new Extent(at, length, bundle, random.Next(0, 1 << 22)));
                at += length;
            }

            return e with { Size = size, Extents = extents, Content = BlobId.Of(BitConverter.GetBytes(random.Next())) };
        }

        TreeEntry Symlink(TreeEntry e)
        {
            byte[] target = [.. Enumerable.Range(0, random.Next(1, 40)).Select(_ => (byte)random.Next(1, 256))];
            return e with { LinkTarget = target, Size = target.Length };
        }

        Func<TreeEntry, TreeEntry> LinkTo(TreeEntry first) => e => e with { HardlinkTo = first.Id, Size = first.Size };

        var root = new TreeEntry { Id = 1, Path = [], Kind = EntryKind.Directory, Mode = 0x1ED };
        entries.Add(root);
        TreeEntry d = Add(root, "d", EntryKind.Directory);
        TreeEntry f = Add(d, "f", EntryKind.File, e => e with
        {
            Size = 8192,
            Extents = [new Extent(0, 4096, bundle, 0), new Extent(6000, 1000, bundle, 4096)],
            Content = BlobId.Of("f"u8),
        });
        TreeEntry s = Add(root, "s", EntryKind.Symlink, Symlink);
        Add(d, "h", EntryKind.File, LinkTo(f));
        Add(root, "t", EntryKind.Symlink, LinkTo(s));
        Add(root, "p", EntryKind.Fifo);
        Add(d, "u", EntryKind.File, e => e with { State = EntryState.Unreadable, Note = "permission denied", Size = 10 });

        for (int i = 0; i < extra; i++)
        {
            List<TreeEntry> directories = [.. entries.Where(e => e.Kind == EntryKind.Directory)];
            TreeEntry parent = directories[random.Next(directories.Count)];
            string name = $"e{i}";
            List<TreeEntry> firsts = [.. entries.Where(e => e.Kind != EntryKind.Directory && e.HardlinkTo is null)];
            switch (random.Next(10))
            {
                case 0 or 1 or 2:
                    Add(parent, name, EntryKind.Directory);
                    break;
                case 3 or 4 or 5:
                    Add(parent, name, EntryKind.File, File);
                    break;
                case 6:
                    Add(parent, name, EntryKind.Symlink, Symlink);
                    break;
                case 7 or 8:
                    TreeEntry first = firsts[random.Next(firsts.Count)];
                    Add(parent, name, first.Kind, LinkTo(first));
                    break;
                default:
                    Add(parent, name, (EntryKind)random.Next((int)EntryKind.CharDevice, (int)EntryKind.Socket + 1), e => e with { DeviceMajor = e.Kind is EntryKind.CharDevice or EntryKind.BlockDevice ? random.Next(1, 300) : 0 });
                    break;
            }
        }

        // A directory listed last, so that every entry has one listed after it.
        Add(root, "z", EntryKind.Directory);
        return entries;
    }

    /// <summary>Applies <paramref name="hostility"/> to one entry of a valid tree and returns that entry's path.</summary>
    internal static byte[] Spoil(List<TreeEntry> entries, Hostility hostility, int seed)
    {
        var random = new Random(seed);
        T Pick<T>(IEnumerable<T> from)
        {
            List<T> list = [.. from];
            return list[random.Next(list.Count)];
        }

        TreeEntry ById(long id) => entries[(int)id - 1];
        TreeEntry Put(TreeEntry e) => entries[(int)e.Id - 1] = e;
        bool IsLeaf(TreeEntry e) => !entries.Any(c => c.ParentId == e.Id);
        List<TreeEntry> files = [.. entries.Where(e => e.Kind == EntryKind.File && e.HardlinkTo is null && e.State == EntryState.Captured)];
        List<TreeEntry> links = [.. entries.Where(e => e.HardlinkTo is not null)];
        TreeEntry victim;
        switch (hostility)
        {
            case Hostility.HardLinkToALaterEntry:
                victim = Pick(files.Where(f => entries.Any(l => l.Id > f.Id && l.Kind == EntryKind.File)));
                victim = Put(victim with { HardlinkTo = Pick(entries.Where(l => l.Id > victim.Id && l.Kind == EntryKind.File)).Id });
                victim = Put(victim with { Extents = [] });
                break;
            case Hostility.HardLinkToAnotherKind:
                victim = Pick(links);
                victim = Put(victim with { HardlinkTo = Pick(entries.Where(e => e.Id < victim.Id && e.Kind != victim.Kind && e.Kind != EntryKind.Directory && e.HardlinkTo is null)).Id });
                break;
            case Hostility.SymlinkHardLinkedToAFile:
                // What a group number read across directories did (docs/CVMFS.md §4.4): a symlink joined to a file.
                victim = Pick(entries.Where(e => e.Kind == EntryKind.Symlink && e.Id > files[0].Id));
                victim = Put(victim with { HardlinkTo = Pick(files.Where(f => f.Id < victim.Id)).Id });
                break;
            case Hostility.HardLinkToADirectory:
                victim = Pick(links);
                victim = Put(victim with { HardlinkTo = Pick(entries.Where(e => e.Id < victim.Id && e.Kind == EntryKind.Directory)).Id });
                break;
            case Hostility.HardLinkToAHardLink:
                victim = Pick(entries.Where(e => e.HardlinkTo is null && e.Kind != EntryKind.Directory && links.Any(l => l.Id < e.Id && l.Kind == e.Kind)));
                victim = Put(victim with { HardlinkTo = Pick(links.Where(l => l.Id < victim.Id && l.Kind == victim.Kind)).Id });
                victim = Put(victim with { Extents = [] });
                break;
            case Hostility.DirectoryAsHardLink:
                victim = Pick(entries.Where(e => e.Kind == EntryKind.Directory && e.Id > 1));
                victim = Put(victim with { HardlinkTo = Pick(entries.Where(e => e.Id < victim.Id && e.Kind == EntryKind.Directory)).Id });
                break;
            case Hostility.HardLinkWithExtents:
                victim = Pick(links.Where(l => l.Kind == EntryKind.File));
                victim = Put(victim with { Extents = [new Extent(0, Math.Max(1, victim.Size), BlobId.Of("x"u8), 0)] });
                victim = Put(victim with { Size = Math.Max(1, victim.Size) });
                break;
            case Hostility.ParentIsNotADirectory:
                victim = Pick(entries.Where(e => e.Id > 1 && IsLeaf(e) && entries.Any(p => p.Id < e.Id && p.Kind != EntryKind.Directory)));
                TreeEntry notDirectory = Pick(entries.Where(p => p.Id < victim.Id && p.Kind != EntryKind.Directory));
                victim = Reparent(entries, victim, notDirectory);
                break;
            case Hostility.ParentListedLater:
                victim = Pick(entries.Where(e => e.Id > 1 && IsLeaf(e) && entries.Any(p => p.Id > e.Id && p.Kind == EntryKind.Directory)));
                victim = Reparent(entries, victim, Pick(entries.Where(p => p.Id > victim.Id && p.Kind == EntryKind.Directory)));
                break;
            case Hostility.NotInsideItsParent:
                victim = Pick(entries.Where(e => e.Id > 1 && IsLeaf(e) && e.ParentId != 1));
                entries[(int)victim.Id - 1] = victim = With(victim, [.. "elsewhere/"u8, .. victim.Path[(victim.Path.AsSpan().LastIndexOf((byte)'/') + 1)..]]);
                break;
            case Hostility.PathListedTwice:
                victim = Pick(entries.Where(e => e.Id > 2 && IsLeaf(e) && entries.Any(o => o.Id > 1 && o.Id < e.Id && o.ParentId == e.ParentId)));
                entries[(int)victim.Id - 1] = victim = With(victim, Pick(entries.Where(o => o.Id > 1 && o.Id < victim.Id && o.ParentId == victim.ParentId)).Path);
                break;
            case Hostility.DotDotSegment:
                victim = Pick(entries.Where(e => e.Id > 1 && IsLeaf(e)));
                byte[] parentPath = ById(victim.ParentId!.Value).Path;
                entries[(int)victim.Id - 1] = victim = With(victim, parentPath.Length == 0 ? ".."u8.ToArray() : [.. parentPath, .. "/.."u8]);
                break;
            case Hostility.ExtentPastTheSize:
                victim = Pick(files.Where(f => f.Extents.Count > 0));
                Extent last = victim.Extents[^1];
                victim = Put(victim with { Extents = [.. victim.Extents.SkipLast(1), last with { Length = victim.Size - last.Offset + 1 + random.Next(0, 100) }] });
                break;
            case Hostility.ExtentsOverlap:
                victim = Pick(files.Where(f => f.Extents.Count > 0 && f.Extents[^1].Length > 1));
                Extent tail = victim.Extents[^1];
                victim = Put(victim with { Extents = [.. victim.Extents, tail with { Offset = tail.Offset + (tail.Length / 2), Length = 1 }] });
                break;
            case Hostility.SymlinkSizeNotItsTarget:
                victim = Pick(entries.Where(e => e.Kind == EntryKind.Symlink && e.HardlinkTo is null));
                victim = Put(victim with { Size = victim.Size + random.Next(1, 10) });
                break;
            case Hostility.DeviceWithASize:
                victim = Pick(entries.Where(e => e.Kind is EntryKind.Fifo or EntryKind.Socket or EntryKind.CharDevice or EntryKind.BlockDevice && e.HardlinkTo is null));
                victim = Put(victim with { Size = random.Next(1, 1000) });
                break;
            case Hostility.ModeWithTypeBits:
                victim = Pick(entries.Where(e => e.Id > 1));
                victim = Put(victim with { Mode = victim.Mode | 0x8000 }); // S_IFREG: st_mode, not st_mode & 07777
                break;
            case Hostility.ExtentsOnAnUncapturedFile:
                victim = Pick(entries.Where(e => e.Kind == EntryKind.File && e.State != EntryState.Captured));
                victim = Put(victim with { Extents = [new Extent(0, victim.Size, BlobId.Of("u"u8), 0)] });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(hostility));
        }

        return victim.Path;
    }

    private static TreeEntry Reparent(List<TreeEntry> entries, TreeEntry victim, TreeEntry parent)
    {
        byte[] name = victim.Path[(victim.Path.AsSpan().LastIndexOf((byte)'/') + 1)..];
        TreeEntry moved = With(victim, parent.Path.Length == 0 ? name : [.. parent.Path, (byte)'/', .. name]) with { ParentId = parent.Id };
        entries[(int)victim.Id - 1] = moved;
        return moved;
    }

    private static TreeEntry With(TreeEntry e, byte[] path) => e with { Path = path };

    /// <summary>
    /// Writes the entries into a catalog file as-is, with no check at all: what a defective or hostile writer
    /// makes. Null when the schema itself (UNIQUE path, extent length &gt; 0, …) refuses a row: no such file can exist.
    /// </summary>
    private static byte[]? WriteUnchecked(List<TreeEntry> entries)
    {
        string file = Path.Combine(Path.GetTempPath(), $"cvmp-unchecked-{Guid.NewGuid():N}.sqlite");
        try
        {
            using (var db = new SqliteConnection($"Data Source={file};Pooling=False"))
            {
                db.Open();
                Execute(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;");
                Execute(db, System.Text.Encoding.UTF8.GetString(EmbeddedFiles.CatalogDdl));
                using SqliteTransaction transaction = db.BeginTransaction();
                foreach (TreeEntry e in entries)
                {
                    Execute(db,
                        "INSERT INTO entries(id, parent, path, kind, state, mode, uid, gid, mtime_sec, mtime_nsec, size, rdev_major, rdev_minor, target, hardlink_to, content, note, src_dev, src_ino, ctime_sec, ctime_nsec) " +
                        "VALUES ($id, $parent, $path, $kind, $state, $mode, $uid, 0, $mtime, 0, $size, $major, $minor, $target, $link, $content, $note, 0, 0, 0, 0)",
                        ("$id", e.Id), ("$parent", e.ParentId), ("$path", e.Path), ("$kind", TreeCatalog.KindName(e.Kind)), ("$state", e.State.ToString().ToLowerInvariant()),
                        ("$mode", e.Mode), ("$uid", e.Uid), ("$mtime", e.MtimeSeconds), ("$size", e.Size), ("$major", e.DeviceMajor), ("$minor", e.DeviceMinor),
                        ("$target", e.LinkTarget), ("$link", e.HardlinkTo), ("$content", e.Content?.ToString()), ("$note", e.Note));
                    foreach (Extent x in e.Extents)
                    {
                        Execute(db, "INSERT INTO extents(entry, offset, length, blob, blob_offset) VALUES ($e, $o, $l, $b, $bo)",
                            ("$e", e.Id), ("$o", x.Offset), ("$l", x.Length), ("$b", x.Blob.ToString()), ("$bo", x.BlobOffset));
                    }
                }

                Execute(db, "INSERT INTO catalog_info(key, value) VALUES ('format', '1'), ('entries', $n)", ("$n", entries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                transaction.Commit();
            }

            return File.ReadAllBytes(file);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            return null; // SQLITE_CONSTRAINT
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void Execute(SqliteConnection db, string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = db.CreateCommand();
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }

    private static PreserveException? Refusal(Action act)
    {
        try
        {
            act();
            return null;
        }
        catch (PreserveException e)
        {
            return e;
        }
    }

    [Property(MaxTest = 200)]
    public Property TreeCatalogWriter_RandomValidTree_IsAcceptedAndReadBackRowForRow() =>
        Prop.ForAll(Seeds.ToArbitrary(), Sizes.ToArbitrary(), (seed, extra) =>
        {
            List<TreeEntry> entries = ValidTree(seed, extra);
            List<TreeEntry> back = TreeCatalog.ReadAll(TreeCatalog.Write(entries), "catalog");
            return back.Count == entries.Count && entries.Zip(back).All(p => CatalogRows.SameRow(p.First, p.Second));
        });

    [Property(MaxTest = 150)]
    public Property TreeCatalogWriter_TreeWithOneHostileChange_IsRefusedNamingTheEntry() =>
        Prop.ForAll(Seeds.ToArbitrary(), Sizes.ToArbitrary(), Hostilities.ToArbitrary(), (seed, extra, hostility) =>
        {
            List<TreeEntry> entries = ValidTree(seed, extra);
            byte[] spoilt = Spoil(entries, hostility, seed);

            PreserveException? refused = Refusal(() => TreeCatalog.Write(entries));
            return (refused is not null
                    && refused.Kind == FailureKind.Integrity
                    && refused.Message.Contains($"'{PathBytes.ToDisplay(spoilt)}'", StringComparison.Ordinal))
                .Label($"{hostility} at '{PathBytes.ToDisplay(spoilt)}': {refused?.Message ?? "accepted"}");
        });

    [Property(MaxTest = 150)]
    public Property TreeCatalog_AnyTreeWrittenUnchecked_ReaderRefusesExactlyWhatTheWriterRefuses() =>
        Prop.ForAll(Seeds.ToArbitrary(), Sizes.ToArbitrary(), Gen.Elements([null, .. Enum.GetValues<Hostility>().Cast<Hostility?>()]).ToArbitrary(), (seed, extra, hostility) =>
        {
            List<TreeEntry> entries = ValidTree(seed, extra);
            byte[]? spoilt = hostility is Hostility h ? Spoil(entries, h, seed) : null;

            PreserveException? byWriter = Refusal(() => TreeCatalog.Write(entries));
            byte[]? unchecked_ = WriteUnchecked(entries);
            PreserveException? byReader = unchecked_ is null ? null : Refusal(() => TreeCatalog.ReadAll(unchecked_, "blobs/sha256/00/unchecked"));
            bool readerRefuses = unchecked_ is null || byReader is not null;
            return ((byWriter is null) != readerRefuses
                    && readerRefuses == (spoilt is not null)
                    && (byReader is null || (byReader.Kind == FailureKind.Integrity && byReader.Message.Contains("blobs/sha256/00/unchecked", StringComparison.Ordinal))))
                .Label($"{hostility}: writer {byWriter?.Message ?? "accepted"}; reader {(unchecked_ is null ? "no such file (schema)" : byReader?.Message ?? "accepted")}");
        });

    [Fact]
    public void TreeCatalogWriter_SymlinkGroupedWithAFileOfAnotherDirectory_NamesBothEntriesAndWritesNothing()
    {
        // The defect of issue 11 as the writer saw it: a CernVM-FS group number read across directories.
        List<TreeEntry> entries =
        [
            new TreeEntry { Id = 1, Path = [], Kind = EntryKind.Directory, Mode = 0x1ED },
            new TreeEntry { Id = 2, ParentId = 1, Path = "a"u8.ToArray(), Kind = EntryKind.Directory, Mode = 0x1ED },
            new TreeEntry { Id = 3, ParentId = 2, Path = "a/f1"u8.ToArray(), Kind = EntryKind.File, Mode = 0x1A4, Size = 6, Content = BlobId.Of("alpha\n"u8), Extents = [new Extent(0, 6, BlobId.Of("b"u8), 0)] },
            new TreeEntry { Id = 4, ParentId = 1, Path = "b"u8.ToArray(), Kind = EntryKind.Directory, Mode = 0x1ED },
            new TreeEntry { Id = 5, ParentId = 4, Path = "b/s1"u8.ToArray(), Kind = EntryKind.Symlink, Mode = 0x1FF, LinkTarget = "../a/f1"u8.ToArray(), Size = 7, HardlinkTo = 3 },
            new TreeEntry { Id = 6, ParentId = 4, Path = "b/s2"u8.ToArray(), Kind = EntryKind.Symlink, Mode = 0x1FF, LinkTarget = "../a/f1"u8.ToArray(), Size = 7, HardlinkTo = 3 },
        ];
        using var writer = new TreeCatalogWriter();
        foreach (TreeEntry e in entries)
        {
            writer.Add(e);
        }

        PreserveException refused = Assert.Throws<PreserveException>(writer.Finish);

        Assert.Equal(FailureKind.Integrity, refused.Kind);
        Assert.Contains("entry 5 'b/s1': a symlink that is a hard link to entry 3 'a/f1', a file", refused.Message);
        Assert.Contains("entry 6 'b/s2'", refused.Message);
    }

    [Fact]
    public void ReadAll_EntryCountDisagreesWithCatalogInfo_IsRefused()
    {
        string file = Path.Combine(Path.GetTempPath(), $"cvmp-count-{Guid.NewGuid():N}.sqlite");
        try
        {
            File.WriteAllBytes(file, TreeCatalog.Write(TreeCatalogTests.Sample()));
            using (var c = new SqliteConnection($"Data Source={file};Pooling=False"))
            {
                c.Open();
                Execute(c, "DELETE FROM entries WHERE id = 6");
            }

            PreserveException e = Assert.Throws<PreserveException>(() => TreeCatalog.ReadAll(File.ReadAllBytes(file), "cat"));
            Assert.Equal(FailureKind.Integrity, e.Kind);
            Assert.Contains("catalog_info records 6 entries, the catalog holds 5", e.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
