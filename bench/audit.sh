#!/usr/bin/env bash
# Benchmark of the audit: `cvmpreserve audit --deep` against `restic check --read-data` on a restic repository
# of the same tree, in one run, tools taking turns round by round; and against the machine's limit for the
# work a deep audit must do: zstd-decompress every blob and SHA-256 every byte, on every core.
#   bench/audit.sh [TREE]   (default: the debootstrap minbase bookworm tree bench/run.sh makes and caches)
#   BENCH_CLI=/path/to/cvmpreserve bench/audit.sh    measures that build instead of publishing this tree
# Prints a Markdown table for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
work=${BENCH_WORK:-/var/tmp/cvmpreserve-bench-audit}
cache=${CVMPRESERVE_TEST_CACHE:-/var/tmp/cvmpreserve-test-cache}
tree=${1:-$cache/debootstrap-bookworm}
[[ -d $tree ]] || { echo "no tree at $tree: run bench/run.sh once (it makes the debootstrap tree) or name one" >&2; exit 2; }
for c in restic zstd openssl sqlite3; do command -v "$c" >/dev/null || { echo "$c is not installed" >&2; exit 2; }; done

if [[ -n ${BENCH_CLI:-} ]]; then
  cli=$BENCH_CLI
else
  dotnet publish src/CernVM.Preserve.Cli -c Release -o out/cli -nologo -v quiet
  cli=$PWD/out/cli/cvmpreserve
fi
rm -rf "$work" && mkdir -p "$work"
export RESTIC_PASSWORD=bench
"$cli" init "$work/archive" >/dev/null
"$cli" snapshot --rootfs "$tree" --name minbase --archive "$work/archive" >/dev/null
restic init -q -r "$work/restic" >/dev/null
restic backup -q -r "$work/restic" "$tree" >/dev/null

# The machine's limit for the work a deep audit must do, measured in every round beside the two tools (the
# machine's speed drifts within minutes here; a limit taken once, apart, lands in a quiet moment or a slow one
# that the audits did not share) and on every core at once, as the audit runs: OpenSSL's SHA-256 on 16 KiB
# blocks (`openssl speed -multi`, the cores' sum) and zstd's own decompression benchmark on a level-3 tar of
# the tree (`zstd -b -d`, one per core at the same time, summed). Two threads of one physical core count
# as what they do together, not as twice what one does alone.
cores=$(nproc)
tar -C "$tree" -cf "$work/tree.tar" . && zstd -3 -q -T"$cores" --rm "$work/tree.tar"   # a file: its frame records its size
sha_speed() { openssl speed -evp sha256 -bytes 16384 -seconds 1 -multi "$cores" 2>/dev/null | awk '/^sha256/ {v=$NF; sub(/k$/, "", v); printf "%.0f\n", v * 1000}'; }
zdec_speed() {
  local i
  for ((i = 0; i < cores; i++)); do
    zstd -b -d -i1 "$work/tree.tar.zst" 2>&1 | tr '\r' '\n' | awk '/MB\/s/ {v=$(NF-1)} END {printf "%.0f\n", v * 1000000}' &
  done | awk '{s += $1} END {printf "%.0f\n", s}'
  wait
}

# Both repositories are read from the page cache in every run: the figure is the tools' work, not the disk's.
warm() { find "$work/archive" "$work/restic" -type f -exec cat {} + >/dev/null; }
now() { date +%s.%N; }
declare -a ta tr tl ts tz pct
for ((i = 0; i < RUNS; i++)); do
  for tool in $(case $((i % 3)) in 0) echo "cvm restic limit" ;; 1) echo "restic limit cvm" ;; *) echo "limit cvm restic" ;; esac); do
    warm
    s=$(now)
    case $tool in
      cvm)
        "$cli" audit --deep --json --archive "$work/archive" >"$work/audit.json"
        ta+=("$(echo "$(now) - $s" | bc)") ;;
      restic)
        restic check -q --read-data -r "$work/restic" >/dev/null
        tr+=("$(echo "$(now) - $s" | bc)") ;;
      limit)
        ts+=("$(sha_speed)"); tz+=("$(zdec_speed)") ;;
    esac
  done
  bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["coverage"]["bytesChecked"])' "$work/audit.json")
  # The limit of this round: every byte decompressed and hashed once, both speeds being the cores' sum.
  tl+=("$(echo "scale=4; $bytes / ${ts[-1]} + $bytes / ${tz[-1]}" | bc)")
  pct+=("$(echo "scale=2; 100 * ${tl[-1]} / ${ta[-1]}" | bc)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
audit=$(median "${ta[@]}"); restic=$(median "${tr[@]}")
limit=$(median "${tl[@]}"); sha=$(median "${ts[@]}"); zdec=$(median "${tz[@]}"); share=$(median "${pct[@]}")

# The format's own floor: a deep audit hashes the bytes of a file held in pieces twice (each chunk's id, then the
# file's content id) and those of a bundled file twice (the bundle's id, then the file's), FORMAT.md §4.1 and §6.3.
# Those bytes, from the tree catalog read with sqlite3 as the recovery by hand reads it (each distinct content once).
catalog=$(sed -n 's/.*"catalog": "\([0-9a-f]*\)".*/\1/p' "$work/archive/capsules/minbase/v1/manifest.json")
zstd -q -dc "$work/archive/blobs/sha256/${catalog:0:2}/$catalog" >"$work/catalog.db"
again=$(sqlite3 "$work/catalog.db" "WITH per AS (SELECT entry, count(*) AS n FROM extents GROUP BY entry),
  pb AS (SELECT blob, count(DISTINCT entry) AS f FROM extents GROUP BY blob)
  SELECT coalesce(sum(size), 0) FROM (SELECT DISTINCT e.content, e.size FROM entries e JOIN extents x ON x.entry = e.id
    JOIN per ON per.entry = e.id JOIN pb ON pb.blob = x.blob WHERE per.n > 1 OR pb.f > 1)")
floor=$(echo "scale=3; ($bytes + $again) / $sha + $bytes / $zdec" | bc)

printf '| tree | %s (%s bytes re-hashed) |\n|---|---|\n' "$(basename "$tree")" "$bytes"
printf '| `cvmpreserve audit --deep` | %.2f s |\n' "$audit"
printf '| `restic check --read-data` | %.2f s |\n' "$restic"
printf '| ratio audit / restic | %.2f (target ≤ 0.5) |\n' "$(echo "$audit / $restic" | bc -l)"
printf '| machine limit, median of the rounds (zstd -d + SHA-256 of every byte, all %d cores at once: SHA-256 %.0f MB/s, zstd -d %.0f MB/s, the cores together) | %.3f s |\n' "$cores" "$(echo "$sha / 1000000" | bc -l)" "$(echo "$zdec / 1000000" | bc -l)" "$limit"
printf '| audit at %% of the limit (median of the rounds, each audit against the limit of its own round) | %.0f%% (target ≥ 60%%) |\n' "$share"
printf '| the format'"'"'s floor (the limit, and a SHA-256 pass more over the %s bytes of files held in pieces or bundled) | %.3f s (%.0f%% of the limit) |\n' "$again" "$floor" "$(echo "100 * $limit / $floor" | bc -l)"
printf '| audit at %% of the floor | %.0f%% |\n' "$(echo "100 * $floor / $audit" | bc -l)"
printf '| runs | %s (audit: %s; restic: %s; limit: %s; audit at %% of its round'"'"'s limit: %s) |\n' "$RUNS" "${ta[*]}" "${tr[*]}" "${tl[*]}" "${pct[*]}"
