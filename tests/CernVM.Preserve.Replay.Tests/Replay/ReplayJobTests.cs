using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Replay.Comparison;
using CernVM.Preserve.Replay.Runs;
using Xunit;

namespace CernVM.Preserve.Replay.Tests.Replay;

public class ReplayJobTests
{
    private static RunEntry Entry(string name, IReadOnlyList<string> args, params (string, string)[] env) => new(
        name, "/bin/sh", "/opt/run it.sh", "/tmp/work dir", env.Select(e => new KeyValuePair<string, string>(e.Item1, e.Item2)).ToList(), args, TimeSpan.FromSeconds(90.2),
        [new RunOutput("/tmp/out's.txt", "/ref", BlobId.Parse(new string('a', 64)), new ExactComparison())]);

    [Fact]
    public void Write_HostileNamesAndArguments_ReachTheCarrierFunctionsWordForWord()
    {
        string[] args = ["plain", "two words", "it's", "$(touch /tmp/pwned)", "`id`", "a\"b", "back\\slash", "new\nline", ""];
        string job = ReplayJob.Write([Entry("e'1", args, ("A", "x y"), ("PATH", "/custom"))], "ext4", shell: false);

        // The carrier's init defines entry and output; here they print each word on its own line, as sh received it.
        string stubs = "entry() { for w in \"$@\"; do printf '[%s]\\n' \"$w\"; done; }\noutput() { printf 'output [%s] [%s] [%s]\\n' \"$@\"; }\n";
        string seen = Sh.Run(stubs + job);
        string expected = string.Concat(
            new[] { "1", "e'1", "91", "/tmp/work dir", "--", "HOME=/root", "LANG=C", "A=x y", "PATH=/custom", "/bin/sh", "/opt/run it.sh" }.Concat(args).Select(w => $"[{w}]\n"))
            + "output [1] [1] [/tmp/out's.txt]\n";
        Assert.Equal(expected, seen);
        Assert.False(File.Exists("/tmp/pwned"));
    }

    [Fact]
    public void Write_Settings_ComeBeforeTheMarkerTheInitCutsAt()
    {
        string job = ReplayJob.Write([], "ext4", shell: false);
        string settings = job[..job.IndexOf("# settings-end\n", StringComparison.Ordinal)];
        Assert.Equal("ext4 ro,noload", Sh.Run(settings + "printf '%s %s' \"$IMAGE_FS\" \"$MOUNT_OPTIONS\""));
    }

    [Fact]
    public void Quote_NulCharacter_Refused() =>
        Assert.Throws<ArgumentException>(() => ReplayJob.Quote("a\0b"));
}
