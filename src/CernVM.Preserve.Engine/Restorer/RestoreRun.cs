using System.Collections.Concurrent;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Trees;

namespace CernVM.Preserve.Engine.Restorer;

/// <summary>
/// The state of one restore that its parts share: the tree, the target, which entries exist so far, and
/// the problems met. Entries are made by one thread at a time, except file content (<see cref="FileRestorer"/>),
/// whose workers only mark metadata set and report through their own thread-safe collections.
/// </summary>
internal sealed class RestoreRun
{
    private readonly HashSet<long> _made = [];
    private readonly ConcurrentDictionary<long, byte> _metadataSet = new();

    public RestoreRun(LoadedTree tree, RestoreTarget target, bool privileged, RestoreOptions? options = null)
    {
        Tree = tree;
        Target = target;
        Privileged = privileged;
        RestoreOwners = privileged && !(options?.NoOwners ?? false);
        NoDevices = options?.NoDevices ?? false;
    }

    public LoadedTree Tree { get; }

    public RestoreTarget Target { get; }

    /// <summary>Running as root: owners are restored and device nodes made.</summary>
    public bool Privileged { get; }

    /// <summary>Owners are set: running as root and not asked otherwise (--no-owners).</summary>
    public bool RestoreOwners { get; }

    /// <summary>Device nodes are not made, as asked (--no-devices).</summary>
    public bool NoDevices { get; }

    public List<RestoreProblem> Problems { get; } = [];

    public byte[] PathOf(TreeEntry e) => Target.PathOf(e);

    public void Made(TreeEntry e) => _made.Add(e.Id);

    public bool IsMade(long id) => _made.Contains(id);

    /// <summary>A file whose content could not be given back is taken out again.</summary>
    public void Unmade(long id) => _made.Remove(id);

    /// <summary>Whether the directory holding <paramref name="e"/> exists (the root has none and always does).</summary>
    public bool ParentMade(TreeEntry e) => e.ParentId is not long pid || _made.Contains(pid);

    /// <summary>Metadata already set through the file's open descriptor, when its content was written (thread-safe).</summary>
    public void MetadataSet(long id) => _metadataSet.TryAdd(id, 0);

    public bool HasMetadata(long id) => _metadataSet.ContainsKey(id);

    public void Report(string code, TreeEntry? e, string message, bool isError) => Problems.Add(new RestoreProblem(code, e?.DisplayPath, message, isError));
}
