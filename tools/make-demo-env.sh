#!/usr/bin/env bash
# Builds the demo environment, reproducibly (pinned owners and times): a small legacy-style system in the
# spirit of ALEPH's SL4 environment, to snapshot, audit and replay.
#   tools/make-demo-env.sh DIR
# It holds: a busybox-static userland (applets as symlinks), an RPM database (rpm's SQLite backend) in
# which a metapackage `demo-meta` pins the exact versions of `demo-busybox` and `alpha-demo`, a statically
# linked analysis program (tools/demo/alpha.c) with its run script (alpha.sh), an event file, and the
# reference outputs of a run. Needs: busybox-static, gcc with static libc, rpm (rpmbuild), awk.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${1:?usage: make-demo-env.sh DIR}
for tool in gcc rpmbuild rpm awk; do
  command -v "$tool" >/dev/null || { echo "make-demo-env: '$tool' is missing (apt-get install gcc libc6-dev rpm)" >&2; exit 1; }
done
[[ -x /bin/busybox ]] || { echo "make-demo-env: /bin/busybox is missing (apt-get install busybox-static)" >&2; exit 1; }

export SOURCE_DATE_EPOCH=973166400   # 2000-11-02 12:00:00 UTC, ALEPH's last data-taking days
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
mkdir -p "$build"/{SOURCES,SPECS,BUILD,RPMS,SRPMS,BUILDROOT}

gcc -static -O2 -o "$build/SOURCES/alpha" "$here/demo/alpha.c" -lm
cp "$here/demo/alpha.sh" "$build/SOURCES/alpha.sh" && chmod 0755 "$build/SOURCES/alpha.sh"
cp /bin/busybox "$build/SOURCES/busybox"
for spec in demo-meta demo-busybox alpha-demo; do
  rpmbuild --quiet --define "_topdir $build" --define "_buildhost demo.cernvm-preserve" \
    --define "debug_package %{nil}" --define "_build_id_links none" --define "__strip /bin/true" \
    --define "use_source_date_epoch_as_buildtime 1" --define "clamp_mtime_to_source_date_epoch 1" \
    -bb "$here/demo/$spec.spec" >/dev/null 2>"$build/rpmbuild.log" || { cat "$build/rpmbuild.log" >&2; exit 1; }
done

rm -rf "$target"
mkdir -p "$target"/{bin,sbin,etc,dev,proc,tmp,var/log,var/lib/rpm,home/alpha,aleph/alpha/data,aleph/reference}
rpm --root "$(realpath "$target")" --dbpath /var/lib/rpm --initdb
rpm --root "$(realpath "$target")" --dbpath /var/lib/rpm -i --nodeps --force-debian --ignorearch \
  "$build"/RPMS/*/*.rpm 2>/dev/null
# rpm leaves its SQLite database in WAL mode with side files; fold them in, as a shut-down system would.
rm -f "$target/var/lib/rpm/.rpm.lock"
if command -v sqlite3 >/dev/null; then
  sqlite3 "$target/var/lib/rpm/rpmdb.sqlite" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
fi
rm -f "$target/var/lib/rpm/rpmdb.sqlite-wal" "$target/var/lib/rpm/rpmdb.sqlite-shm"

for applet in sh ls cat cp mv rm mkdir echo grep sed awk sort uniq wc head tail date env sha256sum tar gzip; do
  ln -s busybox "$target/bin/$applet"
done
ln -s ../bin/busybox "$target/sbin/init"
ln -s bin/alpha.sh "$target/aleph/alpha/alpha.sh"

cat > "$target/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
alpha:x:1042:1042:ALEPH analysis:/home/alpha:/bin/sh
PASSWD
cat > "$target/etc/group" <<'GROUP'
root:x:0:
aleph:x:1042:alpha
GROUP
printf 'Scientific Linux SL release 4.7 (Beryllium)\n' > "$target/etc/redhat-release"
printf 'demo\n' > "$target/etc/hostname"

# Events: "run event energy angle", from a fixed seed.
awk 'BEGIN { srand(42); for (i = 0; i < 5000; i++) printf "%d %d %.4f %.4f\n", 15000 + int(rand() * 12), i, rand() * 45.6, rand() * 3.1416 }' \
  > "$target/aleph/alpha/data/events.txt"
# The reference outputs: one run of the analysis, as the experiment recorded it.
"$target/aleph/alpha/bin/alpha" "$target/aleph/alpha/data/events.txt" "$target/aleph/reference"

mkfifo "$target/tmp/alpha.fifo"
if [[ $(id -u) -eq 0 ]]; then
  mknod "$target/dev/null" c 1 3
  mknod "$target/dev/console" c 5 1
  chown -R 1042:1042 "$target/home/alpha" "$target/aleph/alpha/data" "$target/aleph/reference"
fi
chmod 1777 "$target/tmp"
chmod 0700 "$target/home/alpha"

find "$target" -depth -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
