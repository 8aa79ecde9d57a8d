namespace CernVM.Preserve.Cli.Tests;

/// <summary>
/// A real Debian root tree (debootstrap minbase bookworm), made once per machine and cached, because it
/// takes half a minute and the network: the test setup makes it, the tests only read it.
/// </summary>
public sealed class DebianTree
{
    private static readonly Lazy<string> Root = new(Make, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Path => Root.Value;

    private static string Make()
    {
        string cache = Environment.GetEnvironmentVariable("CVMPRESERVE_TEST_CACHE") is { Length: > 0 } c ? c : "/var/tmp/cvmpreserve-test-cache";
        string tree = System.IO.Path.Combine(cache, "debootstrap-bookworm");
        if (Directory.Exists(System.IO.Path.Combine(tree, "var/lib/dpkg")))
        {
            return tree;
        }

        if (string.IsNullOrWhiteSpace(CliRunner.Sh("command -v debootstrap || true")))
        {
            throw new InvalidOperationException("debootstrap is missing: apt-get install debootstrap (tools/install-test-deps.sh does).");
        }

        // The mirror this machine's apt uses; never a host written into the project.
        string mirror = CliRunner.Sh(
            "awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null; true; " +
            "awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null; true").Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()
            ?? throw new InvalidOperationException("no Debian mirror configured in /etc/apt");
        Directory.CreateDirectory(cache);
        string building = System.IO.Path.Combine(cache, $"debootstrap-{Guid.NewGuid():N}");
        CliRunner.Sh($"debootstrap --variant=minbase bookworm '{building}' '{mirror}' > '{building}.log' 2>&1 || {{ tail -20 '{building}.log' >&2; exit 1; }}");
        CliRunner.Sh($"mv '{building}' '{tree}' 2>/dev/null || rm -rf '{building}'; rm -f '{building}.log'");
        return tree;
    }
}
