using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>
/// tools/recover-by-hand.sh (sh, coreutils, zstd, sqlite3 only: FORMAT.md §9) gives back the same tree as
/// `cvmpreserve restore`: the format can be read without this software.
/// </summary>
public class RecoverByHandTests
{
    private static string Repo() => CliRunner.RepoRoot;

    // Everything POSIX says about every entry, one line each; sockets aside (they cannot be made by hand).
    private static string Describe(string root) => CliRunner.Sh(
        $"cd '{root}' && find . ! -type s ! -type d -printf '%y %m %U:%G %T@ %s %n %p -> %l\\n' | LC_ALL=C sort && " +
        "find . -type d -printf '%y %m %U:%G %T@ %p\\n' | LC_ALL=C sort && " +
        "find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2 && " +
        "getfattr -R -h -d -m - --absolute-names . 2>/dev/null | grep -v '^$' | LC_ALL=C sort && " +
        "find . -type b -o -type c | LC_ALL=C sort | xargs -r stat -c '%n %t:%T'");

    private static void MakeTree(string t)
    {
        CliRunner.Sh($@"set -e
mkdir -p '{t}/etc' '{t}/deep' '{t}/dev' '{t}/names' '{t}/data'
printf 'root:x:0:0::/root:/bin/sh\n' > '{t}/etc/passwd'
head -c 5000000 /dev/urandom > '{t}/data/large.bin'
head -c 100000 /dev/urandom > '{t}/data/small.bin'
: > '{t}/data/empty'
truncate -s 20M '{t}/data/sparse' && printf 'x' | dd of='{t}/data/sparse' bs=1 seek=10000000 conv=notrunc status=none
ln '{t}/data/small.bin' '{t}/etc/small-hardlink'
mkfifo '{t}/data/fifo' && ln '{t}/data/fifo' '{t}/data/fifo-link'
mknod '{t}/dev/null' c 1 3 && mknod '{t}/dev/loop0' b 7 0
ln -s /nonexistent '{t}/data/dangling' && ln -s loop-b '{t}/data/loop-a' && ln -s loop-a '{t}/data/loop-b'
printf 'latin' > '{t}/names/caf'$(printf '\351')
printf 'newline' > '{t}/names/ends-with-newline
'
printf 'backslash' > '{t}/names/back\\slash'
printf 'spaces' > '{t}/names/with  two spaces'
chmod 4755 '{t}/data/small.bin' && chmod 1777 '{t}/names' && chmod 0000 '{t}/data/empty'
chown 1042:4242 '{t}/data/large.bin'
setfattr -n user.note -v 0x00ff00 '{t}/data/large.bin'
setfacl -m u:1042:rx '{t}/data/fifo' 2>/dev/null || true
d='{t}/deep'; for i in $(seq 1 60); do d=$d/l$i; done; mkdir -p $d && printf 'deep' > $d/leaf
find '{t}' -depth -exec touch -h -d '1999-12-31 23:59:59.5 UTC' {{}} +
touch -h -d '1960-01-01 00:00:00.25 UTC' '{t}/data/empty'
touch -h -d '2400-01-01 00:00:00 UTC' '{t}/data/large.bin'
");
    }

    [Fact]
    public void RecoverByHand_GivesTheSameTreeAsRestore()
    {
        using var t = new TempDir();
        MakeTree(t["tree"]);
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult s = CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "byhand", "--archive", t["a"]);
        Assert.True(s.ExitCode == 0, s.ToString());
        CliResult r = CliRunner.Run("restore", "byhand", "--to", t["restored"], "--archive", t["a"]);
        Assert.True(r.ExitCode == 0, r.ToString());

        CliRunner.Sh($"'{Repo()}/tools/recover-by-hand.sh' '{t["a"]}' byhand v1 '{t["byhand"]}'");
        string expected = Describe(t["restored"]);
        Assert.Equal(expected, Describe(t["byhand"]));
        Assert.Equal(Describe(t["tree"]), expected);
        Assert.True(long.Parse(CliRunner.Sh($"stat -c %b '{t["byhand"]}/data/sparse'").Trim()) * 512 < 1024 * 1024, "recovery by hand lost the hole");
    }

    [Fact]
    public void RecoverByHand_CorruptBlob_FailsNamingIt()
    {
        using var t = new TempDir();
        MakeTree(t["tree"]);
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "byhand", "--archive", t["a"]).ExitCode);
        string blob = Directory.EnumerateFiles(Path.Combine(t["a"], "blobs"), "*", SearchOption.AllDirectories).OrderByDescending(f => new FileInfo(f).Length).First();
        byte[] bytes = File.ReadAllBytes(blob);
        bytes[bytes.Length / 2] ^= 0x55;
        File.WriteAllBytes(blob, bytes);
        var e = Assert.Throws<InvalidOperationException>(() => CliRunner.Sh($"'{Repo()}/tools/recover-by-hand.sh' '{t["a"]}' byhand 1 '{t["out"]}'"));
        Assert.Contains(Path.GetFileName(blob), e.Message);
    }
}
