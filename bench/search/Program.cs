// Synthetic capsule versions, realistic ones: packages and paths drawn from a real dpkg database (the machine's
// own, or DPKG_ADMINDIR), about 500 packages and 20,000 paths per version, ten versions per capsule, each
// version changing a few packages and adding its own data files; written straight into an index in-process
// (IndexStore.Put, what IndexSync does once it has read a version from the archive), because snapshotting
// 10,000 capsules would measure the archive, not the index.
using System.Diagnostics;
using System.Globalization;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Search;

string mode = args.Length > 0 ? args[0] : "";
string dir = args.Length > 1 ? args[1] : "";
// The package pool is read from dpkg's database (hundreds of files): not in `once`, which would time it too.
var pools = new Lazy<Pool>(() => Pool.Load(Environment.GetEnvironmentVariable("DPKG_ADMINDIR") is { Length: > 0 } a ? a : "/var/lib/dpkg"));
switch (mode)
{
    case "build":
    {
        int n = int.Parse(args[2], CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        using IndexStore store = IndexStore.Open(dir, "bench", "bench", fresh: true, TimeSpan.FromMinutes(1));
        store.Begin();
        // Two workers, as IndexSync runs them, committing every 500 versions.
        for (int start = 0; start < n; start += 500)
        {
            int next = start - 1;
            int end = Math.Min(n, start + 500);
            Parallel.For(0, 2, _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < end)
                {
                    store.Put(Synthetic.Version(pools.Value, i), []);
                }
            });
            store.Commit(null);
            Console.Error.WriteLine($"{end} versions, {clock.Elapsed.TotalSeconds:0.0} s");
        }

        store.Commit(null);
        double indexed = clock.Elapsed.TotalSeconds;
        store.Compact(); // as IndexSync ends a rebuild
        store.End();
        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(Figures.Json(new Dictionary<string, double> { ["versions"] = n, ["seconds"] = seconds, ["compactSeconds"] = seconds - indexed, ["bytes"] = store.SizeOnDisk(), ["packages"] = store.Registry.PackageRows() }));
        break;
    }

    case "add":
    {
        // One new version, as the update after one snapshot does it: open (with the check), write, commit.
        int i = int.Parse(args[2], CultureInfo.InvariantCulture);
        VersionContent v = Synthetic.Version(pools.Value, i);
        var clock = Stopwatch.StartNew();
        using IndexStore store = IndexStore.Open(dir, "bench", "bench", fresh: false, TimeSpan.FromMinutes(1));
        double opened = clock.Elapsed.TotalSeconds;
        store.Begin();
        double begun = clock.Elapsed.TotalSeconds;
        store.Put(v, []);
        double put = clock.Elapsed.TotalSeconds;
        store.Commit(null);
        store.Tidy(); // as IndexSync ends a small update
        double committed = clock.Elapsed.TotalSeconds;
        store.End();
        Console.WriteLine(Figures.Json(new Dictionary<string, double>
        {
            ["openSeconds"] = opened, ["beginSeconds"] = begun - opened, ["putSeconds"] = put - begun, ["commitSeconds"] = committed - put,
            ["seconds"] = clock.Elapsed.TotalSeconds,
        }));
        break;
    }

    case "query":
    {
        // Each kind ITER times with varying values: cold (open + check + reader + search, what a command does after
        // listing the archive) and warm (one reader, as a long-lived process would keep it).
        int iterations = int.Parse(args[2], CultureInfo.InvariantCulture);
        int n = int.Parse(args[3], CultureInfo.InvariantCulture);
        var results = new Dictionary<string, Dictionary<string, double>>();
        foreach ((string kind, Func<int, SearchRequest> make) in Queries.Kinds(Queries.SomePaths(pools.Value, dir), n))
        {
            var cold = new List<double>();
            var warm = new List<double>();
            var warmCpu = new List<double>();
            int hits = 0;
            for (int i = 0; i < iterations; i++)
            {
                SearchRequest r = make(i);
                var clock = Stopwatch.StartNew();
                using (IndexStore store = IndexStore.Open(dir, "bench", "bench", fresh: false, TimeSpan.FromMinutes(1)))
                {
                    using Lucene.Net.Index.DirectoryReader reader = store.OpenReader();
                    hits += Searcher.Search(reader, store.Registry, r).Total;
                    cold.Add(clock.Elapsed.TotalMilliseconds);
                }
            }

            using (IndexStore store = IndexStore.Open(dir, "bench", "bench", fresh: false, TimeSpan.FromMinutes(1)))
            {
                using Lucene.Net.Index.DirectoryReader reader = store.OpenReader();
                Searcher.Search(reader, store.Registry, make(0));
                for (int i = 0; i < iterations; i++)
                {
                    SearchRequest r = make(i);
                    TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
                    var clock = Stopwatch.StartNew();
                    Searcher.Search(reader, store.Registry, r);
                    warm.Add(clock.Elapsed.TotalMilliseconds);
                    warmCpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds);
                }
            }

            results[kind] = new()
            {
                ["coldP50"] = Percentile(cold, 50), ["coldP99"] = Percentile(cold, 99),
                ["warmP50"] = Percentile(warm, 50), ["warmP99"] = Percentile(warm, 99),
                ["warmCpuP50"] = Percentile(warmCpu, 50), ["warmCpuP99"] = Percentile(warmCpu, 99),
                ["meanHits"] = (double)hits / iterations,
            };
            Console.Error.WriteLine($"{kind,-14} cold p50 {Percentile(cold, 50),7:0.0} ms  p99 {Percentile(cold, 99),7:0.0} ms   warm p50 {Percentile(warm, 50),7:0.0} ms  p99 {Percentile(warm, 99),7:0.0} ms (CPU p50 {Percentile(warmCpu, 50),6:0.0} ms, p99 {Percentile(warmCpu, 99),6:0.0} ms)   hits {(double)hits / iterations:0.0}");
        }

        Console.WriteLine("{" + string.Join(",", results.Select(r => $"\"{r.Key}\":{Figures.Json(r.Value)}")) + "}");
        break;
    }

    case "archive":
    {
        // Makes ARCHIVE a directory archive holding a version directory for every version the index holds (a stub
        // manifest and its sidecar: an index that is current reads neither) and its ingestion event, and puts the index where the tool
        // looks for that archive's index under CACHE_ROOT (XDG_CACHE_HOME/cvmpreserve/index), so that
        // `cvmpreserve search --archive ARCHIVE` runs as a user runs it: the catch-up's listing, the open, the search.
        string archiveDir = Path.GetFullPath(args[2]);
        string cacheRoot = Path.GetFullPath(args[3]);
        var store = new CernVM.Preserve.Storage.FileSystemObjectStore(archiveDir);
        CernVM.Preserve.Storage.Archive archive = await CernVM.Preserve.Storage.Archive.InitAsync(store, null, CancellationToken.None);
        string place = ArchiveIndex.PlaceOf(archive.Descriptor.Id, archive.Location, cacheRoot);
        CopyTree(dir, place); // the copy is made the archive's: DIR itself stays the bench's
        int written = 0;
        using (var registry = Registry.Open(Path.Combine(place, "registry.sqlite"), readOnly: false))
        {
            foreach (RegisteredVersion v in registry.Versions())
            {
                string version = Path.Combine(archiveDir, "capsules", v.Capsule, $"v{v.Version}");
                Directory.CreateDirectory(version);
                File.WriteAllText(Path.Combine(version, "manifest.json"), "{}");
                File.WriteAllText(Path.Combine(version, "manifest.json.sha256"), $"{v.ManifestSha256}  manifest.json\n");
                written++;
            }

            // An ingestion event per version, as the tool writes them (stubs: the index has taken them in already).
            string journal = Path.Combine(archiveDir, "journal", "2026");
            Directory.CreateDirectory(journal);
            string last = "";
            for (int i = 0; i < written; i++)
            {
                DateTime at = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(i * 7);
                string name = $"{at:yyyyMMdd'T'HHmmss}.{i % 10_000_000:D7}Z-{Guid.NewGuid():N}.json";
                File.WriteAllText(Path.Combine(journal, name), "{}");
                last = string.CompareOrdinal(name, last) > 0 ? name : last;
            }

            registry.SetMeta("journal", "journal/2026/" + last);
            registry.SetMeta("archive", archive.Descriptor.Id);
            registry.SetMeta("location", archive.Location);
        }

        Console.WriteLine(Figures.Json(new Dictionary<string, double> { ["versions"] = written }));
        Console.Error.WriteLine($"archive {archiveDir} ({written} versions), its index at {place}");
        break;
    }

    case "merge":
    {
        // Merges the Lucene index into at most N segments (what a rebuild could end with), timed.
        int segments = int.Parse(args[2], CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        using var lucene = Lucene.Net.Store.FSDirectory.Open(Path.Combine(dir, "lucene"));
        using (var w = new Lucene.Net.Index.IndexWriter(lucene, new Lucene.Net.Index.IndexWriterConfig(Fields.Lucene, Fields.CreateAnalyzer())))
        {
            w.ForceMerge(segments);
            w.Commit();
        }

        Console.WriteLine(Figures.Json(new Dictionary<string, double> { ["mergeSeconds"] = clock.Elapsed.TotalSeconds }));
        break;
    }

    case "open":
    {
        // What a command pays before it searches, in parts, ITERATIONS times: the check, the open, a reader.
        int iterations = int.Parse(args[2], CultureInfo.InvariantCulture);
        var check = new List<double>();
        var open = new List<double>();
        var reader = new List<double>();
        for (int i = 0; i < iterations; i++)
        {
            var clock = Stopwatch.StartNew();
            IndexStore.Check(dir, "bench");
            check.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            using IndexStore store = IndexStore.Open(dir, "bench", "bench", fresh: false, TimeSpan.FromMinutes(1));
            open.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            using Lucene.Net.Index.DirectoryReader r = store.OpenReader();
            reader.Add(clock.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine(Figures.Json(new Dictionary<string, double>
        {
            ["checkP50"] = Percentile(check, 50), ["openWithCheckP50"] = Percentile(open, 50), ["readerP50"] = Percentile(reader, 50),
        }));
        break;
    }

    case "once":
    {
        // One query in a fresh process, as a user runs a command (without the archive listing).
        int n = int.Parse(args[3], CultureInfo.InvariantCulture);
        int i = int.Parse(args[4], CultureInfo.InvariantCulture);
        Func<int, SearchRequest> make = Queries.Kinds(File.ReadAllLines(dir + ".paths"), n).First(k => k.Kind == args[2]).Make;
        using IndexStore store = IndexStore.Open(dir, "bench", "bench", fresh: false, TimeSpan.FromMinutes(1));
        using Lucene.Net.Index.DirectoryReader reader = store.OpenReader();
        Console.WriteLine(Searcher.Search(reader, store.Registry, make(i)).Total);
        break;
    }

    default:
        Console.Error.WriteLine("usage: SearchBench build DIR N | add DIR I | query DIR ITERATIONS N | once DIR KIND N I | open DIR ITERATIONS | archive DIR ARCHIVE CACHE_ROOT | merge DIR SEGMENTS");
        return 2;
}

return 0;

static void CopyTree(string from, string to)
{
    Directory.CreateDirectory(to);
    foreach (string file in Directory.EnumerateFiles(from))
    {
        File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
    }

    foreach (string sub in Directory.EnumerateDirectories(from))
    {
        CopyTree(sub, Path.Combine(to, Path.GetFileName(sub)));
    }
}

static double Percentile(List<double> values, int p)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

/// <summary>The real packages (name, version, architecture) and the paths each installed.</summary>
internal sealed record Pool(IReadOnlyList<(string Name, string Version, string Arch, string[] Paths)> Packages)
{
    public static Pool Load(string admindir)
    {
        var list = new List<(string, string, string, string[])>();
        foreach (string para in File.ReadAllText(Path.Combine(admindir, "status")).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var f = para.Split('\n').Where(l => l.Length > 0 && !char.IsWhiteSpace(l[0]) && l.Contains(':', StringComparison.Ordinal))
                .Select(l => (K: l[..l.IndexOf(':', StringComparison.Ordinal)], V: l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))
                .GroupBy(p => p.K).ToDictionary(g => g.Key, g => g.First().V);
            if (!f.TryGetValue("Package", out string? name) || !f.TryGetValue("Version", out string? version) || !(f.GetValueOrDefault("Status")?.EndsWith("installed", StringComparison.Ordinal) ?? false))
            {
                continue;
            }

            string arch = f.GetValueOrDefault("Architecture") ?? "all";
            string listFile = new[] { Path.Combine(admindir, "info", $"{name}:{arch}.list"), Path.Combine(admindir, "info", $"{name}.list") }.FirstOrDefault(File.Exists) ?? "";
            string[] paths = listFile.Length > 0 ? [.. File.ReadAllLines(listFile).Where(p => p.Length > 1)] : [];
            list.Add((name, version, arch, paths));
        }

        return new Pool(list);
    }
}

internal static class Synthetic
{
    private static readonly string[] Experiments = ["ALEPH", "DELPHI", "L3", "OPAL", "H1", "ZEUS", "CMS", "ATLAS", "LHCb", "ALICE", "BaBar", "CDF", "D0"];
    private static readonly (string Dist, string Version, string Codename)[] Systems =
        [("Scientific Linux", "4.8", "Beryllium"), ("Scientific Linux", "5.11", "Boron"), ("Scientific Linux", "6.10", "Carbon"), ("CentOS", "7.9", "Core"),
         ("AlmaLinux", "9.4", "Seafoam Ocelot"), ("Debian", "12", "bookworm"), ("Debian", "8", "jessie")];
    private static readonly string[] Words = ["analysis", "ntuple", "reconstruction", "simulation", "calibration", "legacy", "higgs", "tau", "jets", "luminosity", "trigger", "alignment", "unfolding", "preservation", "fortran", "cernlib", "geant3", "root5"];
    private static readonly string[] RpmOpenssl = ["0.9.7a-43.el4", "0.9.8b-10.el5", "0.9.8e-12.el5", "1.0.1e-30.el6", "1.0.2k-19.el7", "1:1.1.1k-7.el8", "1:3.0.7-27.el9"];
    private static readonly string[] DebOpenssl = ["0.9.8c-4etch9", "0.9.8o-4squeeze14", "1.0.1t-1+deb8u12", "1.1.0l-1~deb9u6", "1.1.1n-0+deb11u5", "3.0.15-1~deb12u1"];

    public const int VersionsPerCapsule = 10;

    public static VersionContent Version(Pool pool, int index)
    {
        int capsule = index / VersionsPerCapsule;
        int version = index % VersionsPerCapsule + 1;
        var rng = new Random(capsule);
        (string dist, string osVersion, string codename) = Systems[rng.Next(Systems.Length)];
        bool dpkg = dist == "Debian";
        string arch = rng.Next(3) == 0 ? "i386" : "x86_64";
        string experiment = Experiments[rng.Next(Experiments.Length)];
        string name = $"{experiment.ToLowerInvariant()}-{Words[rng.Next(Words.Length)]}-{capsule}";
        int[] chosen = [.. Enumerable.Range(0, pool.Packages.Count).OrderBy(_ => rng.Next()).Take(500)];
        long revision = 4000 + rng.Next(1000);
        bool cvmfs = rng.Next(2) == 0;
        string title = $"{experiment} {Words[rng.Next(Words.Length)]} {Words[rng.Next(Words.Length)]} on {dist} {osVersion}";
        int openssl = rng.Next(dpkg ? DebOpenssl.Length : RpmOpenssl.Length);

        // Each later version changes a few packages and adds its own data.
        var vrng = new Random(capsule * 1000 + version);
        var packages = new List<PackageListEntry>(501);
        var paths = new List<string>(20_100);
        foreach (int p in chosen)
        {
            (string pname, string pversion, string parch, string[] ppaths) = pool.Packages[p];
            bool bumped = version > 1 && vrng.Next(100) < 2;
            packages.Add(Entry(pname, bumped ? pversion + "+b" + version.ToString(CultureInfo.InvariantCulture) : pversion, dpkg ? parch : arch));
            foreach (string path in ppaths)
            {
                if (paths.Count < 20_000)
                {
                    paths.Add(path);
                }
            }
        }

        string ssl = dpkg ? DebOpenssl[Math.Min(DebOpenssl.Length - 1, openssl + (version > 5 ? 1 : 0))] : RpmOpenssl[Math.Min(RpmOpenssl.Length - 1, openssl + (version > 5 ? 1 : 0))];
        packages.Add(Entry("openssl", ssl, dpkg ? "amd64" : arch));
        for (int v = 1; v <= version; v++)
        {
            paths.Add($"/data/{name}/run{v}.dat");
        }

        paths.Add($"/{experiment.ToLowerInvariant()}/{Words[capsule % Words.Length]}/{Words[(capsule / 7) % Words.Length]}{capsule % 200}.f");
        paths.Sort(StringComparer.Ordinal);
        var facts = new VersionFacts
        {
            Capsule = name,
            Version = version,
            ManifestSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(index))),
            Created = new DateTime(2026, 1, 1).AddHours(index).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            Title = title,
            Description = $"{string.Join(' ', Enumerable.Range(0, 12).Select(_ => Words[rng.Next(Words.Length)]))}",
            Experiment = experiment,
            Creators = ["A. Physicist", "B. Curator"],
            Licence = "CC-BY-4.0",
            DphepLevel = 1 + rng.Next(4),
            OsDistribution = dist,
            OsVersion = osVersion,
            OsCodename = codename,
            OsArchitecture = arch,
            KernelRelease = dpkg ? "6.1.0-18-amd64" : $"2.6.{9 + rng.Next(30)}-{rng.Next(400)}.el",
            PackageFormat = dpkg ? "dpkg" : "rpm-bdb",
            Cvmfs = cvmfs ? [new CvmfsFacts("sft.cern.ch", revision, "trunk", Convert.ToHexStringLower(BitConverter.GetBytes(revision)))] : [],
            Software = [new SoftwareFacts("cernlib", rng.Next(2) == 0 ? "2005" : "2006"), new SoftwareFacts($"{experiment.ToLowerInvariant()}-analysis", $"{version}.0")],
            Run = ["reference-run"],
            PathsTotal = paths.Count,
        };
        return new VersionContent(facts, packages, paths);
    }

    private static PackageListEntry Entry(string name, string evr, string arch)
    {
        int? epoch = null;
        int colon = evr.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && int.TryParse(evr[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out int e))
        {
            epoch = e;
            evr = evr[(colon + 1)..];
        }

        int dash = evr.LastIndexOf('-');
        return new PackageListEntry { Name = name, Epoch = epoch, Version = dash < 0 ? evr : evr[..dash], Release = dash < 0 ? "" : evr[(dash + 1)..], Arch = arch };
    }
}

internal static class Queries
{
    /// <summary>Paths the exact-path and segment queries ask for, kept beside the index for `once`.</summary>
    public static string[] SomePaths(Pool pool, string dir)
    {
        string[] paths = [.. pool.Packages.SelectMany(p => p.Paths).Where(p => p.StartsWith("/usr/bin/", StringComparison.Ordinal)).Take(200)];
        File.WriteAllLines(dir + ".paths", paths);
        return paths;
    }

    public static IReadOnlyList<(string Kind, Func<int, SearchRequest> Make)> Kinds(string[] somePaths, int n)
    {
        string[] experiments = ["ALEPH", "DELPHI", "CMS", "OPAL", "H1"];
        return
        [
            ("fielded", i => new SearchRequest { Query = $"experiment:{experiments[i % experiments.Length]} AND os.version:{4 + (i % 3)}*" }),
            ("freetext", i => new SearchRequest { Query = i % 2 == 0 ? "legacy ntuple" : "cernlib fortran" }),
            ("package", i => new SearchRequest { Packages = [PackageRange.Parse(i % 2 == 0 ? "openssl<0.9.8e" : "openssl>=1.0.1,<1.1")] }),
            ("package-all", i => new SearchRequest { Packages = [PackageRange.Parse("openssl<1:1.1.1")], AllVersions = true }),
            ("file-exact", i => new SearchRequest { Files = [somePaths[i % somePaths.Length]], AllVersions = true }),
            ("file-glob", i => new SearchRequest { Files = [$"/data/*-{i % Math.Max(1, n / 10)}/run*.dat"], AllVersions = true }),
            ("path-lucene", i => new SearchRequest { Query = $"path.segment:{Path.GetFileName(somePaths[i % somePaths.Length])}" }),
            ("cvmfs", i => new SearchRequest { Cvmfs = [$"sft.cern.ch@{4000 + (i * 37 % 1000)}"], AllVersions = true }),
            ("everything", _ => new SearchRequest { AllVersions = true, Limit = 50 }),
        ];
    }
}

/// <summary>Figures as a JSON object, without reflection (the bench is published as Native AOT, like the tool).</summary>
internal static class Figures
{
    public static string Json(Dictionary<string, double> figures) =>
        "{" + string.Join(",", figures.Select(f => $"\"{f.Key}\":{f.Value.ToString("R", CultureInfo.InvariantCulture)}")) + "}";
}
