#!/usr/bin/env bash
# Installs, on Debian 12, every system package the tests use (the tests fail, never skip, without them).
# Idempotent and quiet when everything is present; otherwise each step says what it does and how long it
# took (tools/steps.sh), and apt's own output is shown only if it fails. Needs root (or sudo).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/steps.sh"

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
  chromium                # headless rendering of the audit's HTML report (its test checks what a browser shows)
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

  # On a fresh machine most of the time is downloads; Ceph, gcc and the AWS CLI with their libraries are the big ones.
  step "updating apt's package lists" "about 10-30 s" quietly $SUDO apt-get update -q
  step "installing ${#missing[@]} Debian packages the tests use: ${missing[*]}" "all of them: about 3-6 min on a fresh machine, mostly downloads" \
    quietly $SUDO env DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# A real Debian kernel for the boot tests, unpacked (not installed) into the test cache.
if ! "$here/fetch-test-kernel.sh" --cached >/dev/null; then
  step "fetching a Debian kernel image for the boot tests" "one package of about 25 MiB, under a minute" quietly "$here/fetch-test-kernel.sh"
fi

# The replay carrier kit (tools/make-carrier.sh), built once into the test cache for the replay tests.
cache=${CVMPRESERVE_TEST_CACHE:-/var/tmp/cvmpreserve-test-cache}
if [[ ! -f "$cache/carrier-kit/carrier.json" ]]; then
  mkdir -p "$cache"
  rm -rf "$cache/carrier-kit.building"
  step "building the replay carrier kit (a Debian kernel and busybox, unpacked)" "under a minute" quietly "$here/make-carrier.sh" "$cache/carrier-kit.building"
  mv -T "$cache/carrier-kit.building" "$cache/carrier-kit"
fi
