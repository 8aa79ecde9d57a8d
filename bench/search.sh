#!/usr/bin/env bash
# On demand, not in CI: the search index over N synthetic capsule versions (default 10,000; about 500 packages
# and 20,000 paths each, drawn from this machine's dpkg database): full build, update after one new version,
# size, and query latency p50/p99 per kind, in-process (cold: open + check + search, as a command does after
# listing the archive; warm: one reader) and as a process per query. Run it niced on a shared machine:
#   nice -n 19 bench/search.sh [N] [ITERATIONS]
# BENCH_KEEP=DIR keeps a copy of the index it built; BENCH_INDEX=DIR measures a copy of such an index instead of
# building one (N must be the number it was built with). BENCH_CLI=PATH times that cvmpreserve as a user runs it,
# TOOL_RUNS times per query kind (default 100: p50, p95, p99, max); BASELINE_CLI=PATH times another build in turn.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-10000}
iterations=${2:-100}
work=$(mktemp -d "${TMPDIR:-/tmp}/cvmp-search-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "search bench: publishing the bench program as Native AOT, as the tool is (about two minutes)" >&2
dotnet publish "$here/search/SearchBench.csproj" -c Release -nologo -v quiet -o "$work/bin" >/dev/null
bench=("$work/bin/SearchBench")
if [ -n "${BENCH_INDEX:-}" ]; then
  # An index this bench built before (kept with BENCH_KEEP=DIR), for measuring a change of the query side
  # without the build's minutes.
  echo "search bench: a copy of the index in $BENCH_INDEX, of $n versions" >&2
  cp -r "$BENCH_INDEX" "$work/index"
else
  echo "search bench: indexing $n versions (the long step: minutes per thousand)" >&2
  build=$("${bench[@]}" build "$work/index" "$n")
  echo "build: $build"
  if [ -n "${BENCH_KEEP:-}" ]; then cp -r "$work/index" "$BENCH_KEEP"; fi
fi
# Three single versions in turn, each a process of its own: the first also verifies the segments the build
# wrote (once per segment), the next ones show the steady cost of the update after one snapshot.
for i in 0 1 2; do
  echo "update after one new version ($((i + 1)) of 3): $("${bench[@]}" add "$work/index" $((n + i)))"
done
echo "size on disk: $(du -sh "$work/index" | cut -f1) ($(du -sb "$work/index" | cut -f1) bytes)"
echo "search bench: queries in-process, $iterations of each kind" >&2
"${bench[@]}" query "$work/index" "$iterations" "$n"
echo "search bench: one process per query (start, open with its checks, search), 20 of each kind" >&2
for kind in fielded freetext package package-all file-exact file-glob path-lucene cvmfs everything; do
  times=()
  for i in $(seq 1 20); do
    s=$(date +%s%N); "${bench[@]}" once "$work/index" "$kind" "$n" "$i" >/dev/null; e=$(date +%s%N)
    times+=($(( (e - s) / 1000000 )))
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  echo "process $kind: p50 $(echo "$sorted" | sed -n 10p) ms, max (p95 of 20) $(echo "$sorted" | sed -n 19p) ms"
done

# The tool as a user runs it: `cvmpreserve search` against a directory archive holding the same versions (stub
# manifests, which an index that is current never reads), its index where the tool looks for it. Each query is
# a process: start, the catch-up's listing of the archive and of its journal, the index's open with its checks,
# the search, the printing. BENCH_CLI names the executable (default: out/cli/cvmpreserve, which tools/test.sh
# publishes).
cli=${BENCH_CLI:-$here/../out/cli/cvmpreserve}
if [ ! -x "$cli" ]; then
  echo "search bench: $cli is not there: the tool's own figures are skipped (publish it, or set BENCH_CLI)" >&2
  exit 0
fi
"${bench[@]}" archive "$work/index" "$work/archive" "$work/cache/cvmpreserve/index" >/dev/null
export XDG_CACHE_HOME=$work/cache
# A directory's change token is withheld for 3 s after it changes (docs/ARCHITECTURE.md, "Following the
# archive"): the archive was just made, so the first searches after those seconds list it and record the tokens.
sleep 4
for first in 1 2 3; do
  s=$(date +%s%N); "$cli" search --archive "$work/archive" --json 'experiment:ALEPH' >/dev/null; e=$(date +%s%N)
  echo "tool, search $first after the archive was made (lists the capsules, then the journal, recording their tokens): $(( (e - s) / 1000000 )) ms"
done
mapfile -t paths < "$work/index.paths"
experiments=(ALEPH DELPHI CMS OPAL H1)
# BASELINE_CLI=<an older build> also times that build on the same queries, the two taking turns query by query
# (on a shared machine, only figures taken in turn compare). Both use the same index: it must be of the schema
# both builds write (an index of another schema is rebuilt, and the comparison is then of rebuilds).
builds=("$cli")
[ -n "${BASELINE_CLI:-}" ] && builds+=("$BASELINE_CLI")
# TOOL_RUNS processes of each kind and build (default 100: enough for a 99th percentile that is not the maximum).
runs=${TOOL_RUNS:-100}
# Round by round: each round runs one query of every kind (and of every build), so that a burst of the machine's
# noise (a shared VM) spreads over the kinds instead of landing on whichever kind ran during it.
kinds=(fielded freetext package package-all file-exact file-glob path-lucene cvmfs everything)
unset times
declare -A times=()
for i in $(seq 1 "$runs"); do
  for kind in "${kinds[@]}"; do
    case $kind in
      fielded) q=(search "experiment:${experiments[i % 5]} AND os.version:$((4 + i % 3))*") ;;
      freetext) q=(search "legacy ntuple") ;;
      package) q=(search --package 'openssl<0.9.8e') ;;
      package-all) q=(search --package 'openssl<1:1.1.1' --all-versions) ;;
      file-exact) q=(search --file "${paths[i % ${#paths[@]}]}" --all-versions) ;;
      file-glob) q=(search --file "/data/*-$((i % (n / 10)))/run*.dat" --all-versions) ;;
      path-lucene) q=(search "path.segment:$(basename "${paths[i % ${#paths[@]}]}")") ;;
      cvmfs) q=(search --cvmfs "sft.cern.ch@$((4000 + i * 37 % 1000))" --all-versions) ;;
      everything) q=(search --all-versions) ;;
    esac
    for b in "${!builds[@]}"; do
      s=$(date +%s%N); "${builds[b]}" "${q[@]}" --archive "$work/archive" --json >/dev/null; e=$(date +%s%N)
      times[$kind/$b]+="$(( (e - s) / 100000 )) "
    done
  done
done
for kind in "${kinds[@]}"; do
  for b in "${!builds[@]}"; do
    sorted=$(printf '%s\n' ${times[$kind/$b]} | sort -n)
    name=$([ "$b" = 0 ] && echo tool || echo "baseline")
    at() { echo "$sorted" | sed -n "$(( ($1 * runs + 99) / 100 ))p" | sed 's/.$/.&/'; }
    echo "$name $kind: p50 $(at 50) ms, p95 $(at 95) ms, p99 $(at 99) ms, max $(at 100) ms ($runs runs)"
  done
done
