using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Posix;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>
/// Snapshot then restore gives back the same tree, entry by entry, for every case POSIX has (full POSIX
/// fidelity, README; FORMAT.md §6.2); versions of a changing tree store only what changed.
/// </summary>
public class FidelityTests
{
    // Every property of every entry, one line each, sockets included; hard-link groups by inode number are
    // compared separately (the numbers differ between trees, the groups must not).
    private static string Describe(string root) => CliRunner.Sh(
        $"cd '{root}' && find . ! -type d -printf '%y %m %U:%G %u:%g %T@ %s %n %p -> %l\\n' | LC_ALL=C sort && " +
        "find . -type d -printf '%y %m %U:%G %T@ %p\\n' | LC_ALL=C sort && " +
        "find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2 && " +
        "getfattr -R -h -d -m - -e hex . 2>/dev/null | grep -v '^$' | LC_ALL=C sort && " +
        "find . \\( -type b -o -type c \\) -exec stat -c '%n %t:%T' {} + | LC_ALL=C sort");

    private static string HardlinkGroups(string root) => CliRunner.Sh(
        $"cd '{root}' && find . -type f -links +1 -printf '%i %p\\n' | LC_ALL=C sort -k2 | " +
        "awk '{ if (!($1 in g)) g[$1] = $2; print $2, g[$1] }'");

    private static void MakeTree(string t)
    {
        CliRunner.Sh($@"set -e
mkdir -p '{t}/etc' '{t}/dev' '{t}/names' '{t}/data' '{t}/many' '{t}/shared'
printf 'root:x:0:0::/root:/bin/sh\nalpha:x:1042:4242::/home/alpha:/bin/sh\n' > '{t}/etc/passwd'
printf 'root:x:0:\nphysics:x:4242:\n' > '{t}/etc/group'
head -c 9000000 /dev/urandom > '{t}/data/large.bin'
cp '{t}/data/large.bin' '{t}/data/large-copy.bin'
head -c 600000 /dev/urandom > '{t}/data/one-chunk.bin'
head -c 100000 /dev/urandom > '{t}/data/small.bin'
cp '{t}/data/small.bin' '{t}/shared/small-copy.bin'
: > '{t}/data/empty'
truncate -s 1G '{t}/data/sparse-1g' && printf 'start' | dd of='{t}/data/sparse-1g' bs=1 conv=notrunc status=none
printf 'middle' | dd of='{t}/data/sparse-1g' bs=1 seek=536870912 conv=notrunc status=none
ln '{t}/data/small.bin' '{t}/etc/small-hardlink' && ln '{t}/data/small.bin' '{t}/shared/third-name'
mkfifo '{t}/data/fifo' && ln '{t}/data/fifo' '{t}/data/fifo-link'
mknod '{t}/dev/null' c 1 3 && mknod '{t}/dev/loop0' b 7 0 && mknod '{t}/dev/big' c 259 1048575
ln -s /etc/passwd '{t}/data/absolute' && ln -s /nonexistent '{t}/data/dangling'
ln -s loop-b '{t}/data/loop-a' && ln -s loop-a '{t}/data/loop-b' && ln -s ../../../../outside '{t}/data/climbing'
printf 'latin' > '{t}/names/caf'$(printf '\351') && printf 'bad utf8' > '{t}/names/'$(printf '\377\376')
printf 'newline' > '{t}/names/ends-with-newline
'
printf 'spaces' > '{t}/names/with  two spaces' && mkdir '{t}/names/dir'$(printf '\344')
for i in $(seq 1 5000); do : > '{t}/many/f'$i; done
chmod 4755 '{t}/data/small.bin' && chmod 2755 '{t}/shared' && chmod 1777 '{t}/names' && chmod 0000 '{t}/data/empty'
chmod 6711 '{t}/data/one-chunk.bin'
chown 1042:4242 '{t}/data/large.bin' && chown -h 1042:4242 '{t}/data/absolute' && chown 7777:8888 '{t}/data/large-copy.bin'
setfattr -n user.note -v 0x00ff00 '{t}/data/large.bin'
setfattr -n trusted.binary -v 0x0001fffe '{t}/shared'
setcap cap_net_raw,cap_net_admin+ep '{t}/data/one-chunk.bin'
setfacl -m u:1042:rx,g:4242:r '{t}/data/large-copy.bin'
setfacl -d -m u:1042:rwx '{t}/shared'
d='{t}/deep'; for i in $(seq 1 60); do d=$d/level$i; done; mkdir -p $d && printf 'deep' > $d/leaf
find '{t}' -depth -exec touch -h -d '1999-12-31 23:59:59.123456789 UTC' {{}} +
touch -h -d '1901-12-14 20:45:52.5 UTC' '{t}/data/empty'
touch -h -d '1960-01-01 00:00:00.000000001 UTC' '{t}/data/dangling'
touch -h -d '2400-02-29 12:00:00.999999999 UTC' '{t}/data/large.bin'
");

        // A socket node, made by mknod(2) as a bound socket leaves it (no shell tool makes one).
        PosixFs.MakeNode(PosixFs.FromString(Path.Combine(t, "data", "socket")), EntryKind.Socket, 0b111_101_000, 0, 0);
        CliRunner.Sh($"touch -h -d '2001-01-01 00:00:00.5 UTC' '{t}/data/socket' '{t}/data'");
    }

    [Fact]
    public void SnapshotRestore_EveryKindOfEntry_ComesBackEntryByEntry()
    {
        using var t = new TempDir();
        MakeTree(t["tree"]);
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult s = CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "every", "--archive", t["a"], "--json");
        Assert.True(s.ExitCode == 0, s.ToString());
        JsonNode tree = JsonNode.Parse(s.Stdout)!["tree"]!;
        Assert.Equal(0, (int)tree["unreadable"]!);
        Assert.Equal(5, (int)tree["specials"]!); // fifo, socket, three devices

        CliResult r = CliRunner.Run("restore", "every", "--to", t["out"], "--archive", t["a"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        string expected = Describe(t["tree"]);
        Assert.Contains("security.capability=0x", expected, StringComparison.Ordinal);
        Assert.Contains("system.posix_acl_default=0x", expected, StringComparison.Ordinal);
        Assert.Contains("s 750 0:0", expected, StringComparison.Ordinal);
        Assert.Equal(expected, Describe(t["out"]));
        Assert.Equal(HardlinkGroups(t["tree"]), HardlinkGroups(t["out"]));
        Assert.Equal(5000, Directory.GetFiles(Path.Combine(t["out"], "many")).Length);

        // 1 GiB with 11 real bytes costs neither the archive nor the restored tree a gigabyte.
        long archiveBytes = long.Parse(CliRunner.Sh($"du -sb '{t["a"]}' | cut -f1").Trim());
        Assert.True(archiveBytes < 40_000_000, $"the archive holds {archiveBytes} bytes");
        long blocks = long.Parse(CliRunner.Sh($"stat -c %b '{t["out"]}/data/sparse-1g'").Trim());
        Assert.True(blocks * 512 < 4 * 1024 * 1024, $"the restored sparse file takes {blocks * 512} bytes");

        // Owner names come from the tree's own /etc/passwd and /etc/group, not the host's.
        JsonNode listing = JsonNode.Parse(CliRunner.Run("ls", "every", "/data", "-l", "--json", "--archive", t["a"]).Stdout)!;
        JsonNode large = listing["entries"]!.AsArray().Single(e => (string)e!["path"]! == "/data/large.bin")!;
        Assert.Equal(("alpha", "physics"), ((string?)large["user"], (string?)large["group"]));
    }

    [Fact]
    public void Snapshot_ChangedMiddleOfALargeFile_StoresOnlyTheChangedChunk()
    {
        using var t = new TempDir();
        CliRunner.Sh($"mkdir -p '{t["tree"]}/sub' && head -c 40000000 /dev/urandom > '{t["tree"]}/sub/big.bin' && printf 'a' > '{t["tree"]}/sub/small'");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "grow", "--archive", t["a"]).ExitCode);

        CliRunner.Sh($"printf 'changed' | dd of='{t["tree"]}/sub/big.bin' bs=1 seek=20000000 conv=notrunc status=none");
        CliResult v2 = CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "grow", "--archive", t["a"], "--json");
        Assert.True(v2.ExitCode == 0, v2.ToString());
        JsonNode stats = JsonNode.Parse(v2.Stdout)!["statistics"]!;
        long newBytes = (long)stats["newBytes"]!;

        // The changed chunk (at most 4 MiB, FORMAT.md §4.2) and the new catalog; not the 40 MB file again.
        Assert.InRange(newBytes, 1, 4 * 1024 * 1024 + 1_000_000);
        Assert.Equal(1, (long)stats["filesRead"]!);

        CliResult r = CliRunner.Run("restore", "grow@v2", "--to", t["out"], "--archive", t["a"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(Describe(t["tree"]), Describe(t["out"]));
    }

    [Fact]
    public void Snapshot_OnlyTheLastEntryChanged_NewCatalogHoldsEveryEntry()
    {
        // The catalog writer holds back rows equal to the previous version's until the first difference;
        // here that is the very last entry, so every held row must still be written.
        using var t = new TempDir();
        CliRunner.Sh($"mkdir -p '{t["tree"]}/a' '{t["tree"]}/b' && for i in 1 2 3; do printf $i > '{t["tree"]}/a/f'$i; done && printf 'old' > '{t["tree"]}/b/last'");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "last", "--archive", t["a"]).ExitCode);
        CliRunner.Sh($"printf 'new content' > '{t["tree"]}/b/last'");
        CliResult v2 = CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "last", "--archive", t["a"], "--json");
        Assert.True(v2.ExitCode == 0, v2.ToString());
        Assert.Equal(1, (long)JsonNode.Parse(v2.Stdout)!["statistics"]!["filesRead"]!);

        CliResult r = CliRunner.Run("restore", "last@v2", "--to", t["out"], "--archive", t["a"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(Describe(t["tree"]), Describe(t["out"]));

        CliResult diff = CliRunner.Run("diff", "last@v1", "last@v2", "--archive", t["a"]);
        Assert.True(diff.ExitCode == 1, diff.ToString()); // diff(1)'s convention: 1, the trees differ
        Assert.Contains("/b/last", diff.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("/a/f1", diff.Stdout, StringComparison.Ordinal);

        // Unchanged since v2: the same catalog blob, nothing new.
        CliResult v3 = CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "last", "--archive", t["a"], "--json");
        JsonNode m3 = JsonNode.Parse(v3.Stdout)!;
        Assert.Equal((string)JsonNode.Parse(v2.Stdout)!["tree"]!["catalog"]!, (string)m3["tree"]!["catalog"]!);
        Assert.Equal(0, (long)m3["statistics"]!["newBlobs"]!);
    }
}
