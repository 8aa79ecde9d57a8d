using CernVM.Preserve.Core;
using CernVM.Preserve.Replay.Runs;
using Xunit;

namespace CernVM.Preserve.Replay.Tests.Replay;

public sealed class ResultsDiskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cvmp-results-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Read_DiskWrittenByBusyboxTar_StatusLogsAndOutputs()
    {
        // What the carrier does: busybox tar writes /results onto the disk (here a file, which tar truncates).
        string disk = Path.Combine(_dir, "results.raw");
        ResultsDisk.Create(disk, 8 << 20);
        Sh.Run($"cd '{_dir}' && mkdir -p r/status r/log r/out/1 && printf '0 59\\n' > r/status/1 && printf 'ran\\n' > r/log/1 && printf 'hist\\n' > r/out/1/2 && cd r && busybox tar -c -f ../results.raw .");

        ReplayResults r = ResultsDisk.Read(disk);
        EntryStatus s = r.Entries[1];
        Assert.Equal(0, s.ExitCode);
        Assert.Equal(TimeSpan.FromMilliseconds(590), s.Elapsed);
        Assert.Equal("ran\n"u8.ToArray(), s.Log);
        Assert.Equal("hist\n"u8.ToArray(), r.Outputs[(1, 2)]);
        Assert.False(r.Outputs.ContainsKey((1, 1)));
    }

    [Fact]
    public void Read_EmptyDisk_NothingCollected()
    {
        string disk = Path.Combine(_dir, "empty.raw");
        ResultsDisk.Create(disk, 1 << 20);
        ReplayResults r = ResultsDisk.Read(disk);
        Assert.Empty(r.Entries);
        Assert.Empty(r.Outputs);
    }

    [Fact]
    public void Read_Garbage_EnvironmentErrorNamingTheDisk()
    {
        string disk = Path.Combine(_dir, "garbage.raw");
        File.WriteAllBytes(disk, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7 + 1)).ToArray());
        PreserveException e = Assert.Throws<PreserveException>(() => ResultsDisk.Read(disk));
        Assert.Equal(FailureKind.Environment, e.Kind);
        Assert.StartsWith($"{disk}: the results disk holds no readable tar archive", e.Message, StringComparison.Ordinal);
    }
}
