#!/usr/bin/env bash
# Puts a real Debian kernel image (the linux-image package the cloud-amd64 metapackage points to; not
# installed, only unpacked) into the test cache, for the boot tests.
#   tools/fetch-test-kernel.sh [CACHE_DIR]            prints the path of the vmlinuz
#   tools/fetch-test-kernel.sh --cached [CACHE_DIR]   the same if it is there already, else exit 1 (no download)
# Idempotent: an existing copy is reused. Needs apt-get (download only, no root) and dpkg-deb. The download
# is one package of about 25 MiB.
set -euo pipefail
cached_only=false
if [[ "${1:-}" == --cached ]]; then
  cached_only=true
  shift
fi
cache=${1:-${CVMPRESERVE_TEST_CACHE:-/var/tmp/cvmpreserve-test-cache}}
dir="$cache/debian-kernel"
existing=$(ls "$dir"/boot/vmlinuz-* 2>/dev/null | head -1 || true)
if [[ -n "$existing" ]]; then
  echo "$existing"
  exit 0
fi
$cached_only && exit 1

package=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[[ -n "$package" ]] || { echo "fetch-test-kernel: apt knows no linux-image-cloud-amd64 (run apt-get update)" >&2; exit 1; }
work=$(mktemp -d "$cache/kernel-XXXXXX" 2>/dev/null || { mkdir -p "$cache"; mktemp -d "$cache/kernel-XXXXXX"; })
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q "$package" >/dev/null 2>"$work/apt.log") || { cat "$work/apt.log" >&2; exit 1; }
mkdir -p "$work/unpacked"
dpkg-deb --fsys-tarfile "$work"/*.deb | tar -x -C "$work/unpacked" ./boot
mv -T "$work/unpacked" "$dir" 2>/dev/null || true   # another run may have won the race: use its copy
ls "$dir"/boot/vmlinuz-* | head -1
