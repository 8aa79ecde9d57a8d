#!/usr/bin/env bash
# Benchmark: cvmpreserve snapshot into an S3 archive side by side with `aws s3 sync` of the same tree to the
# same gateway (a one-node Ceph RGW started here by tools/ceph-rgw.sh, stopped at the end).
#   bench/s3.sh [TREE]     (default: the debootstrap minbase bookworm tree that bench/run.sh caches)
# Measures, median of RUNS: cold run (into a new prefix) and unchanged re-run: wall time, requests the gateway
# served (its access log), bytes stored (radosgw-admin bucket stats). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
work=${BENCH_WORK:-/var/tmp/cvmpreserve-bench-s3}
cache=${CVMPRESERVE_TEST_CACHE:-/var/tmp/cvmpreserve-test-cache}
PORT=${BENCH_RGW_PORT:-47480}
MONPORT=${BENCH_RGW_MONPORT:-47490}
AWS=/usr/bin/aws    # awscli 2 from Debian; an `aws` earlier on PATH may be another version

tree=${1:-}
if [[ -z $tree ]]; then
  tree=$cache/debootstrap-bookworm
  if [[ ! -d $tree ]]; then
    command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [[ -n $mirror ]] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/debootstrap.XXXXXX")
    debootstrap --variant=minbase bookworm "$tmp/root" "$mirror" >/dev/null
    mv "$tmp/root" "$tree" && rmdir "$tmp"
  fi
fi

tools/install-test-deps.sh
dotnet publish src/CernVM.Preserve.Cli -c Release -o out/cli -nologo -v quiet
cli=$PWD/out/cli/cvmpreserve
rm -rf "$work" && mkdir -p "$work"
endpoint=$(tools/ceph-rgw.sh start "$work/rgw" "$PORT" "$MONPORT")
trap 'tools/ceph-rgw.sh stop "$work/rgw"' EXIT
set -a; . "$work/rgw/credentials"; set +a
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL=$endpoint
rgwlog=$work/rgw/log/client.rgw.a.log
conf=$work/rgw/ceph.conf
$AWS --endpoint-url "$endpoint" s3api create-bucket --bucket bench >/dev/null

requests() { grep -c ' beast: ' "$rgwlog" || true; }
stored() { radosgw-admin -c "$conf" bucket stats --bucket bench 2>/dev/null | python3 -c 'import json,sys; u=json.load(sys.stdin)["usage"]; print(sum(v.get("size",0) for v in u.values()))'; }

# measure NAME 'COMMAND': runs COMMAND (eval'd, so it sees $run) RUNS times after `prepare_NAME`; records the
# median wall time, requests the gateway served and bytes it stored.
declare -A wall reqs bytes
run=0
measure() {
  local name=$1 cmd=$2
  local times=() rs=() bs=()
  for ((i = 0; i < RUNS; i++)); do
    run=$((run + 1))
    if declare -F "prepare_$name" >/dev/null; then "prepare_$name"; fi
    sync
    local r0 b0 t0 t1 rc=0
    r0=$(requests); b0=$(stored)
    t0=$(date +%s.%N)
    eval "$cmd" >/dev/null 2>"$work/stderr" || rc=$?
    t1=$(date +%s.%N)
    # aws s3 sync exits 2 when it skipped special files (devices, fifos): not a failure here.
    if ((rc != 0)) && ! [[ $rc -eq 2 && $cmd == *"s3 sync"* ]]; then cat "$work/stderr" >&2; exit 1; fi
    sleep 1 # the gateway writes its access log asynchronously
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')"); rs+=($(($(requests) - r0))); bs+=($(($(stored) - b0)))
  done
  local mid=$(((RUNS + 1) / 2))
  wall[$name]=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "${mid}p")
  reqs[$name]=$(printf '%s\n' "${rs[@]}" | sort -n | sed -n "${mid}p")
  bytes[$name]=$(printf '%s\n' "${bs[@]}" | sort -n | sed -n "${mid}p")
}

P=${S3_PARALLEL:-8}
prepare_cvm_cold() { "$cli" init "s3://bench/cvm$run" >/dev/null; }
measure cvm_cold '"$cli" snapshot --rootfs "$tree" --name deb --archive "s3://bench/cvm$run" --s3-parallel $P'
last=$run
measure cvm_unchanged '"$cli" snapshot --rootfs "$tree" --name deb --archive "s3://bench/cvm$last" --s3-parallel $P'
measure aws_cold '$AWS --endpoint-url "$endpoint" s3 sync --only-show-errors --no-follow-symlinks "$tree" "s3://bench/aws$run"'
last=$run
measure aws_unchanged '$AWS --endpoint-url "$endpoint" s3 sync --only-show-errors --no-follow-symlinks "$tree" "s3://bench/aws$last"'

files=$(find "$tree" -type f | wc -l)
size=$(du -sb "$tree" | cut -f1)
mb() { awk -v x="$1" 'BEGIN {printf "%.1f", x / 1000000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo
echo "Tree: $(basename "$tree") ($files regular files, $(mb "$size") MB); gateway: Ceph $(radosgw --version | awk '{print $3}') RGW, memstore OSD, on $endpoint; median of $RUNS runs; cvmpreserve --s3-parallel $P."
echo
echo "| run | tool | wall (s) | requests | bytes stored (MB) |"
echo "|---|---|---:|---:|---:|"
echo "| cold (new prefix) | cvmpreserve snapshot | ${wall[cvm_cold]} | ${reqs[cvm_cold]} | $(mb "${bytes[cvm_cold]}") |"
echo "| cold (new prefix) | aws s3 sync | ${wall[aws_cold]} | ${reqs[aws_cold]} | $(mb "${bytes[aws_cold]}") |"
echo "| unchanged | cvmpreserve snapshot | ${wall[cvm_unchanged]} | ${reqs[cvm_unchanged]} | $(mb "${bytes[cvm_unchanged]}") |"
echo "| unchanged | aws s3 sync | ${wall[aws_unchanged]} | ${reqs[aws_unchanged]} | $(mb "${bytes[aws_unchanged]}") |"
echo
echo "cold: cvmpreserve / aws = $(ratio "${wall[cvm_cold]}" "${wall[aws_cold]}") (target <= 0.5)"
echo "unchanged cvmpreserve / cold aws = $(ratio "${wall[cvm_unchanged]}" "${wall[aws_cold]}") (target <= 0.1); unchanged / unchanged = $(ratio "${wall[cvm_unchanged]}" "${wall[aws_unchanged]}")"
