#!/usr/bin/env bash
# Benchmark: cvmpreserve side by side with tar+zstd, restic and borg on the same tree, in one run.
#   bench/run.sh [TREE]     (default: a debootstrap minbase bookworm tree, made once and cached)
# Measures cold snapshot, unchanged snapshot, restore (wall time, median of RUNS), peak memory, archive
# size; prints a Markdown table with ratios to tar+zstd, and the targets of docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
work=${BENCH_WORK:-/var/tmp/cvmpreserve-bench}
cache=${CVMPRESERVE_TEST_CACHE:-/var/tmp/cvmpreserve-test-cache}

need=()
for c in restic borg zstd debootstrap openssl; do command -v "$c" >/dev/null || need+=("$c"); done
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends restic borgbackup zstd debootstrap time openssl >/dev/null
fi

tree=${1:-}
if [[ -z $tree ]]; then
  tree=$cache/debootstrap-bookworm
  if [[ ! -d $tree ]]; then
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [[ -n $mirror ]] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/debootstrap.XXXXXX")
    debootstrap --variant=minbase bookworm "$tmp/root" "$mirror" >/dev/null
    mv "$tmp/root" "$tree" && rmdir "$tmp"
  fi
fi

dotnet publish src/CernVM.Preserve.Cli -c Release -o out/cli -nologo -v quiet
cli=$PWD/out/cli/cvmpreserve
rm -rf "$work" && mkdir -p "$work"
# Restores go to a tmpfs: on a disk, the cost of creating files after thousands were just deleted (ext4
# discard, journal) varies by a factor of five from run to run and would decide the result, for every tool.
restores=$work/restores
mkdir -p "$restores"
mount -t tmpfs -o size=2g tmpfs "$restores"
trap 'umount "$restores" 2>/dev/null || true' EXIT
export RESTIC_PASSWORD=bench BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes

# measure NAME CMD...: runs CMD once (after a `prepare_NAME` hook if defined), appends its wall time and max RSS.
# The tools take turns round by round (tar, restic, borg, cvmpreserve, then again): a machine whose speed
# drifts during the run (a shared host) then slows every tool alike, instead of deciding the ratios.
declare -A times rss
measure() {
  local name=$1; shift
  if declare -F prepare_$name >/dev/null; then prepare_$name; fi
  sync
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
  read -r t m < "$work/time"
  times[$name]+="$t "
  ((m > ${rss[$name]:-0})) && rss[$name]=$m
  return 0
}
median() { printf '%s\n' ${times[$1]} | sort -n | sed -n "$(((RUNS + 1) / 2))p"; }

# tar + zstd -T2 -3: no incremental mode, so "unchanged" is a full run again.
prepare_tar_cold() { rm -f "$work/x.tar.zst"; }
prepare_tar_restore() { rm -rf "$restores/r-tar" && mkdir "$restores/r-tar"; }
prepare_restic_cold() { rm -rf "$work/restic" && restic init -q -r "$work/restic" >/dev/null; }
prepare_restic_restore() { rm -rf "$restores/r-restic"; }
prepare_borg_cold() { rm -rf "$work/borg" && borg init -e none "$work/borg"; }
prepare_borg_restore() { rm -rf "$restores/r-borg" && mkdir "$restores/r-borg"; }
prepare_cvm_cold() { rm -rf "$work/cvm" && "$cli" init "$work/cvm" >/dev/null; }
prepare_cvm_restore() { rm -rf "$restores/r-cvm"; }

for ((round = 1; round <= RUNS; round++)); do
  echo "round $round of $RUNS" >&2
  # One SHA-256 pass over the tree's bytes, on one core, by OpenSSL (what .NET hashes with on Linux): what
  # naming every blob and file by SHA-256 costs on this processor (FORMAT.md §4); tar+zstd hashes nothing.
  measure sha_pass sh -c "tar -C '$tree' -cf - . | openssl dgst -sha256"

  measure tar_cold sh -c "tar -C '$tree' -cf - . | zstd -T2 -3 -q > '$work/x.tar.zst'"
  measure tar_unchanged sh -c "tar -C '$tree' -cf - . | zstd -T2 -3 -q > '$work/x2.tar.zst'"
  measure tar_restore sh -c "zstd -dc '$work/x.tar.zst' | tar -C '$restores/r-tar' -x"

  measure restic_cold restic -q -r "$work/restic" backup --no-cache "$tree"
  measure restic_unchanged restic -q -r "$work/restic" backup --no-cache "$tree"
  measure restic_restore restic -q -r "$work/restic" restore latest --target "$restores/r-restic"

  measure borg_cold borg create --compression zstd,3 "$work/borg::cold" "$tree"
  measure borg_unchanged borg create --compression zstd,3 "$work/borg::u-{now:%Y%m%dT%H%M%S.%f}" "$tree"
  last_borg=$(borg list --short "$work/borg" | tail -1)
  measure borg_restore sh -c "cd '$restores/r-borg' && borg extract '$work/borg::$last_borg'"

  measure cvm_cold "$cli" snapshot --archive "$work/cvm" --rootfs "$tree" --name bench
  measure cvm_unchanged "$cli" snapshot --archive "$work/cvm" --rootfs "$tree" --name bench
  measure cvm_restore "$cli" restore --archive "$work/cvm" bench --to "$restores/r-cvm"
done

declare -A wall
for name in "${!times[@]}"; do wall[$name]=$(median "$name"); rss[$name]=$((rss[$name] / 1024)); done
size_tar=$(stat -c %s "$work/x.tar.zst")
size_restic=$(du -sb "$work/restic" | cut -f1)
size_borg=$(du -sb "$work/borg" | cut -f1)
size_cvm=$(du -sb "$work/cvm" | cut -f1)
sha=$(grep -qw sha_ni /proc/cpuinfo && echo "with SHA extensions" || echo "without SHA extensions")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)

files=$(find "$tree" -type f | wc -l); bytes=$(du -sb "$tree" | cut -f1)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mb() { awk -v a="$1" 'BEGIN { printf "%.1f MB", a / 1000000 }'; }
cat <<TABLE
Tree: $(basename "$tree") — $files files, $(mb "$bytes"); $(nproc) cores ($cpu, $sha); median of $RUNS rounds, the tools taking turns; warm page cache; archives on disk, restores into a tmpfs. One SHA-256 pass over the tree's bytes (\`tar | openssl dgst -sha256\`, one core): ${wall[sha_pass]} s.

| tool | cold snapshot | unchanged snapshot | restore | archive size | peak memory (cold) |
|---|---|---|---|---|---|
| tar + zstd -T2 -3 | ${wall[tar_cold]} s | ${wall[tar_unchanged]} s (full again) | ${wall[tar_restore]} s | $(mb "$size_tar") | ${rss[tar_cold]} MB |
| restic $(restic version | awk '{print $2}') | ${wall[restic_cold]} s | ${wall[restic_unchanged]} s | ${wall[restic_restore]} s | $(mb "$size_restic") | ${rss[restic_cold]} MB |
| borg $(borg --version | awk '{print $2}') (zstd,3) | ${wall[borg_cold]} s | ${wall[borg_unchanged]} s | ${wall[borg_restore]} s | $(mb "$size_borg") | ${rss[borg_cold]} MB |
| cvmpreserve | ${wall[cvm_cold]} s | ${wall[cvm_unchanged]} s | ${wall[cvm_restore]} s | $(mb "$size_cvm") | ${rss[cvm_cold]} MB |

| target | measured | holds |
|---|---|---|
| cold snapshot ≤ tar+zstd | $(ratio "${wall[cvm_cold]}" "${wall[tar_cold]}") × tar+zstd | $(awk -v a="${wall[cvm_cold]}" -v b="${wall[tar_cold]}" 'BEGIN { print (a <= b) ? "yes" : "no" }') |
| cold snapshot ≤ ½ restic | $(ratio "${wall[cvm_cold]}" "${wall[restic_cold]}") × restic | $(awk -v a="${wall[cvm_cold]}" -v b="${wall[restic_cold]}" 'BEGIN { print (a <= b / 2) ? "yes" : "no" }') |
| unchanged snapshot ≤ ½ borg | $(ratio "${wall[cvm_unchanged]}" "${wall[borg_unchanged]}") × borg | $(awk -v a="${wall[cvm_unchanged]}" -v b="${wall[borg_unchanged]}" 'BEGIN { print (a <= b / 2) ? "yes" : "no" }') |
| restore ≤ zstd -dc \| tar -x | $(ratio "${wall[cvm_restore]}" "${wall[tar_restore]}") × tar | $(awk -v a="${wall[cvm_restore]}" -v b="${wall[tar_restore]}" 'BEGIN { print (a <= b) ? "yes" : "no" }') |
| archive ≤ 1.05 × tar.zst | $(ratio "$size_cvm" "$size_tar") × tar.zst | $(awk -v a="$size_cvm" -v b="$size_tar" 'BEGIN { print (a <= b * 1.05) ? "yes" : "no" }') |
TABLE
