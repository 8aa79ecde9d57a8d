#!/usr/bin/env bash
# Runs fuzz targets one after another, each for SECONDS, and keeps one line of AFL's figures per run in
# out/fuzz/campaign.tsv (docs/security.md, Campaigns, is written from it).
#   tools/fuzz-campaign.sh SECONDS TARGET...     e.g. tools/fuzz-campaign.sh 1200 tar image bdb
#   tools/fuzz-campaign.sh SECONDS --all         every target, in the order of `tools/fuzz.sh --list`
# AFL resumes each target from out/fuzz/TARGET, so a second campaign continues the first; the figures per
# line are that run's (AFL's stats of the resumed session).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: tools/fuzz-campaign.sh SECONDS TARGET... | --all}
shift
if [[ ${1:-} == --all ]]; then
  mapfile -t targets < <(tools/fuzz.sh --list | awk '{print $1}')
else
  targets=("$@")
fi
((${#targets[@]} > 0)) || { echo "no target given (tools/fuzz.sh --list)" >&2; exit 2; }
log=out/fuzz/campaign.tsv
mkdir -p out/fuzz
[[ -f $log ]] || printf 'started\ttarget\tseconds\texecs_done\texecs_per_sec\tcorpus_count\tbitmap_cvg\tsaved_crashes\tsaved_hangs\n' > "$log"
for t in "${targets[@]}"; do
  started=$(date -u +%Y-%m-%dT%H:%MZ)
  echo "== $t for $seconds s (from $started)"
  status=0
  tools/fuzz.sh "$t" "$seconds" > "out/fuzz/$t.campaign.txt" 2>&1 || status=$?
  cat "out/fuzz/$t.campaign.txt"
  stats=out/fuzz/$t/default/fuzzer_stats
  if [[ ! -f $stats ]]; then
    printf '%s\t%s\t%s\tfailed (exit %s)\n' "$started" "$t" "$seconds" "$status" >> "$log"
    continue
  fi
  row=$started$'\t'$t
  for k in run_time execs_done execs_per_sec corpus_count bitmap_cvg saved_crashes saved_hangs; do
    row+=$'\t'$(sed -n "s/^$k *: //p" "$stats")
  done
  printf '%s\n' "$row" >> "$log"
done
