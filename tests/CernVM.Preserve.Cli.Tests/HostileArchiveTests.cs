using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>
/// Archives made by hand, not by this tool (a copy someone edited): the tree catalog rewritten with SQL and
/// stored as a new blob, the manifest pointed at it and its sidecar made again (unsigned, as anyone with
/// write access to a copy can). `restore`, `cat` and tools/recover-by-hand.sh refuse each by name and write
/// nothing outside their target. (export reads a version through the same two checks, the manifest's and the
/// catalog's, before it writes; its own hostile input, the repository name, is tested in ExportDirectoryTests.)
/// </summary>
public sealed class HostileArchiveTests
{
    private const string Tamper = """
        set -eu
        a=$1; sql=$2; w=$3; mkdir -p "$w"
        v="$a/capsules/hostile/v1"
        cat=$(sed -n 's/^ *"catalog": "\([0-9a-f]\{64\}\)".*/\1/p' "$v/manifest.json" | head -n 1)
        zstd -q -d -c "$a/blobs/sha256/$(printf %s "$cat" | cut -c1-2)/$cat" > "$w/cat.db"
        sqlite3 "$w/cat.db" "$sql"
        new=$(sha256sum < "$w/cat.db" | cut -c1-64)
        d="$a/blobs/sha256/$(printf %s "$new" | cut -c1-2)"; mkdir -p "$d"
        zstd -q -c "$w/cat.db" > "$d/$new"
        sed "s/$cat/$new/" "$v/manifest.json" > "$w/manifest.json"
        rm -f "$v/manifest.json" "$v/manifest.json.sha256" "$v/manifest.json.sig"
        cp "$w/manifest.json" "$v/manifest.json"
        (cd "$v" && sha256sum manifest.json > manifest.json.sha256)
        """;

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A snapshot of d/x, f and s -> d, with an empty directory "outside" beside the archive to watch.</summary>
    private static TempDir Archive()
    {
        var t = new TempDir("cvmp-hostile-");
        CliRunner.Sh($"set -e; mkdir -p '{t["tree"]}/d' '{t["outside"]}'; printf 'hello\\n' > '{t["tree"]}/d/x'; printf 'file\\n' > '{t["tree"]}/f'; ln -s d '{t["tree"]}/s'");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult s = CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "hostile", "--archive", t["a"]);
        Assert.True(s.ExitCode == 0, s.ToString());
        return t;
    }

    private static void Edit(TempDir t, string sql) => CliRunner.Sh($"set -- {Quote(t["a"])} {Quote(sql)} {Quote(t["work"])}\n{Tamper}");

    /// <summary>Nothing appeared beside the archive, nor anywhere under the temporary directory but in the targets.</summary>
    private static void AssertNothingOutside(TempDir t)
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(t["outside"]));
        Assert.False(File.Exists(Path.Combine(t.Path, "escape")));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(t.Path)!, "escape")));
    }

    private static (int ExitCode, string Stderr) RecoverByHand(TempDir t, string target)
    {
        try
        {
            CliRunner.Sh($"'{CliRunner.RepoRoot}/tools/recover-by-hand.sh' '{t["a"]}' hostile 1 '{target}'");
            return (0, "");
        }
        catch (InvalidOperationException e)
        {
            return (1, e.Message);
        }
    }

    private const string F = "(SELECT id FROM entries WHERE path = CAST('f' AS BLOB))";

    public static TheoryData<string, string, string, string> Cases() => new()
    {
        // case, SQL, what restore and cat say, what recover-by-hand says
        { "a name holding '/'", "UPDATE entries SET path = CAST('d/f' AS BLOB) WHERE id = " + F, "'d/f': not inside its parent ''", "'d/f' is not inside its parent entry" },
        { "a name that is '..'", "UPDATE entries SET path = CAST('../escape' AS BLOB) WHERE id = " + F, "has the unsafe path '../escape'", "path '../escape' has an empty, '.' or '..' segment" },
        { "a name holding NUL", "UPDATE entries SET path = CAST('f' AS BLOB) || X'00' || CAST('x' AS BLOB) WHERE id = " + F, "has the unsafe path 'f", "its path holds a NUL byte" },
        { "a directory swapped for a symlink", "UPDATE entries SET kind = 'symlink', target = CAST('../outside' AS BLOB), size = 10 WHERE path = CAST('d' AS BLOB)", "its parent 'd' is a symlink", "'d/x' does not lie in a directory made before it" },
        { "a hard link outside the tree", $"DELETE FROM extents WHERE entry = {F}; UPDATE entries SET hardlink_to = 999, content = NULL WHERE id = {F}", "a hard link to entry 999, which is not listed before it", "a hard link to entry 999" },
        { "an extent beyond its blob", $"UPDATE extents SET blob_offset = blob_offset + 1000000 WHERE entry = {F}", "reaches past the end of blob", "beyond the end of blob" },
        { "a root entry naming a file outside", "UPDATE entries SET path = CAST('../../escape' AS BLOB), kind = 'file' WHERE id = 1", "entry 1 has the unsafe path '../../escape'", "the catalog's first entry is not the root" },
        { "an extent whose offsets overflow", $"UPDATE extents SET blob_offset = 9223372036854775807 WHERE entry = {F}", "reaches past the end of blob", "beyond the end of blob" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void RestoreCatAndRecoverByHand_CatalogMadeByHand_RefuseNamingTheEntryAndWriteNothingOutside(string what, string sql, string refusal, string byHand)
    {
        using TempDir t = Archive();
        Edit(t, sql);

        CliResult restore = CliRunner.Run("restore", "hostile", "--to", t["restored"], "--archive", t["a"]);
        Assert.True(restore.ExitCode == 3, what + ": " + restore);
        Assert.Contains(refusal, restore.Stderr + restore.Stdout, StringComparison.Ordinal);

        CliResult cat = CliRunner.Run("cat", "hostile", "/f", "--archive", t["a"]);
        Assert.True(cat.ExitCode == 3, what + ": " + cat);
        Assert.Contains(refusal, cat.Stderr, StringComparison.Ordinal);

        (int code, string message) = RecoverByHand(t, t["byhand"]);
        Assert.True(code != 0, what + ": recover-by-hand.sh recovered it");
        Assert.Contains(byHand, message, StringComparison.Ordinal);
        AssertNothingOutside(t);
    }

    /// <summary>A newline is a legal byte of a POSIX name: restored faithfully, inside the target, by both.</summary>
    [Fact]
    public void RestoreAndRecoverByHand_NameHoldingANewlineAndQuotes_RestoredInsideTheTarget()
    {
        using TempDir t = Archive();
        Edit(t, "UPDATE entries SET path = CAST('f' || char(10) || '$(touch escape)''\"`x`' AS BLOB) WHERE id = " + F);
        string name = "f\n$(touch escape)'\"`x`";

        CliResult restore = CliRunner.Run("restore", "hostile", "--to", t["restored"], "--archive", t["a"]);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal("file\n", File.ReadAllText(Path.Combine(t["restored"], name)));

        (int code, string message) = RecoverByHand(t, t["byhand"]);
        Assert.True(code == 0, message);
        Assert.Equal("file\n", File.ReadAllText(Path.Combine(t["byhand"], name)));
        AssertNothingOutside(t);
        Assert.False(File.Exists(Path.Combine(t["byhand"], "escape")));
    }

    /// <summary>A manifest copied from another capsule (or version), with its sidecar made again.</summary>
    [Fact]
    public void RestoreCatAndRecoverByHand_ManifestOfAnotherCapsule_Refused()
    {
        using TempDir t = Archive();
        CliRunner.Sh($"""
            set -e
            v='{t["a"]}/capsules/hostile/v1'
            sed 's/^  "capsule": "hostile",$/  "capsule": "other",/' "$v/manifest.json" > '{t.Path}/m.json'
            grep -q '"capsule": "other"' '{t.Path}/m.json'
            rm -f "$v/manifest.json" "$v/manifest.json.sha256" "$v/manifest.json.sig"
            cp '{t.Path}/m.json' "$v/manifest.json"
            (cd "$v" && sha256sum manifest.json > manifest.json.sha256)
            """);

        CliResult restore = CliRunner.Run("restore", "hostile", "--to", t["restored"], "--archive", t["a"]);
        Assert.True(restore.ExitCode == 3, restore.ToString());
        Assert.Contains("it names other@v1, not the place it is stored at", restore.Stderr, StringComparison.Ordinal);
        CliResult cat = CliRunner.Run("cat", "hostile", "/f", "--archive", t["a"]);
        Assert.Equal(3, cat.ExitCode);
        CliResult export = CliRunner.Run("export", "hostile", "--cvmfs-stratum", t["outside"], "--archive", t["a"]);
        Assert.True(export.ExitCode == 3, export.ToString());
        Assert.Contains("it names other@v1", export.Stderr, StringComparison.Ordinal);

        (int code, string message) = RecoverByHand(t, t["byhand"]);
        Assert.True(code != 0);
        Assert.Contains("names other@v1, not the place it is stored at (hostile@v1)", message, StringComparison.Ordinal);
        AssertNothingOutside(t);
        Assert.False(Directory.Exists(t["restored"]) && Directory.EnumerateFileSystemEntries(t["restored"]).Any());
    }
}
