namespace CernVM.Preserve.Curation.Trees;

/// <summary>
/// A root file system given as a tarball (tar, tar.gz, tar.xz, tar.zst, tar.bz2; recognised by content,
/// not by name). The archive is decompressed once into a private temporary file, then read in place
/// (<see cref="TarBackedTreeSource"/>).
/// </summary>
public sealed class TarTreeSource : TarBackedTreeSource
{
    private readonly string _path;
    private LocalTar? _tar;

    public TarTreeSource(string path, IReadOnlyList<string>? exclusions = null)
        : base(exclusions)
    {
        _path = Path.GetFullPath(path);
    }

    /// <summary>A tarball already opened (and decompressed) by the caller; this source owns it from now on.</summary>
    public TarTreeSource(LocalTar tar, IReadOnlyList<string>? exclusions = null)
        : base(exclusions)
    {
        _path = tar.Source;
        _tar = tar;
    }

    public override string Description => _path;

    private protected override void Populate(Dictionary<byte[], TarMember> entries, CancellationToken cancellationToken)
    {
        _tar ??= LocalTar.Open(_path, cancellationToken);
        foreach ((byte[] path, TarMember e) in ReadMembers(_tar.Path, _path, null, cancellationToken))
        {
            entries[path] = e;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _tar?.Dispose();
        }
    }
}
