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

# Both repositories are read from the page cache in every run: the figure is the tools' work, not the disk's.
warm() { find "$work/archive" "$work/restic" -type f -exec cat {} + >/dev/null; }
now() { date +%s.%N; }
declare -a ta tr
for ((i = 0; i < RUNS; i++)); do
  for tool in $( ((i % 2)) && echo "restic cvm" || echo "cvm restic"); do
    warm
    s=$(now)
    if [[ $tool == cvm ]]; then
      "$cli" audit --deep --json --archive "$work/archive" >"$work/audit.json"
      ta+=("$(echo "$(now) - $s" | bc)")
    else
      restic check -q --read-data -r "$work/restic" >/dev/null
      tr+=("$(echo "$(now) - $s" | bc)")
    fi
  done
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
audit=$(median "${ta[@]}"); restic=$(median "${tr[@]}")

# The machine's limit: what one core does per second (OpenSSL's SHA-256 on 16 KiB blocks; zstd's own
# decompression benchmark at the archive's level on a tar of the tree), both cores working.
cores=$(nproc)
bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["coverage"]["bytesChecked"])' "$work/audit.json")
sha=$(openssl speed -evp sha256 -bytes 16384 -seconds 3 2>/dev/null | awk '/^sha256/ {v=$NF; sub(/k$/, "", v); print v * 1000}')
tar -C "$tree" -cf "$work/tree.tar" .
zdec=$(zstd -b3 -e3 -i3 "$work/tree.tar" 2>&1 | tr '\r' '\n' | awk '/MB\/s/ {for (i = 1; i <= NF; i++) if ($i == "MB/s,") c = $(i-1); else if ($i == "MB/s") d = $(i-1)} END {print d * 1000000}')
limit=$(echo "scale=3; ($bytes / $sha + $bytes / $zdec) / $cores" | bc)
# The format's own floor: a deep audit hashes the bytes of a file held in pieces twice (each chunk's id, then the
# file's content id) and those of a bundled file twice (the bundle's id, then the file's), FORMAT.md §4.1 and §6.3.
# Those bytes, from the tree catalog read with sqlite3 as the recovery by hand reads it (each distinct content once).
catalog=$(sed -n 's/.*"catalog": "\([0-9a-f]*\)".*/\1/p' "$work/archive/capsules/minbase/v1/manifest.json")
zstd -q -dc "$work/archive/blobs/sha256/${catalog:0:2}/$catalog" >"$work/catalog.db"
again=$(sqlite3 "$work/catalog.db" "WITH per AS (SELECT entry, count(*) AS n FROM extents GROUP BY entry),
  pb AS (SELECT blob, count(DISTINCT entry) AS f FROM extents GROUP BY blob)
  SELECT coalesce(sum(size), 0) FROM (SELECT DISTINCT e.content, e.size FROM entries e JOIN extents x ON x.entry = e.id
    JOIN per ON per.entry = e.id JOIN pb ON pb.blob = x.blob WHERE per.n > 1 OR pb.f > 1)")
floor=$(echo "scale=3; (($bytes + $again) / $sha + $bytes / $zdec) / $cores" | bc)

printf '| tree | %s (%s bytes re-hashed) |\n|---|---|\n' "$(basename "$tree")" "$bytes"
printf '| `cvmpreserve audit --deep` | %.2f s |\n' "$audit"
printf '| `restic check --read-data` | %.2f s |\n' "$restic"
printf '| ratio audit / restic | %.2f (target ≤ 0.5) |\n' "$(echo "$audit / $restic" | bc -l)"
printf '| machine limit (zstd -d + SHA-256 of every byte on %d cores: SHA-256 %.0f MB/s, zstd -d %.0f MB/s per core) | %.2f s |\n' "$cores" "$(echo "$sha / 1000000" | bc -l)" "$(echo "$zdec / 1000000" | bc -l)" "$limit"
printf '| audit at %% of the limit | %.0f%% (target ≥ 60%%) |\n' "$(echo "100 * $limit / $audit" | bc -l)"
printf '| the format'"'"'s floor (the limit, and a SHA-256 pass more over the %s bytes of files held in pieces or bundled) | %.2f s (%.0f%% of the limit) |\n' "$again" "$floor" "$(echo "100 * $limit / $floor" | bc -l)"
printf '| audit at %% of the floor | %.0f%% |\n' "$(echo "100 * $floor / $audit" | bc -l)"
printf '| runs | %s (audit: %s; restic: %s) |\n' "$RUNS" "${ta[*]}" "${tr[*]}"
