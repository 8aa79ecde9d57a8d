#!/usr/bin/env bash
# Replay benchmark (docs/benchmarks.md, "Replay"):
#  1. wall time of `cvmpreserve replay demo-aleph --verify`, command to verdict, against a bare QEMU boot of the
#     same carrier kernel with one initramfs that holds the carrier's busybox, the same tree and an init that
#     runs the same entry and powers off (no archive, no image, no results disk, no comparison);
#  2. image build speed: the tree of a Debian minbase capsule reconstituted and written by mke2fs -d (what
#     replay does), against mksquashfs of the same restored tree, in MB/s of file content.
#   bench/replay.sh [ROUNDS]      needs: a built CLI (dotnet build), qemu-system-x86, squashfs-tools, e2fsprogs,
#                                 the carrier kit and debootstrap tree of the test cache (tools/install-test-deps.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
cache=${CVMPRESERVE_TEST_CACHE:-/var/tmp/cvmpreserve-test-cache}
kit="$cache/carrier-kit"
deb="$cache/debootstrap-bookworm"
cli=${BENCH_CLI:-dotnet $here/src/CernVM.Preserve.Cli/bin/Release/net10.0/cvmpreserve.dll}
[[ -f "$kit/carrier.json" && -d "$deb/etc" ]] || { echo "replay bench: run tools/install-test-deps.sh first (carrier kit, debootstrap tree)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

"$here/tools/make-demo-env.sh" "$work/env" >/dev/null
sed "s#../../out/demo-env#$work/env#" "$here/fixtures/demo/capsule.yaml" > "$work/demo.yaml"
$cli init "$work/a" >/dev/null
$cli carrier import "$kit" --archive "$work/a" >/dev/null
$cli snapshot "$work/demo.yaml" --archive "$work/a" >/dev/null 2>&1

# The bare boot: the carrier's initramfs contents, the tree under /tree, an init running the same entry.
mkdir -p "$work/bare"
(cd "$work/bare" && gzip -dc "$kit/initramfs.cpio.gz" | cpio -i -d --quiet)
cp -a "$work/env" "$work/bare/tree"
cat > "$work/bare/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t devtmpfs devtmpfs /dev
mount -t proc proc /tree/proc
chroot /tree /bin/busybox env -i PATH=/bin:/sbin HOME=/root ALPHA_ROOT=/aleph/alpha /bin/sh /aleph/alpha/bin/alpha.sh /aleph/alpha/data/events.txt /tmp/alpha-out
echo "BARE-DONE $(sha256sum < /tree/tmp/alpha-out/histogram.txt)"
poweroff -f
INIT
chmod 755 "$work/bare/init"
(cd "$work/bare" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$work/bare.cpio.gz"

echo "round replay_s bare_s replay_boot_s overhead_s"
for r in $(seq 1 "$rounds"); do
  rm -rf "$work/r"
  t0=$(now)
  $cli replay demo-aleph --verify --to "$work/r" --archive "$work/a" >/dev/null 2>&1
  t1=$(now)
  boot=$(awk -F': ' '/"boot":/ {gsub(/[ ,]/, "", $2); print $2}' "$work/r/report.json")
  t2=$(now)
  timeout 300 qemu-system-x86_64 -machine accel=tcg -cpu max -m 512 -smp 1 -nodefaults -no-reboot -display none \
    -serial file:"$work/bare.log" -kernel "$kit/vmlinuz" -initrd "$work/bare.cpio.gz" \
    -append 'console=ttyS0 quiet panic=-1 no_timer_check vsyscall=emulate'
  t3=$(now)
  grep -q BARE-DONE "$work/bare.log" || { echo "bare boot did not finish" >&2; cat "$work/bare.log" >&2; exit 1; }
  echo "$r $(secs "$t0" "$t1") $(secs "$t2" "$t3") $boot $(awk -v a="$(secs "$t0" "$t1")" -v b="$boot" 'BEGIN { printf "%.2f", a - b }')"
done

# Image build speed on a real Debian tree.
$cli snapshot --rootfs "$deb" --name deb --archive "$work/a" >/dev/null 2>&1
bytes=$(du -sb --apparent-size "$deb" | cut -f1)
t0=$(now)
$cli replay deb --to "$work/img" --archive "$work/a" >/dev/null 2>&1
t1=$(now)
rm -f "$work/img/work/image.ext4"
t2=$(now)
mke2fs -q -F -t ext4 -O ^has_journal -m 0 -d "$work/img/work/tree" "$work/img/work/image.ext4" 1024M
t3=$(now)
mksquashfs "$work/img/work/tree" "$work/sq.img" -noappend -quiet -no-progress >/dev/null
t4=$(now)
mb() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f", b / 1e6 / s }'; }
echo "tree $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }') MB"
echo "replay without --boot (reconstitute + mke2fs + initrd): $(secs "$t0" "$t1") s, $(mb "$(secs "$t0" "$t1")") MB/s"
echo "mke2fs -d of the restored tree: $(secs "$t2" "$t3") s, $(mb "$(secs "$t2" "$t3")") MB/s"
echo "mksquashfs of the restored tree: $(secs "$t3" "$t4") s, $(mb "$(secs "$t3" "$t4")") MB/s"
