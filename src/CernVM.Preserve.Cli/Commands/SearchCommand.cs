using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Diagnostics;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Search;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

/// <summary><c>search</c>: finds capsule versions by what they hold (docs/CLI.md §Search).</summary>
public static class SearchCommand
{
    public static Command Create()
    {
        var query = new Argument<string?>("QUERY")
        {
            Arity = ArgumentArity.ZeroOrOne,
            Description = "Lucene query syntax over named fields, e.g. 'experiment:ALEPH AND os.version:4*' (terms without a field search the descriptive text; terms are ANDed). Without it, every version.",
        };
        var package = new Option<string[]>("--package") { Description = "NAME[OP VERSION[,OP VERSION]…], e.g. 'openssl<0.9.8e' or 'glibc>=2.3,<2.4': compared by rpm's or dpkg's rules per capsule. Repeatable.", AllowMultipleArgumentsPerToken = false };
        var file = new Option<string[]>("--file") { Description = "A path the version holds, exact or a glob (*, ?, [...]; * also crosses /). Repeatable." };
        var cvmfs = new Option<string[]>("--cvmfs") { Description = "FQRN[@REVISION]: the version pins this CernVM-FS repository (at this revision). Repeatable." };
        var allVersions = new Option<bool>("--all-versions") { Description = "Search every version of each capsule (default: the latest version of each)." };
        var limit = new Option<int>("--limit") { Description = "Hits shown in full (default 50); the count and the facets cover all.", DefaultValueFactory = _ => 50 };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("search", "Find capsule versions by anything they hold: metadata, OS, packages (version ranges), paths, CernVM-FS revisions, verdicts.")
        {
            query, package, file, cvmfs, allVersions, limit, json,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            bool asJson = parse.GetValue(json);
            SearchRequest request;
            try
            {
                string? q = parse.GetValue(query);
                Searcher.Parse(q);
                request = new SearchRequest
                {
                    Query = q,
                    Packages = [.. (parse.GetValue(package) ?? []).Select(PackageRange.Parse)],
                    Files = parse.GetValue(file) ?? [],
                    Cvmfs = parse.GetValue(cvmfs) ?? [],
                    AllVersions = parse.GetValue(allVersions),
                    Limit = parse.GetValue(limit),
                };
            }
            catch (QuerySyntaxException e)
            {
                if (asJson)
                {
                    Output.Json(new JsonObject { ["error"] = new JsonObject { ["what"] = e.What, ["text"] = e.Text, ["column"] = e.Column, ["reason"] = e.Reason } });
                }

                throw;
            }

            if (request.Limit < 0)
            {
                throw new Core.PreserveException(Core.FailureKind.Usage, "--limit is a number of hits, 0 or more.");
            }

            Timeline.Mark("search: request parsed");
            await using Archive archive = await CommonOptions.OpenArchiveAsync(parse, ArchiveAccess.Read, ct, warmUpReaders: false); // the index reads a manifest only for a new version
            Timeline.Mark("search: archive open");
            using ArchiveIndex index = await IndexCommand.OpenUpToDateAsync(archive, rebuild: false, asJson, ct);
            Timeline.Mark("search: index open and up to date");
            SearchResult result = index.Search(request);
            Timeline.Mark("search: searched");
            if (asJson)
            {
                Output.Json(ToJson(result, request, archive.Location));
            }
            else
            {
                Print(result, request);
            }

            Timeline.Mark("search: printed");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static void Print(SearchResult result, SearchRequest request)
    {
        string scope = request.AllVersions ? "versions searched" : "capsules searched (latest versions; --all-versions for every version)";
        Output.Line($"{result.Total} of {result.VersionsSearched} {scope} match{(result.Total > result.Hits.Count ? $"; the first {result.Hits.Count} shown (--limit)" : "")}");
        foreach (SearchHit h in result.Hits)
        {
            string what = string.Join("; ", new[] { h.Experiment, h.Os }.Where(s => !string.IsNullOrEmpty(s)));
            Output.Line($"{h.Key,-28} {h.Title}{(what.Length > 0 ? $"  [{what}]" : "")}");
            foreach (MatchReason r in h.Reasons)
            {
                Output.Line($"    {r.Field,-16} {r.Value}{(r.Detail is null ? "" : $"  ({r.Detail})")}");
            }
        }

        if (result.Total == 0)
        {
            return;
        }

        Output.Line("facets:");
        foreach ((string name, IReadOnlyList<FacetCount> counts) in result.Facets)
        {
            Output.Line($"  {name,-13} {string.Join(", ", counts.Select(c => $"{c.Value} {c.Count}"))}");
        }
    }

    private static JsonObject ToJson(SearchResult result, SearchRequest request, string location)
    {
        var hits = new JsonArray();
        foreach (SearchHit h in result.Hits)
        {
            var reasons = new JsonArray();
            foreach (MatchReason r in h.Reasons)
            {
                reasons.Add((JsonNode)new JsonObject { ["field"] = r.Field, ["value"] = r.Value, ["detail"] = r.Detail });
            }

            hits.Add((JsonNode)new JsonObject
            {
                ["capsule"] = h.Capsule,
                ["version"] = h.Version,
                ["title"] = h.Title,
                ["experiment"] = h.Experiment,
                ["os"] = h.Os,
                ["created"] = h.Created,
                ["score"] = h.Score,
                ["matched"] = reasons,
            });
        }

        var facets = new JsonObject();
        foreach ((string name, IReadOnlyList<FacetCount> counts) in result.Facets)
        {
            var o = new JsonObject();
            foreach (FacetCount c in counts)
            {
                o[c.Value] = c.Count;
            }

            facets[name] = o;
        }

        return new JsonObject
        {
            ["archive"] = location,
            ["query"] = request.Query,
            ["allVersions"] = request.AllVersions,
            ["searched"] = result.VersionsSearched,
            ["total"] = result.Total,
            ["hits"] = hits,
            ["facets"] = facets,
        };
    }
}
