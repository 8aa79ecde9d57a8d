#!/usr/bin/env bash
# Two builds' cold snapshots beside tar+zstd, taken in turn: the quick way to judge a change on a machine whose speed
# drifts (bench/run.sh is the full comparison).
#   bench/ab.sh N OLD_CLI NEW_CLI [TREE]     (default tree: the one bench/run.sh makes and caches)
# Each round runs `tar | zstd -T2 -3`, OLD and NEW in a rotating order, each started as bench/run.sh starts its
# tools (bench/settle.sh). Prints every run and the medians of wall and CPU time.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:?rounds}; old=${2:?old build}; new=${3:?new build}
tree=${4:-${CVMPRESERVE_TEST_CACHE:-/var/tmp/cvmpreserve-test-cache}/debootstrap-bookworm}
[[ -d $tree ]] || { echo "no tree at $tree (run bench/run.sh once, or name one)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/var/tmp}/cvmpreserve-ab.XXXXXX")
trap 'rm -rf "$work"' EXIT

source bench/settle.sh
run() {
  local name=$1
  case $name in
    tar) rm -f "$work/x.tar.zst"; settle "$tree"
         /usr/bin/time -f "%e %U %S" -o "$work/time" sh -c "tar -C '$tree' -cf - . | zstd -T2 -3 -q > '$work/x.tar.zst'" ;;
    *)   local cli=$old; [[ $name == new ]] && cli=$new
         rm -rf "$work/archive"; "$cli" init "$work/archive" >/dev/null; settle "$tree"
         /usr/bin/time -f "%e %U %S" -o "$work/time" "$cli" snapshot --archive "$work/archive" --rootfs "$tree" --name ab >/dev/null 2>"$work/stderr" \
           || { cat "$work/stderr" >&2; exit 1; } ;;
  esac
  read -r e u s < "$work/time"
  echo "$name $e $(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')"
}
tools=(tar old new)
for ((r = 0; r < n; r++)); do
  for ((k = 0; k < 3; k++)); do run "${tools[(k + r) % 3]}"; done
done | tee "$work/runs" >&2
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for t in tar old new; do
  w=$(awk -v t=$t '$1 == t { print $2 }' "$work/runs" | median); c=$(awk -v t=$t '$1 == t { print $3 }' "$work/runs" | median)
  echo "$t: wall $w s, CPU $c s (medians of $n)"
done
