#!/usr/bin/env bash
# The main job, end to end, on the embedded default archive (a local directory, no server):
# build the tool, make a demo environment, snapshot it, list and show it, restore it and compare.
#   tools/demo.sh            (uses --archive from CVMPRESERVE_ARCHIVE, else the default local archive)
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/steps.sh
demo_start=$(now_ms)

# gcc and zlib1g-dev also link the published tool (Native AOT).
if ! command -v rpmbuild >/dev/null || [[ ! -x /bin/busybox ]] || ! command -v gcc >/dev/null || [[ ! -e /usr/include/zlib.h ]] || ! command -v sqlite3 >/dev/null; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  step "updating apt's package lists" "about 10-30 s" quietly $SUDO apt-get update -q
  step "installing the Debian packages the demo needs: busybox-static rpm gcc libc6-dev zlib1g-dev sqlite3" "about 1-2 min on a fresh machine" \
    quietly $SUDO env DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes apt-get install -y -q --no-install-recommends \
    busybox-static rpm gcc libc6-dev zlib1g-dev sqlite3
fi

rm -rf out/cli
step "building cvmpreserve into out/cli: dotnet publish, one native executable" "about 3-6 min on two cores, NuGet packages included" \
  quietly dotnet publish src/CernVM.Preserve.Cli -c Release -o out/cli -nologo -v quiet
cli=out/cli/cvmpreserve

step "making the demo environment in out/demo-env (an SL4-style root with an rpm database)" "about 5-10 s" \
  quietly tools/make-demo-env.sh out/demo-env

echo "== snapshot (the curator's spec: fixtures/demo/capsule.yaml)"
"$cli" snapshot fixtures/demo/capsule.yaml
echo "== list"
"$cli" list
echo "== show"
"$cli" show demo-aleph
echo "== ls"
"$cli" ls demo-aleph /aleph/alpha/bin -l
echo "== restore"
rm -rf out/demo-restore
"$cli" restore demo-aleph --to out/demo-restore
# Compare kind, mode, owner, mtime (ns), size, link target and content of every entry.
# (The spec excludes /proc and /tmp/*, so compare without them.)
describe() { (cd "$1" && find . -path ./tmp/alpha.fifo -prune -o -printf '%y %m %U:%G %T@ %s %p -> %l\n' | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2); }
if diff <(describe out/demo-env) <(describe out/demo-restore); then
  echo "== restored tree is identical to the original (kinds, modes, owners, times, sizes, targets, contents)"
  echo "== demo done in $(format_duration $(($(now_ms) - demo_start)))"
else
  echo "== restored tree differs from the original" >&2
  exit 1
fi
