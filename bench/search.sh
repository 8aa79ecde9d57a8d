#!/usr/bin/env bash
# On demand, not in CI: the search index over N synthetic capsule versions (default 10,000; about 500 packages
# and 20,000 paths each, drawn from this machine's dpkg database): full build, update after one new version,
# size, and query latency p50/p99 per kind, in-process (cold: open + check + search, as a command does after
# listing the archive; warm: one reader) and as a process per query. Run it niced on a shared machine:
#   nice -n 19 bench/search.sh [N] [ITERATIONS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-10000}
iterations=${2:-100}
work=$(mktemp -d "${TMPDIR:-/tmp}/cvmp-search-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "search bench: publishing the bench program as Native AOT, as the tool is (about two minutes)" >&2
dotnet publish "$here/search/SearchBench.csproj" -c Release -nologo -v quiet -o "$work/bin" >/dev/null
bench=("$work/bin/SearchBench")
echo "search bench: indexing $n versions (the long step: minutes per thousand)" >&2
build=$("${bench[@]}" build "$work/index" "$n")
echo "build: $build"
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
