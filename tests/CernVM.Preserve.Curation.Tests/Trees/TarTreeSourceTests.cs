using CernVM.Preserve.Core;
using CernVM.Preserve.Curation.Tests.Boot;
using CernVM.Preserve.Curation.Trees;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Trees;

/// <summary>Bad tarballs, made with GNU tar: each gives an error naming the file and what is wrong.</summary>
public sealed class TarTreeSourceTests : IDisposable
{
    private readonly Packages.TemporaryDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public void Walk_MemberLeavingTheTree_RefusedNamingTheMember()
    {
        Shell.Run("mkdir -p in && echo x > outside && cd in && tar -P -cf ../evil.tar ../outside", _work.Path);
        string tar = Path.Combine(_work.Path, "evil.tar");
        using var source = new TarTreeSource(tar);

        PreserveException e = Assert.Throws<PreserveException>(() => source.Walk(CancellationToken.None));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains($"{tar}: member '../outside' has a path that leaves the tree", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Walk_GnuSparseMember_RefusedNamingTheKindAndWhatToDo()
    {
        // A file with a hole, archived by GNU tar with --sparse in its own (gnu) format: a member of type 'S',
        // which System.Formats.Tar does not read (found by fuzzing as an unhandled NotSupportedException).
        Shell.Run("mkdir -p in && truncate -s 1M in/lastlog && echo end >> in/lastlog && tar --format=gnu --sparse -C in -cf sparse.tar lastlog", _work.Path);
        string tar = Path.Combine(_work.Path, "sparse.tar");
        using var source = new TarTreeSource(tar);

        PreserveException e = Assert.Throws<PreserveException>(() => source.Walk(CancellationToken.None));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains($"{tar}: the member after offset 0 is of a kind this tool cannot read", e.Message, StringComparison.Ordinal);
        Assert.Contains("without --sparse", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Walk_TarCutInsideAMember_TruncatedWithTheOffset()
    {
        Shell.Run("mkdir -p in && head -c 100000 /dev/urandom > in/big && tar -C in -cf whole.tar big && head -c 50000 whole.tar > cut.tar", _work.Path);
        string tar = Path.Combine(_work.Path, "cut.tar");
        using var source = new TarTreeSource(tar);

        PreserveException e = Assert.Throws<PreserveException>(() => source.Walk(CancellationToken.None));

        Assert.Contains($"{tar}: the tar archive is truncated after offset", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Walk_CorruptGzip_ErrorNamingTheToolAndTheFile()
    {
        Shell.Run("mkdir -p in && echo x > in/a && tar -C in -czf good.tgz a && head -c 30 good.tgz > bad.tgz", _work.Path);
        string tgz = Path.Combine(_work.Path, "bad.tgz");
        using var source = new TarTreeSource(tgz);

        PreserveException e = Assert.Throws<PreserveException>(() => source.Walk(CancellationToken.None));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.StartsWith($"{tgz}: gzip could not decompress it", e.Message, StringComparison.Ordinal);
    }
}
