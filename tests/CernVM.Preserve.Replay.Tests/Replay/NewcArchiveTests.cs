using System.Text;
using CernVM.Preserve.Replay.Boot;
using Xunit;

namespace CernVM.Preserve.Replay.Tests.Replay;

public sealed class NewcArchiveTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cvmp-newc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ToArray_DirectoryAndFiles_ExtractedByCpioWithContentAndModes()
    {
        var a = new NewcArchive();
        a.AddDirectory("job");
        a.AddFile("job/job.sh", Encoding.UTF8.GetBytes("echo hello\n"));
        a.AddFile("job/odd", new byte[] { 1, 2, 3 }, mode: 0x1ed);
        File.WriteAllBytes(Path.Combine(_dir, "a.cpio"), a.ToArray());

        Assert.Equal("job\njob/job.sh\njob/odd\n", Sh.Run($"cd '{_dir}' && cpio -i -t --quiet < a.cpio"));
        Sh.Run($"cd '{_dir}' && mkdir x && cd x && cpio -i -d --quiet < ../a.cpio");
        Assert.Equal("echo hello\n", File.ReadAllText(Path.Combine(_dir, "x/job/job.sh")));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(_dir, "x/job/odd")));
        Assert.Equal("755", Sh.Run($"stat -c %a '{_dir}/x/job/odd'").Trim());
        Assert.Equal(a.ToArray(), a.ToArray());
    }
}
