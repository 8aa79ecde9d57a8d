using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Replay.Images;
using Xunit;

namespace CernVM.Preserve.Replay.Tests.Replay;

/// <summary>
/// A tree reconstituted by a user (every file the user's, no device nodes) gets its recorded owners and device nodes in
/// its image through the real debugfs, on a real image made by mke2fs -d.
/// </summary>
public sealed class ImageOwnershipTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cvmp-owners-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static TreeEntry Entry(long id, string path, EntryKind kind, long uid, long gid, int mode = 0x1a4) =>
        new() { Id = id, ParentId = id == 1 ? null : 1, Path = System.Text.Encoding.UTF8.GetBytes(path), Kind = kind, Uid = uid, Gid = gid, Mode = mode, MtimeSeconds = 1_000_000_000 };

    [Fact]
    public async Task Apply_UserRestoredTree_ImageHoldsTheRecordedOwnersAndDeviceNodes()
    {
        string tree = Path.Combine(_dir, "tree"), image = Path.Combine(_dir, "image.ext4");
        Sh.Run($"mkdir -p '{tree}/etc' '{tree}/dev' && echo x > '{tree}/etc/my file' && ln -s /nowhere '{tree}/dangling' && echo q > '{tree}/etc/say\"hi'");
        TreeEntry[] entries =
        [
            Entry(1, "", EntryKind.Directory, 0, 0, 0x1ed),
            Entry(2, "etc", EntryKind.Directory, 0, 0, 0x1ed),
            Entry(3, "etc/my file", EntryKind.File, 1042, 100),
            Entry(4, "dangling", EntryKind.Symlink, 7, 8, 0x1ff),
            Entry(5, "dev", EntryKind.Directory, 0, 0, 0x1ed),
            Entry(6, "dev/null", EntryKind.CharDevice, 0, 0, 0x1b6) with { DeviceMajor = 1, DeviceMinor = 3 },
            Entry(7, "etc/say\"hi", EntryKind.File, 5, 5),
            Entry(8, "etc/gone", EntryKind.File, 9, 9) with { State = EntryState.Excluded },
        ];
        Sh.Run($"mke2fs -q -F -t ext4 -O ^has_journal -d '{tree}' '{image}' 16M && chown -R 4242:4242 '{tree}'");
        Sh.Run($"debugfs -w -R 'sif / uid 4242' '{image}' 2>/dev/null");

        IReadOnlyList<string> notes = await ImageOwnership.ApplyAsync(entries, tree, image, CancellationToken.None);

        Assert.Matches(@"User:\s+1042\s+Group:\s+100\b", Stat(image, "\"/etc/my file\""));
        Assert.Matches(@"User:\s+7\s+Group:\s+8\b", Stat(image, "/dangling"));
        Assert.Matches(@"User:\s+0\s+Group:\s+0\b", Stat(image, "/"));
        string device = Stat(image, "/dev/null");
        Assert.Matches(@"Type: character special\s+Mode:\s+0666", device);
        Assert.Contains("Device major/minor number: 01:03", device);
        Assert.Contains("/etc/say\"hi: owner left as restored (its name cannot be given to debugfs)", notes);
        Assert.DoesNotContain(notes, n => n.Contains("gone", StringComparison.Ordinal));
        Assert.Contains("File not found", Sh.Run($"debugfs -R 'stat /etc/gone' '{image}' 2>&1"));
    }

    [Fact]
    public void Script_HardLinksAndNotCapturedEntries_NoCommand()
    {
        TreeEntry[] entries =
        [
            Entry(1, "a", EntryKind.File, 1, 1),
            Entry(2, "b", EntryKind.File, 1, 1) with { HardlinkTo = 1 },
            Entry(3, "proc", EntryKind.Directory, 0, 0) with { State = EntryState.Pseudo },
        ];

        (string script, IReadOnlyList<string> unnamed) = ImageOwnership.Script(entries, _ => true);

        Assert.Equal("sif \"/a\" uid 1\nsif \"/a\" gid 1\n", script);
        Assert.Empty(unnamed);
    }

    private static string Stat(string image, string path) => Sh.Run($"debugfs -R 'stat {path}' '{image}' 2>/dev/null");
}
