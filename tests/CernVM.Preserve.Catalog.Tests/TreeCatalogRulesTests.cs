using System.Text;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using Xunit;

namespace CernVM.Preserve.Catalog.Tests;

/// <summary>
/// Each rule of FORMAT.md §6.2 and §6.3 that <see cref="TreeCatalogInvariants"/> checks, broken alone, and each
/// range at its bounds. Where the rule is about the stored form, the catalog is one the product wrote, damaged
/// with SQL, and the reader refuses it naming the entry and the rule; where no stored catalog can break the rule
/// (ids out of order, extents handed over out of order), the entries go to the checker itself.
/// </summary>
public sealed class TreeCatalogRulesTests
{
    private const string Invalid = "cat: not a valid tree (FORMAT.md §6): ";

    private static readonly TreeEntry Root = new() { Id = 1, Path = [], Kind = EntryKind.Directory, Mode = 0x1ED };

    private static readonly string Bundle = DamagedCatalog.Bundle.ToString();

    /// <summary>The message of the reader's refusal of <paramref name="catalog"/> (kind Integrity).</summary>
    private static string Refusal(byte[] catalog)
    {
        PreserveException e = Assert.Throws<PreserveException>(() => TreeCatalog.ReadAll(catalog, "cat"));
        Assert.Equal(FailureKind.Integrity, e.Kind);
        return e.Message;
    }

    /// <summary>The message of the checker's refusal of <paramref name="entries"/> (kind Integrity).</summary>
    private static string Refusal(params TreeEntry[] entries)
    {
        PreserveException e = Assert.Throws<PreserveException>(() => TreeCatalogInvariants.Enforce(entries, "cat"));
        Assert.Equal(FailureKind.Integrity, e.Kind);
        return e.Message;
    }

    private static TreeEntry Directory(long id, string path, long parent = 1) =>
        new() { Id = id, ParentId = parent, Path = Encoding.ASCII.GetBytes(path), Kind = EntryKind.Directory, Mode = 0x1ED };

    private static TreeEntry Fifo(long id) =>
        new() { Id = id, ParentId = 1, Path = Encoding.ASCII.GetBytes($"p{id}"), Kind = EntryKind.Fifo, Size = 1 };

    private static TreeEntry File(params Extent[] extents) =>
        new() { Id = 2, ParentId = 1, Path = "f"u8.ToArray(), Kind = EntryKind.File, Size = 100, Extents = extents };

    // ---- the root (§6.2 id, parent, path) ----

    [Theory]
    [InlineData("id 2", "entry 2 ''")]
    [InlineData("a path", "entry 1 'r'")]
    [InlineData("a file", "entry 1 ''")]
    [InlineData("a parent", "entry 1 ''")]
    [InlineData("a hard link", "entry 1 ''")]
    public void Enforce_FirstEntryNotTheRoot_IsRefusedNamingIt(string broken, string entry)
    {
        TreeEntry first = broken switch
        {
            "id 2" => Root with { Id = 2 },
            "a path" => Root with { Path = "r"u8.ToArray() },
            "a file" => Root with { Kind = EntryKind.File },
            "a parent" => Root with { ParentId = 1 },
            "a hard link" => Root with { HardlinkTo = 1 },
            _ => throw new ArgumentOutOfRangeException(nameof(broken)),
        };

        Assert.Equal($"{Invalid}{entry}: the first entry must be the root: id 1, the empty path, a directory without parent.", Refusal(first));
    }

    [Fact]
    public void Enforce_RootWithMtimeNanosecondsOutOfRange_IsRefused() =>
        Assert.Equal($"{Invalid}entry 1 '': mtime nanoseconds 1000000000 outside 0-999999999.", Refusal(Root with { MtimeNanoseconds = 1_000_000_000 }));

    [Fact]
    public void Enforce_RootWithExtents_IsRefused() =>
        Assert.Equal($"{Invalid}entry 1 '': a dir with extents: only regular files have them.", Refusal(Root with { Extents = [new Extent(0, 1, DamagedCatalog.Bundle, 0)] }));

    [Fact]
    public void Enforce_RootWithBadMtimeAndExtents_NamesTheMetadataProblem() =>
        Assert.Equal(
            $"{Invalid}entry 1 '': mtime nanoseconds -1 outside 0-999999999.",
            Refusal(Root with { MtimeNanoseconds = -1, Extents = [new Extent(0, 1, DamagedCatalog.Bundle, 0)] }));

    [Fact]
    public void Enforce_NoEntries_IsRefusedAsLackingTheRoot()
    {
        PreserveException e = Assert.Throws<PreserveException>(() => TreeCatalogInvariants.Enforce([], "cat"));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Equal("cat: the tree catalog has no entries, not even the root (FORMAT.md §6.2).", e.Message);
    }

    [Fact]
    public void ReadAll_CatalogWithNoRows_IsRefusedAsLackingTheRoot() =>
        Assert.Equal(
            "cat: the tree catalog has no entries, not even the root (FORMAT.md §6.2).",
            Refusal(DamagedCatalog.Edit("DELETE FROM xattrs; DELETE FROM extents; DELETE FROM entries; UPDATE catalog_info SET value = '0' WHERE key = 'entries';")));

    // ---- ids (§6.2 id: parents first) ----

    [Fact]
    public void Check_IdRepeated_IsRefusedAsListedOutOfOrder()
    {
        var rules = new TreeCatalogInvariants();
        rules.Check(Root);
        rules.Check(Directory(2, "a"));

        Assert.False(rules.Check(Directory(2, "b")));
        Assert.Equal([new TreeViolation(2, "b", "listed after entry 2: ids grow, parents first")], rules.Violations);
    }

    [Fact]
    public void Check_IdSmallerThanTheOneBefore_IsRefusedNamingTheLargerOne()
    {
        var rules = new TreeCatalogInvariants();
        rules.Check(Root);
        rules.Check(Directory(3, "a"));

        Assert.False(rules.Check(Directory(2, "b")));
        Assert.Equal([new TreeViolation(2, "b", "listed after entry 3: ids grow, parents first")], rules.Violations);
    }

    [Fact]
    public void Check_IdsWithAGap_FindsEveryParentListedAfterTheGap()
    {
        var rules = new TreeCatalogInvariants();

        bool[] kept = [.. new[] { Root, Directory(3, "a"), Directory(4, "a/b", parent: 3), Directory(5, "a/c", parent: 3), Directory(6, "a/b/d", parent: 4) }.Select(rules.Check)];

        Assert.Equal([true, true, true, true, true], kept);
        Assert.Equal(0, rules.ViolationCount);
    }

    [Fact]
    public void Check_FirstEntryWithId2_IsNotTakenForTheRootByLaterEntries()
    {
        var rules = new TreeCatalogInvariants();
        rules.Check(Root with { Id = 2 });
        rules.Check(Directory(3, "x"));

        Assert.Equal(
            [
                new TreeViolation(2, "", "the first entry must be the root: id 1, the empty path, a directory without parent"),
                new TreeViolation(3, "x", "its parent 1 is not listed before it"),
            ],
            rules.Violations);
    }

    // ---- paths and parents (§6.2 path, parent) ----

    [Fact]
    public void ReadAll_SecondEntryWithTheEmptyPath_IsRefused() =>
        Assert.Equal($"{Invalid}entry 6 '': a second entry with the empty path of the root.", Refusal(DamagedCatalog.Unconstrained("UPDATE entries SET path = X'' WHERE id = 6")));

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/../b")]
    [InlineData("a/./b")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("/a")]
    [InlineData("a\0b")]
    public void Enforce_UnsafePath_IsRefused(string path)
    {
        TreeEntry entry = Directory(2, path);

        Assert.Equal($"{Invalid}entry 2 '{path}': the path has an empty, '.' or '..' segment or a NUL byte.", Refusal(Root, entry));
    }

    [Fact]
    public void ReadAll_EntryWithoutParent_IsRefused() =>
        Assert.Equal($"{Invalid}entry 6 'p': no parent.", Refusal(DamagedCatalog.Edit("UPDATE entries SET parent = NULL WHERE id = 6")));

    [Fact]
    public void ReadAll_ParentListedAfterTheEntry_IsRefused() =>
        Assert.Equal(
            $"{Invalid}entry 6 'z/p': its parent 8 is not listed before it.",
            Refusal(DamagedCatalog.Edit("UPDATE entries SET parent = 8, path = CAST('z/p' AS BLOB) WHERE id = 6")));

    [Fact]
    public void ReadAll_ParentThatDoesNotExist_IsRefused() =>
        Assert.Equal($"{Invalid}entry 6 'p': its parent 99 is not listed before it.", Refusal(DamagedCatalog.Edit("UPDATE entries SET parent = 99 WHERE id = 6")));

    [Fact]
    public void ReadAll_ParentIsAFile_IsRefused() =>
        Assert.Equal(
            $"{Invalid}entry 6 'd/f/p': its parent 'd/f' is a file, not a directory.",
            Refusal(DamagedCatalog.Edit("UPDATE entries SET parent = 3, path = CAST('d/f/p' AS BLOB) WHERE id = 6")));

    [Theory]
    [InlineData("h")]
    [InlineData("e/h")]
    [InlineData("dd/h")]
    [InlineData("d/e/h")]
    public void ReadAll_PathNotInsideItsParent_IsRefused(string path) =>
        Assert.Equal(
            $"{Invalid}entry 4 '{path}': not inside its parent 'd'.",
            Refusal(DamagedCatalog.Edit($"UPDATE entries SET path = CAST('{path}' AS BLOB) WHERE id = 4")));

    [Fact]
    public void ReadAll_PathListedTwice_IsRefused() =>
        Assert.Equal($"{Invalid}entry 4 'd/f': the path is listed twice.", Refusal(DamagedCatalog.Unconstrained("UPDATE entries SET path = CAST('d/f' AS BLOB) WHERE id = 4")));

    // ---- mode and mtime (§6.2 mode, mtime_nsec; §1.4) ----

    [Theory]
    [InlineData(0x1000, "10000")]
    [InlineData(0x81A4, "100644")] // st_mode itself, S_IFREG included
    [InlineData(-1, "37777777777")]
    public void ReadAll_ModeBeyond07777_IsRefused(int mode, string octal) =>
        Assert.Equal(
            $"{Invalid}entry 3 'd/f': mode {octal} holds more than the permission and setuid, setgid and sticky bits (07777).",
            Refusal(DamagedCatalog.Edit($"UPDATE entries SET mode = {mode} WHERE id = 3")));

    [Fact]
    public void ReadAll_Mode07777_IsAccepted() =>
        Assert.Equal(0xFFF, TreeCatalog.ReadAll(DamagedCatalog.Edit("UPDATE entries SET mode = 4095 WHERE id = 3"), "cat")[2].Mode);

    [Theory]
    [InlineData(-1)]
    [InlineData(1_000_000_000)]
    public void ReadAll_MtimeNanosecondsOutside0To999999999_IsRefused(int nanoseconds) =>
        Assert.Equal(
            $"{Invalid}entry 3 'd/f': mtime nanoseconds {nanoseconds} outside 0-999999999.",
            Refusal(DamagedCatalog.Edit($"UPDATE entries SET mtime_nsec = {nanoseconds} WHERE id = 3")));

    [Theory]
    [InlineData(0)]
    [InlineData(999_999_999)]
    public void ReadAll_MtimeNanosecondsAtTheirBounds_AreAccepted(int nanoseconds) =>
        Assert.Equal(nanoseconds, TreeCatalog.ReadAll(DamagedCatalog.Edit($"UPDATE entries SET mtime_nsec = {nanoseconds} WHERE id = 3"), "cat")[2].MtimeNanoseconds);

    // ---- hard links (§6.2 hardlink_to) ----

    [Fact]
    public void ReadAll_DirectoryAsHardLink_IsRefused() =>
        Assert.Equal($"{Invalid}entry 8 'z': a directory cannot be a hard link (to entry 2).", Refusal(DamagedCatalog.Edit("UPDATE entries SET hardlink_to = 2 WHERE id = 8")));

    [Fact]
    public void ReadAll_HardLinkToALaterEntry_IsRefused() =>
        Assert.Equal($"{Invalid}entry 4 'd/h': a hard link to entry 7, which is not listed before it.", Refusal(DamagedCatalog.Edit("UPDATE entries SET hardlink_to = 7 WHERE id = 4")));

    [Fact]
    public void ReadAll_HardLinkToItself_IsRefused() =>
        Assert.Equal($"{Invalid}entry 4 'd/h': a hard link to entry 4, which is not listed before it.", Refusal(DamagedCatalog.Edit("UPDATE entries SET hardlink_to = 4 WHERE id = 4")));

    [Fact]
    public void ReadAll_HardLinkToTheEntryJustBefore_IsAccepted() =>
        Assert.Equal(3, TreeCatalog.ReadAll(DamagedCatalog.Written(), "cat")[3].HardlinkTo);

    [Fact]
    public void ReadAll_HardLinkToAnotherKind_IsRefused() =>
        Assert.Equal($"{Invalid}entry 6 'p': a fifo that is a hard link to entry 3 'd/f', a file.", Refusal(DamagedCatalog.Edit("UPDATE entries SET hardlink_to = 3 WHERE id = 6")));

    [Fact]
    public void ReadAll_HardLinkToAHardLink_IsRefused() =>
        Assert.Equal(
            $"{Invalid}entry 7 'x': a hard link to entry 4 'd/h', which is itself a hard link, not the first name.",
            Refusal(DamagedCatalog.Edit("UPDATE entries SET hardlink_to = 4 WHERE id = 7")));

    [Fact]
    public void ReadAll_HardLinkWithExtents_IsRefused() =>
        Assert.Equal(
            $"{Invalid}entry 4 'd/h': a hard link that carries extents of its own.",
            Refusal(DamagedCatalog.Edit($"INSERT INTO extents(entry, offset, length, blob, blob_offset) VALUES (4, 0, 10, '{Bundle}', 0)")));

    // ---- sizes (§6.2 size, target) ----

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void ReadAll_SymlinkSizeNotTheLengthOfItsTarget_IsRefused(int size) =>
        Assert.Equal($"{Invalid}entry 5 's': size {size} is not the length of its target (3).", Refusal(DamagedCatalog.Edit($"UPDATE entries SET size = {size} WHERE id = 5")));

    [Fact]
    public void ReadAll_SymlinkWithoutTarget_IsRefused() =>
        Assert.Equal($"{Invalid}entry 5 's': a symlink without target.", Refusal(DamagedCatalog.Edit("UPDATE entries SET target = NULL WHERE id = 5")));

    [Theory]
    [InlineData(6, "p", "fifo", 1)]
    [InlineData(6, "p", "fifo", -1)]
    [InlineData(8, "z", "dir", 4096)]
    public void ReadAll_NeitherFileNorSymlinkWithASize_IsRefused(int id, string path, string kind, long size) =>
        Assert.Equal(
            $"{Invalid}entry {id} '{path}': a {kind} with size {size}: only files and symlinks have one.",
            Refusal(DamagedCatalog.Edit($"UPDATE entries SET size = {size} WHERE id = {id}")));

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    public void ReadAll_RootWithASize_IsRefused(long size) =>
        Assert.Equal(
            $"{Invalid}entry 1 '': a dir with size {size}: only files and symlinks have one.",
            Refusal(DamagedCatalog.Edit($"UPDATE entries SET size = {size} WHERE id = 1")));

    // ---- nothing below a directory that was not captured (§6.2 state): a writer's rule ----

    [Theory]
    [InlineData(EntryState.Excluded, "excluded")]
    [InlineData(EntryState.Pseudo, "pseudo")]
    [InlineData(EntryState.Unreadable, "unreadable")]
    public void Finish_EntryBelowADirectoryNotCaptured_IsRefused(EntryState state, string name)
    {
        using var writer = new TreeCatalogWriter();
        writer.Add(Root);
        writer.Add(Directory(2, "d") with { State = state, Note = "why" });
        writer.Add(Directory(3, "d/e", parent: 2));

        PreserveException e = Assert.Throws<PreserveException>(writer.Finish);

        Assert.Equal(
            $"the tree catalog being written: not a valid tree (FORMAT.md §6): entry 3 'd/e': inside 'd', a directory recorded as {name}: nothing below it is listed.",
            e.Message);
    }

    [Fact]
    public void ReadAll_EntryBelowAnExcludedDirectory_IsAcceptedAsEarlierWritersListedIt()
    {
        List<TreeEntry> read = TreeCatalog.ReadAll(DamagedCatalog.Edit("UPDATE entries SET state = 'excluded', note = 'why' WHERE id = 2"), "cat");

        Assert.Equal(EntryState.Excluded, read[1].State);
        Assert.Equal("d/f", read[2].DisplayPath);
    }

    [Fact]
    public void Write_EmptyDirectoryNotCaptured_IsAccepted() =>
        Assert.Equal(EntryState.Excluded, TreeCatalog.ReadAll(TreeCatalog.Write([Root, Directory(2, "d") with { State = EntryState.Excluded, Note = "why" }]), "cat")[1].State);

    // ---- xattrs (§6.4) ----

    [Fact]
    public void ReadAll_XAttrNameListedTwice_IsRefused() =>
        Assert.Equal(
            $"{Invalid}entry 3 'd/f': the extended attribute 'user.a' is listed twice.",
            Refusal(DamagedCatalog.Unconstrained("INSERT INTO xattrs VALUES (3, CAST('user.a' AS BLOB), X'03')")));

    [Fact]
    public void Enforce_XAttrNamesDifferingInOneByte_AreAccepted() =>
        TreeCatalogInvariants.Enforce(
            [Root with { XAttrs = [new XAttr("user.a"u8.ToArray(), [1]), new XAttr("user.b"u8.ToArray(), [1]), new XAttr("user.a."u8.ToArray(), [1])] }],
            "cat");

    // ---- extents (§6.3) ----

    [Fact]
    public void ReadAll_ExtentsOnASymlink_AreRefused() =>
        Assert.Equal(
            $"{Invalid}entry 5 's': a symlink with extents: only regular files have them.",
            Refusal(DamagedCatalog.Edit($"INSERT INTO extents(entry, offset, length, blob, blob_offset) VALUES (5, 0, 3, '{Bundle}', 0)")));

    [Fact]
    public void ReadAll_ExtentsOnAnExcludedFile_AreRefused() =>
        Assert.Equal(
            $"{Invalid}entry 7 'x': extents on an entry whose content was not captured.",
            Refusal(DamagedCatalog.Edit($"INSERT INTO extents(entry, offset, length, blob, blob_offset) VALUES (7, 0, 7, '{Bundle}', 0)")));

    [Fact]
    public void ReadAll_FileWithExtentsAndANegativeSize_IsRefused() =>
        Assert.Equal($"{Invalid}entry 3 'd/f': negative size -1.", Refusal(DamagedCatalog.Edit("UPDATE entries SET size = -1 WHERE id = 3")));

    [Fact]
    public void ReadAll_FileWithoutExtentsAndANegativeSize_IsRefused() =>
        Assert.Equal($"{Invalid}entry 7 'x': negative size -7.", Refusal(DamagedCatalog.Edit("UPDATE entries SET size = -7 WHERE id = 7")));

    [Fact]
    public void ReadAll_FileOfSizeZeroWithExtents_IsRefusedAsReachingPastTheSize() =>
        Assert.Equal(
            $"{Invalid}entry 3 'd/f': an extent (offset 0, length 40, blob offset 0) reaches past the size 0.",
            Refusal(DamagedCatalog.Edit("UPDATE entries SET size = 0 WHERE id = 3")));

    [Fact]
    public void ReadAll_ExtentEndingOnePastTheSize_IsRefused() =>
        Assert.Equal(
            $"{Invalid}entry 3 'd/f': an extent (offset 60, length 40, blob offset 40) reaches past the size 99.",
            Refusal(DamagedCatalog.Edit("UPDATE entries SET size = 99 WHERE id = 3")));

    [Fact]
    public void ReadAll_ExtentEndingAtTheSize_IsAccepted()
    {
        TreeEntry file = TreeCatalog.ReadAll(DamagedCatalog.Written(), "cat")[2];

        Assert.Equal(file.Size, file.Extents[^1].Offset + file.Extents[^1].Length);
    }

    [Theory]
    [InlineData("offset = -1", 0, "offset -1, length 40, blob offset 0")]
    [InlineData("length = 0", 60, "offset 60, length 0, blob offset 40")]
    [InlineData("length = -1", 60, "offset 60, length -1, blob offset 40")]
    [InlineData("blob_offset = -1", 60, "offset 60, length 40, blob offset -1")]
    public void ReadAll_ExtentWithANegativeFieldOrNoLength_IsRefused(string set, int offset, string extent) =>
        Assert.Equal(
            $"{Invalid}entry 3 'd/f': an extent with a negative offset or no length ({extent}).",
            Refusal(DamagedCatalog.Edit($"UPDATE extents SET {set} WHERE entry = 3 AND offset = {offset}")));

    [Fact]
    public void ReadAll_ExtentOfLength1AtBlobOffset0_IsAccepted() =>
        Assert.Equal(
            new Extent(60, 1, DamagedCatalog.Bundle, 0),
            TreeCatalog.ReadAll(DamagedCatalog.Edit("UPDATE extents SET length = 1, blob_offset = 0 WHERE entry = 3 AND offset = 60"), "cat")[2].Extents[1]);

    [Fact]
    public void ReadAll_ExtentsOverlappingByOneByte_AreRefused() =>
        Assert.Equal($"{Invalid}entry 3 'd/f': extents overlap at offset 39.", Refusal(DamagedCatalog.Edit("UPDATE extents SET offset = 39 WHERE entry = 3 AND offset = 60")));

    [Fact]
    public void ReadAll_AdjacentExtents_AreAccepted() =>
        Assert.Equal(
            [new Extent(0, 40, DamagedCatalog.Bundle, 0), new Extent(40, 40, DamagedCatalog.Bundle, 40)],
            TreeCatalog.ReadAll(DamagedCatalog.Edit("UPDATE extents SET offset = 40 WHERE entry = 3 AND offset = 60"), "cat")[2].Extents);

    [Fact]
    public void Check_ExtentsHandedOverOutOfOrder_AreCheckedInFileOrder()
    {
        var rules = new TreeCatalogInvariants();
        rules.Check(Root);

        Assert.True(rules.Check(File(new Extent(60, 40, DamagedCatalog.Bundle, 40), new Extent(0, 40, DamagedCatalog.Bundle, 0))));
    }

    [Fact]
    public void Check_OverlappingExtentsHandedOverOutOfOrder_NameTheLaterOffset()
    {
        var rules = new TreeCatalogInvariants();
        rules.Check(Root);

        Assert.False(rules.Check(File(new Extent(60, 40, DamagedCatalog.Bundle, 40), new Extent(0, 61, DamagedCatalog.Bundle, 0))));
        Assert.Equal([new TreeViolation(2, "f", "extents overlap at offset 60")], rules.Violations);
    }

    // ---- how violations are counted and named ----

    [Fact]
    public void Check_ValidAndBrokenEntries_CountsBothAndNamesTheBrokenOne()
    {
        var rules = new TreeCatalogInvariants();

        bool[] kept = [rules.Check(Root), rules.Check(Fifo(2)), rules.Check(Directory(3, "d"))];

        Assert.Equal([true, false, true], kept);
        Assert.Equal(3, rules.Count);
        Assert.Equal(1, rules.ViolationCount);
        Assert.Equal([new TreeViolation(2, "p2", "a fifo with size 1: only files and symlinks have one")], rules.Violations);
    }

    [Fact]
    public void Enforce_TenViolations_NamesAllTen() =>
        Assert.Equal(
            Invalid + string.Join("; ", Enumerable.Range(2, 10).Select(i => $"entry {i} 'p{i}': a fifo with size 1: only files and symlinks have one")) + ".",
            Refusal([Root, .. Enumerable.Range(2, 10).Select(i => Fifo(i))]));

    [Fact]
    public void Enforce_ElevenViolations_NamesTenAndCountsTheRest()
    {
        var rules = new TreeCatalogInvariants();
        foreach (TreeEntry e in (TreeEntry[])[Root, .. Enumerable.Range(2, 11).Select(i => Fifo(i))])
        {
            rules.Check(e);
        }

        PreserveException refused = Assert.Throws<PreserveException>(() => rules.ThrowIfBroken("cat"));

        Assert.Equal(11, rules.ViolationCount);
        Assert.Equal(TreeCatalogInvariants.NamedViolations, rules.Violations.Count);
        Assert.Equal(
            Invalid + string.Join("; ", Enumerable.Range(2, 10).Select(i => $"entry {i} 'p{i}': a fifo with size 1: only files and symlinks have one")) + "; and 1 more.",
            refused.Message);
    }

    [Fact]
    public void Enforce_NullEntries_ThrowsArgumentNull() =>
        Assert.Equal("entries", Assert.Throws<ArgumentNullException>(() => TreeCatalogInvariants.Enforce(null!, "cat")).ParamName);

    [Fact]
    public void Check_NullEntry_ThrowsArgumentNull() =>
        Assert.Equal("entry", Assert.Throws<ArgumentNullException>(() => new TreeCatalogInvariants().Check(null!)).ParamName);
}
