#!/usr/bin/env bash
# Benchmark: cvmpreserve side by side with tar+zstd, restic and borg on the same tree, in one run.
#   bench/run.sh [TREE]     (default: a debootstrap minbase bookworm tree, made once and cached)
#   BENCH_CLI=/path/to/cvmpreserve bench/run.sh            measures that build instead of publishing this tree
#   BASELINE_CLI=/path/to/older/cvmpreserve bench/run.sh    also runs an older build, interleaved with the
#                           new one in every round, to judge a change on the same machine in the same hour
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

if [[ -n ${BENCH_CLI:-} ]]; then
  cli=$BENCH_CLI                # an already published build
else
  dotnet publish src/CernVM.Preserve.Cli -c Release -o out/cli -nologo -v quiet
  cli=$PWD/out/cli/cvmpreserve
fi
rm -rf "$work" && mkdir -p "$work"
# Restores go to a tmpfs: on a disk, the cost of creating files after thousands were just deleted (ext4
# discard, journal) varies by a factor of five from run to run and would decide the result, for every tool.
restores=$work/restores
mkdir -p "$restores"
mount -t tmpfs -o size=2g tmpfs "$restores"
trap 'umount "$restores" 2>/dev/null || true' EXIT
export RESTIC_PASSWORD=bench BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes

# measure NAME CMD...: runs CMD once (after a `prepare_NAME` hook if defined), appends its wall time, its CPU
# time (user + system) and max RSS. Before each run the machine is brought to the same state (bench/settle.sh).
source bench/settle.sh
declare -A times cpus rss
measure() {
  local name=$1; shift
  if declare -F prepare_$name >/dev/null; then prepare_$name; fi
  settle "$tree"
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
  read -r t u s m < "$work/time"
  times[$name]+="$t "
  cpus[$name]+="$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') "
  ((m > ${rss[$name]:-0})) && rss[$name]=$m
  return 0
}
median() { printf '%s\n' $1 | sort -n | sed -n "$(((RUNS + 1) / 2))p"; }
spread() { printf '%s\n' $1 | sort -n | sed -n '1p;$p' | paste -sd- ; }

# tar + zstd -T2 -3: no incremental mode, so "unchanged" is a full run again.
prepare_tar_cold() { rm -f "$work/x.tar.zst"; }
prepare_tar_restore() { rm -rf "$restores/r-tar" && mkdir "$restores/r-tar"; }
prepare_tarsha_cold() { rm -f "$work/x3.tar.zst"; }
prepare_tarsync_cold() { rm -f "$work/x4.tar.zst"; }
prepare_tarsha_restore() { rm -rf "$restores/r-tarsha" && mkdir "$restores/r-tarsha"; }
prepare_restic_cold() { rm -rf "$work/restic" && restic init -q -r "$work/restic" >/dev/null; }
prepare_restic_restore() { rm -rf "$restores/r-restic"; }
prepare_borg_cold() { rm -rf "$work/borg" && borg init -e none "$work/borg"; }
prepare_borg_restore() { rm -rf "$restores/r-borg" && mkdir "$restores/r-borg"; }
prepare_cvm_cold() { rm -rf "$work/cvm" && "$cli" init "$work/cvm" >/dev/null; }
prepare_cvm_restore() { rm -rf "$restores/r-cvm"; }

# One tool's three measurements. The order of the tools rotates from round to round, so that no tool always
# runs right after the same other one (each inherits the machine state its predecessor leaves: caches,
# write-back, a CPU's clock), and the tools take turns, so a machine whose speed drifts during the run (a
# shared host) slows every tool alike instead of deciding the ratios.
run_tar() {
  measure tar_cold sh -c "tar -C '$tree' -cf - . | zstd -T2 -3 -q > '$work/x.tar.zst'"
  measure tar_unchanged sh -c "tar -C '$tree' -cf - . | zstd -T2 -3 -q > '$work/x2.tar.zst'"
  measure tar_restore sh -c "zstd -dc '$work/x.tar.zst' | tar -C '$restores/r-tar' -x"
  # The same archive made durable, as restic, borg and cvmpreserve make theirs before they finish (each
  # fsyncs what it wrote): the 85 MB tar+zstd leaves dirty in the page cache are otherwise written back after
  # its clock stopped. Reported beside the target, not instead of it.
  measure tarsync_cold sh -c "tar -C '$tree' -cf - . | zstd -T2 -3 -q > '$work/x4.tar.zst' && sync '$work/x4.tar.zst'"
  # The least work any tool that names content by SHA-256 must do: tar+zstd with one SHA-256 pass over the
  # same bytes beside it, in the same pipeline (the baseline of the targets on a processor without SHA
  # extensions, where that pass costs as much as tar+zstd's whole run).
  measure tarsha_cold bash -c "tar -C '$tree' -cf - . | tee >(openssl dgst -sha256 >/dev/null) | zstd -T2 -3 -q > '$work/x3.tar.zst'"
  measure tarsha_restore bash -c "zstd -dc '$work/x.tar.zst' | tee >(openssl dgst -sha256 >/dev/null) | tar -C '$restores/r-tarsha' -x"
}
run_restic() {
  measure restic_cold restic -q -r "$work/restic" backup --no-cache "$tree"
  measure restic_unchanged restic -q -r "$work/restic" backup --no-cache "$tree"
  measure restic_restore restic -q -r "$work/restic" restore latest --target "$restores/r-restic"
}
run_borg() {
  measure borg_cold borg create --compression zstd,3 "$work/borg::cold" "$tree"
  measure borg_unchanged borg create --compression zstd,3 "$work/borg::u-{now:%Y%m%dT%H%M%S.%f}" "$tree"
  last_borg=$(borg list --short "$work/borg" | tail -1)
  measure borg_restore sh -c "cd '$restores/r-borg' && borg extract '$work/borg::$last_borg'"
}
run_cvm() {
  measure cvm_cold "$cli" snapshot --archive "$work/cvm" --rootfs "$tree" --name bench
  measure cvm_unchanged "$cli" snapshot --archive "$work/cvm" --rootfs "$tree" --name bench
  measure cvm_restore "$cli" restore --archive "$work/cvm" bench --to "$restores/r-cvm"
}
run_cvmold() {
  measure cvmold_cold "$BASELINE_CLI" snapshot --archive "$work/cvmold" --rootfs "$tree" --name bench
  measure cvmold_unchanged "$BASELINE_CLI" snapshot --archive "$work/cvmold" --rootfs "$tree" --name bench
  measure cvmold_restore "$BASELINE_CLI" restore --archive "$work/cvmold" bench --to "$restores/r-cvmold"
}
prepare_cvmold_cold() { rm -rf "$work/cvmold" && "$BASELINE_CLI" init "$work/cvmold" >/dev/null; }
prepare_cvmold_restore() { rm -rf "$restores/r-cvmold"; }
tools=(tar restic borg cvm)
[[ -n ${BASELINE_CLI:-} ]] && tools+=(cvmold)
for ((round = 1; round <= RUNS; round++)); do
  order=()
  for ((i = 0; i < ${#tools[@]}; i++)); do order+=("${tools[(i + round - 1) % ${#tools[@]}]}"); done
  echo "round $round of $RUNS: ${order[*]}" >&2
  # One SHA-256 pass over the tree's bytes, on one core, by OpenSSL (what .NET hashes with on Linux): what
  # naming every blob and file by SHA-256 costs on this processor (FORMAT.md §4); tar+zstd hashes nothing.
  measure sha_pass sh -c "tar -C '$tree' -cf - . | openssl dgst -sha256"
  for t in "${order[@]}"; do "run_$t"; done
done

declare -A wall cpu range
for name in "${!times[@]}"; do
  wall[$name]=$(median "${times[$name]}"); cpu[$name]=$(median "${cpus[$name]}"); range[$name]=$(spread "${times[$name]}")
  rss[$name]=$((rss[$name] / 1024))
done
size_tar=$(stat -c %s "$work/x.tar.zst")
size_restic=$(du -sb "$work/restic" | cut -f1)
size_borg=$(du -sb "$work/borg" | cut -f1)
size_cvm=$(du -sb "$work/cvm" | cut -f1)
if grep -qw sha_ni /proc/cpuinfo; then sha_ext=yes; sha="with SHA extensions"; else sha_ext=no; sha="without SHA extensions"; fi
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)

files=$(find "$tree" -type f | wc -l); bytes=$(du -sb "$tree" | cut -f1)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
holds() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? "yes" : "no" }'; }
mb() { awk -v a="$1" 'BEGIN { printf "%.1f MB", a / 1000000 }'; }
cell() { echo "${wall[$1]} s (${range[$1]}; CPU ${cpu[$1]} s)"; }
# The targets against tar depend on the processor: where SHA-256 has no hardware support, one pass over the
# tree costs about as much as tar+zstd's whole run, so the baseline is tar+zstd with that pass beside it.
if [[ $sha_ext == yes ]]; then
  base_cold=tar_cold; base_restore=tar_restore; base_name="tar+zstd"; base_restore_name="zstd -dc \\| tar -x"
else
  base_cold=tarsha_cold; base_restore=tarsha_restore; base_name="tar+zstd with a SHA-256 pass beside it"
  base_restore_name="zstd -dc \\| tar -x with a SHA-256 pass beside it"
fi
cat <<TABLE
Tree: $(basename "$tree") — $files files, $(mb "$bytes"); $(nproc) cores ($cpu_model, $sha); median of $RUNS rounds (lowest-highest; median CPU time, user + system), the tools taking turns in a rotating order, each run started with the tree in the page cache and no write-back in flight; archives on disk, restores into a tmpfs. One SHA-256 pass over the tree's bytes (\`tar | openssl dgst -sha256\`, one core): ${wall[sha_pass]} s.

| tool | cold snapshot | unchanged snapshot | restore | archive size | peak memory (cold) |
|---|---|---|---|---|---|
| tar + zstd -T2 -3 | $(cell tar_cold) | $(cell tar_unchanged) (full again) | $(cell tar_restore) | $(mb "$size_tar") | ${rss[tar_cold]} MB |
| tar + zstd, SHA-256 pass beside | $(cell tarsha_cold) | | $(cell tarsha_restore) | | |
| tar + zstd, then \`sync\` of its file (durable) | $(cell tarsync_cold) | | | | |
| restic $(restic version | awk '{print $2}') | $(cell restic_cold) | $(cell restic_unchanged) | $(cell restic_restore) | $(mb "$size_restic") | ${rss[restic_cold]} MB |
| borg $(borg --version | awk '{print $2}') (zstd,3) | $(cell borg_cold) | $(cell borg_unchanged) | $(cell borg_restore) | $(mb "$size_borg") | ${rss[borg_cold]} MB |
| cvmpreserve | $(cell cvm_cold) | $(cell cvm_unchanged) | $(cell cvm_restore) | $(mb "$size_cvm") | ${rss[cvm_cold]} MB |

Targets for a processor $sha:

| target | measured | holds |
|---|---|---|
| cold snapshot ≤ $base_name | $(ratio "${wall[cvm_cold]}" "${wall[$base_cold]}") × | $(holds "${wall[cvm_cold]}" "${wall[$base_cold]}") |
| (the same against tar+zstd made durable, as every other tool's archive is) | $(ratio "${wall[cvm_cold]}" "${wall[tarsync_cold]}") × | $(holds "${wall[cvm_cold]}" "${wall[tarsync_cold]}") |
| restore ≤ $base_restore_name | $(ratio "${wall[cvm_restore]}" "${wall[$base_restore]}") × | $(holds "${wall[cvm_restore]}" "${wall[$base_restore]}") |
| cold snapshot ≤ ½ restic | $(ratio "${wall[cvm_cold]}" "${wall[restic_cold]}") × restic | $(awk -v a="${wall[cvm_cold]}" -v b="${wall[restic_cold]}" 'BEGIN { print (a <= b / 2) ? "yes" : "no" }') |
| unchanged snapshot ≤ ½ borg | $(ratio "${wall[cvm_unchanged]}" "${wall[borg_unchanged]}") × borg | $(awk -v a="${wall[cvm_unchanged]}" -v b="${wall[borg_unchanged]}" 'BEGIN { print (a <= b / 2) ? "yes" : "no" }') |
| archive ≤ 1.05 × tar.zst | $(ratio "$size_cvm" "$size_tar") × tar.zst | $(awk -v a="$size_cvm" -v b="$size_tar" 'BEGIN { print (a <= b * 1.05) ? "yes" : "no" }') |
TABLE

if [[ -n ${BASELINE_CLI:-} ]]; then
  cat <<TABLE

Against the baseline build, in the same rounds:

| build | cold snapshot | unchanged snapshot | restore |
|---|---|---|---|
| baseline | $(cell cvmold_cold) | $(cell cvmold_unchanged) | $(cell cvmold_restore) |
| this build | $(cell cvm_cold) | $(cell cvm_unchanged) | $(cell cvm_restore) |
| ratio (this / baseline) | $(ratio "${wall[cvm_cold]}" "${wall[cvmold_cold]}") × | $(ratio "${wall[cvm_unchanged]}" "${wall[cvmold_unchanged]}") × | $(ratio "${wall[cvm_restore]}" "${wall[cvmold_restore]}") × |
TABLE
fi
