using Xunit;

namespace CernVM.Preserve.Fuzz.Tests;

/// <summary>
/// The fuzz corpora replayed without AFL through the harness's own entry points (docs/security.md, Fuzzing):
/// every input a campaign ever found a crash or a hang with (fuzz/regressions/TARGET) ends on the outcome its
/// fix gave it, written in fuzz/regressions/TARGET/expected.tsv; every seed (fuzz/corpus/TARGET), a valid input
/// made by the real tools, is read.
/// </summary>
public sealed class FuzzCorpusTests
{
    /// <summary>How long one input may take before it counts as a hang (AFL's own limit is 10 s; CI is slower).</summary>
    private static readonly TimeSpan HangAfter = TimeSpan.FromSeconds(60);

    public static TheoryData<string, string> Regressions() => Files("fuzz/regressions");

    public static TheoryData<string, string> Seeds() => Files("fuzz/corpus");

    [Theory]
    [MemberData(nameof(Regressions))]
    public void Regression_EndsOnItsDocumentedOutcome(string target, string file)
    {
        string expected = ExpectedOutcomes(target).TryGetValue(file, out string? outcome)
            ? outcome
            : throw new Xunit.Sdk.XunitException($"fuzz/regressions/{target}/{file} is not listed in fuzz/regressions/{target}/expected.tsv");

        Exception? documented = Replay(target, "fuzz/regressions", file);

        Assert.Equal(expected, documented?.GetType().Name ?? "read");
        if (documented is not null)
        {
            // A documented error says what it read: never an empty message.
            Assert.False(string.IsNullOrWhiteSpace(documented.Message));
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Seed_IsRead(string target, string file)
    {
        Exception? documented = Replay(target, "fuzz/corpus", file);

        Assert.True(documented is null, $"{target}/{file}: {documented?.GetType().Name}: {documented?.Message}");
    }

    [Fact]
    public void Corpora_OneSeedFolderPerTarget()
    {
        string[] folders = Directory.GetDirectories(RepositoryFiles.PathOf("fuzz/corpus")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

        Assert.Equal(FuzzTargets.All.Select(t => t.Name).Order(StringComparer.Ordinal), folders);
        Assert.All(folders, f => Assert.NotEmpty(Directory.GetFiles(RepositoryFiles.PathOf($"fuzz/corpus/{f}"))));
    }

    [Fact]
    public void Regressions_EveryListedFileExistsForAKnownTarget()
    {
        string root = RepositoryFiles.PathOf("fuzz/regressions");
        foreach (string folder in Directory.GetDirectories(root))
        {
            string target = Path.GetFileName(folder);
            Assert.Contains(FuzzTargets.All, t => t.Name == target);
            foreach (string listed in ExpectedOutcomes(target).Keys)
            {
                Assert.True(File.Exists(Path.Combine(folder, listed)), $"fuzz/regressions/{target}/expected.tsv lists {listed}, which is missing");
            }
        }
    }

    [Fact]
    public void Check_UndocumentedException_IsAFinding()
    {
        // The contract the campaigns rely on: a documented error is returned, anything else escapes.
        var target = new FuzzTarget("t", "test", b => _ = b[b.Length], [typeof(InvalidDataException)]);
        var documented = new FuzzTarget("d", "test", _ => throw new InvalidDataException("bad"), [typeof(InvalidDataException)]);

        Assert.Throws<IndexOutOfRangeException>(() => target.Check([1]));
        Assert.IsType<InvalidDataException>(documented.Check([1]));
    }

    private static Exception? Replay(string target, string folder, string file)
    {
        byte[] input = File.ReadAllBytes(RepositoryFiles.PathOf($"{folder}/{target}/{file}"));
        FuzzTarget t = FuzzTargets.Named(target);
        Task<Exception?> run = Task.Factory.StartNew(() => t.Check(input), TaskCreationOptions.LongRunning);
        Assert.True(run.Wait(HangAfter), $"{folder}/{target}/{file} still runs after {HangAfter.TotalSeconds} s: a hang");
        return run.Result;
    }

    private static Dictionary<string, string> ExpectedOutcomes(string target)
    {
        string path = RepositoryFiles.PathOf($"fuzz/regressions/{target}/expected.tsv");
        return File.ReadLines(path)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
    }

    private static TheoryData<string, string> Files(string folder)
    {
        var data = new TheoryData<string, string>();
        string root = RepositoryFiles.PathOf(folder);
        if (!Directory.Exists(root))
        {
            return data;
        }

        foreach (string dir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            foreach (string f in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
            {
                if (Path.GetFileName(f) != "expected.tsv")
                {
                    data.Add(Path.GetFileName(dir), Path.GetFileName(f));
                }
            }
        }

        return data;
    }
}
