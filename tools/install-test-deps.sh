#!/usr/bin/env bash
# Installs, on Debian 12, every system package the tests use (the tests fail, never skip, without them).
# Idempotent and quiet when everything is present. Needs root (or sudo).
set -euo pipefail

packages=(
  zstd sqlite3            # recover-by-hand walkthrough (FORMAT.md §9)
  busybox-static gcc libc6-dev file   # the demo environment (tools/make-demo-env.sh)
  zlib1g-dev              # with gcc: links the published tool (Native AOT)
  debootstrap             # real Debian root trees
  attr acl libcap2-bin    # xattrs, ACLs and file capabilities in fidelity trees
  rpm db5.3-util          # real rpm databases (rpmbuild, rpm --root) and Berkeley DB files
  openssl                 # checks curator signatures by hand (FORMAT.md §5.4)
  util-linux procps       # setpriv (unprivileged runs), mount (tmpfs for the full-disk test)
  cpio lz4 xz-utils bzip2 e2fsprogs   # initrds built by the boot tests (cpio archives, every compression, ext2 images)
  umoci skopeo            # container images (OCI layouts with whiteouts, docker-archive tarballs)
  radosgw ceph-mon ceph-osd ceph-base ceph-common curl   # a real S3 gateway with Object Lock (tools/ceph-rgw.sh)
  awscli                  # /usr/bin/aws 2.x: aws s3 sync both ways, Object Lock enforcement checks
  qemu-system-x86         # replay: boots capsules under TCG (tools/make-carrier.sh's kernel)
  squashfs-tools          # replay benchmark: mksquashfs beside mke2fs -d (bench/replay.sh)
)

missing=()
for p in "${packages[@]}"; do
  [[ "$p" == \#* ]] && continue
  dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    SUDO="sudo"
  fi

  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A real Debian kernel for the boot tests, unpacked (not installed) into the test cache.
"$(dirname "$0")/fetch-test-kernel.sh" >/dev/null

# The replay carrier kit (tools/make-carrier.sh), built once into the test cache for the replay tests.
cache=${CVMPRESERVE_TEST_CACHE:-/var/tmp/cvmpreserve-test-cache}
if [[ ! -f "$cache/carrier-kit/carrier.json" ]]; then
  mkdir -p "$cache"
  rm -rf "$cache/carrier-kit.building"
  "$(dirname "$0")/make-carrier.sh" "$cache/carrier-kit.building" >/dev/null
  mv -T "$cache/carrier-kit.building" "$cache/carrier-kit"
fi
