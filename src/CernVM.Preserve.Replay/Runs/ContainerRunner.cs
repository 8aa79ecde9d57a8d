using System.Diagnostics;
using CernVM.Preserve.Core;
using CernVM.Preserve.Replay.Images;

namespace CernVM.Preserve.Replay.Runs;

/// <summary>
/// The container target: each run entry runs in the reconstituted tree on the host's kernel, with no daemon:
/// util-linux <c>unshare</c> gives it its own mount and PID namespaces, a fresh /proc, the tree as its root and
/// its workdir (a user namespace mapping the caller to root when not run as root). The tree is a restored copy,
/// writable and discarded afterwards, as the overlay is in the guest. Each entry gets exactly its environment.
/// </summary>
public static class ContainerRunner
{
    /// <summary>Runs every entry in <paramref name="tree"/> and collects what the carrier would: status, log, outputs.</summary>
    /// <exception cref="PreserveException">Environment: unshare is missing.</exception>
    public static async Task<ReplayResults> RunAsync(string tree, IReadOnlyList<RunEntry> entries, bool privileged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        string unshare = ExternalProgram.Find("unshare") ?? throw new PreserveException(FailureKind.Environment, "unshare is not installed (apt-get install util-linux); it runs the container target.");
        var statuses = new Dictionary<int, EntryStatus>();
        var outputs = new Dictionary<(int, int), byte[]>();
        for (int i = 0; i < entries.Count; i++)
        {
            RunEntry e = entries[i];
            var psi = new ProcessStartInfo(unshare) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            string[] args = [.. privileged ? [] : new[] { "--map-root-user" }, "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--root=" + tree, "--wd=" + e.Workdir, "--", .. e.Command];
            foreach (string a in args)
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment.Clear();
            foreach ((string k, string v) in e.FullEnvironment)
            {
                psi.Environment[k] = v;
            }

            var clock = Stopwatch.StartNew();
            using Process p = Process.Start(psi) ?? throw new PreserveException(FailureKind.Environment, $"could not start {unshare}.");
            p.StandardInput.Close();
            var log = new MemoryStream();
            Task copyOut = p.StandardOutput.BaseStream.CopyToAsync(log, CancellationToken.None);
            var err = new MemoryStream();
            Task copyErr = p.StandardError.BaseStream.CopyToAsync(err, CancellationToken.None);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(e.Timeout);
            int code;
            try
            {
                await p.WaitForExitAsync(limit.Token).ConfigureAwait(false);
                code = p.ExitCode;
            }
            catch (OperationCanceledException)
            {
                // --kill-child: the namespace's init dies with unshare, and every process in it with that init.
                p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                code = 137;
            }

            await Task.WhenAll(copyOut, copyErr).ConfigureAwait(false);
            log.Write(err.ToArray());
            statuses[i + 1] = new EntryStatus(code, clock.Elapsed, log.ToArray());
            for (int k = 0; k < e.Outputs.Count; k++)
            {
                if (InsideTree.Resolve(tree, e.Outputs[k].Path) is string file && File.Exists(file))
                {
                    outputs[(i + 1, k + 1)] = await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return new ReplayResults(statuses, outputs);
    }
}

/// <summary>Resolves a path of the tree as the tree's own processes see it: symlinks, absolute ones too, stay inside the tree.</summary>
public static class InsideTree
{
    /// <summary>The host path of <paramref name="path"/> inside <paramref name="root"/>, or null when it loops or leaves nothing.</summary>
    public static string? Resolve(string root, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var done = new List<string>();
        var todo = new Queue<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        for (int hops = 0; todo.Count > 0; hops++)
        {
            if (hops > 4096)
            {
                return null;
            }

            string part = todo.Dequeue();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (done.Count > 0)
                {
                    done.RemoveAt(done.Count - 1);
                }

                continue;
            }

            string host = Path.Combine([root, .. done, part]);
            var info = new FileInfo(host);
            if (info.LinkTarget is string target)
            {
                if (target.StartsWith('/'))
                {
                    done.Clear();
                }

                var rest = todo.ToList();
                todo = new Queue<string>(target.Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(rest));
                continue;
            }

            done.Add(part);
        }

        return Path.Combine([root, .. done]);
    }
}
