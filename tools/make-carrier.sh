#!/usr/bin/env bash
# Builds the replay carrier kit, reproducibly, from Debian packages that are unpacked (dpkg -x), never
# installed: a maintained kernel (the package linux-image-cloud-amd64 points to: ext4 and NVMe built in,
# IA-32 emulation, vsyscall emulation on request), the modules the carrier loads (overlay, squashfs), and a
# small initramfs made of busybox-static and tools/carrier/init.
#   tools/make-carrier.sh DIR          DIR must not exist; import it with `cvmpreserve carrier import DIR`
# DIR then holds: vmlinuz, initramfs.cpio.gz, config (the kernel's), carrier.json (what it is made of:
# the packages with their versions and SHA-256, the kernel release, the modules, the features the
# replayer checks). The same packages give the same bytes (fixed times, sorted cpio, gzip -n).
# Set CARRIER_DEBS=DIR to take the two .deb files from DIR instead of downloading them.
# Needs: apt-get (download only), dpkg, cpio, gzip, sha256sum.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${1:?usage: make-carrier.sh DIR}
[[ -e "$target" ]] && { echo "make-carrier: $target exists; give a new directory" >&2; exit 2; }
for tool in dpkg dpkg-deb cpio gzip sha256sum; do
  command -v "$tool" >/dev/null || { echo "make-carrier: '$tool' is missing" >&2; exit 1; }
done

export SOURCE_DATE_EPOCH=1764547200   # 2025-12-01: the carrier's files carry one fixed time
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [[ -n "${CARRIER_DEBS:-}" ]]; then
  cp "$CARRIER_DEBS"/linux-image-*-cloud-amd64_*.deb "$CARRIER_DEBS"/busybox-static_*.deb "$work/"
else
  kernel=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [[ -n "$kernel" ]] || { echo "make-carrier: apt knows no linux-image-cloud-amd64 (run apt-get update)" >&2; exit 1; }
  (cd "$work" && apt-get download -q "$kernel" busybox-static >/dev/null 2>"$work/apt.log") || { cat "$work/apt.log" >&2; exit 1; }
fi

kdeb=$(ls "$work"/linux-image-*.deb | head -1)
bdeb=$(ls "$work"/busybox-static_*.deb | head -1)
mkdir -p "$work/k" "$work/b"
dpkg -x "$kdeb" "$work/k"
dpkg -x "$bdeb" "$work/b"
release=$(ls "$work/k/lib/modules" | head -1)

root="$work/initramfs"
mkdir -p "$root"/{bin,dev,proc,sys,etc/carrier,job,lib/modules}
cp "$work/b/bin/busybox" "$root/bin/busybox"
cp "$here/carrier/init" "$root/init"
chmod 0755 "$root/init" "$root/bin/busybox"
modules=(kernel/fs/overlayfs/overlay.ko kernel/fs/squashfs/squashfs.ko)
for m in "${modules[@]}"; do
  mkdir -p "$root/lib/modules/$(dirname "$m")"
  cp "$work/k/lib/modules/$release/$m" "$root/lib/modules/$m"
done
printf '%s\n' "${modules[@]}" > "$root/etc/carrier/modules"
kversion=$(dpkg-deb -f "$kdeb" Version)
bversion=$(dpkg-deb -f "$bdeb" Version)
printf 'cvmpreserve-carrier linux %s (%s) busybox %s\n' "$release" "$kversion" "$bversion" > "$root/etc/carrier/release"
# The device nodes the kernel needs before devtmpfs is mounted are made by the kernel itself (initramfs
# gets /dev/console from the kernel's default list), so the archive holds no device node and needs no root.

mkdir -p "$target"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9 -n > "$target/initramfs.cpio.gz"
cp "$work/k/boot/vmlinuz-$release" "$target/vmlinuz"
cp "$work/k/boot/config-$release" "$target/config"

feature() { grep -q "^CONFIG_$1=y" "$target/config" && echo true || echo false; }
cat > "$target/carrier.json" <<JSON
{
  "kind": "cvmpreserve-carrier",
  "carrierFormat": 1,
  "kernelRelease": "$release",
  "kernel": "vmlinuz",
  "initramfs": "initramfs.cpio.gz",
  "config": "config",
  "packages": [
    { "name": "$(dpkg-deb -f "$kdeb" Package)", "version": "$kversion", "sha256": "$(sha256sum "$kdeb" | cut -c1-64)" },
    { "name": "busybox-static", "version": "$bversion", "sha256": "$(sha256sum "$bdeb" | cut -c1-64)" }
  ],
  "modules": [$(printf '"%s",' "${modules[@]}" | sed 's/,$//')],
  "features": {
    "ext4": $(feature EXT4_FS),
    "nvme": $(feature BLK_DEV_NVME),
    "ia32Emulation": $(feature IA32_EMULATION),
    "vsyscallEmulation": $(feature X86_VSYSCALL_EMULATION)
  }
}
JSON
find "$target" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
chmod 0644 "$target"/*
echo "$target: carrier linux $release ($kversion), busybox $bversion"
