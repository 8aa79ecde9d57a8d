#!/usr/bin/env bash
# Builds a small legacy-style environment tree, reproducibly: the same bytes, owners and times every run.
#   tools/make-demo-env.sh DIR
# A busybox-static userland (one binary, applets as symlinks), account files, a device node and a fifo,
# a run script in the spirit of ALEPH's alpha.sh, an event file and a reference output.
set -euo pipefail
target=${1:?usage: make-demo-env.sh DIR}
busybox=/bin/busybox
if [[ ! -x $busybox ]] || ! file -b "$busybox" 2>/dev/null | grep -q static && ! ldd "$busybox" 2>&1 | grep -q "not a dynamic"; then
  echo "make-demo-env: needs busybox-static (apt-get install busybox-static)" >&2
  exit 1
fi

rm -rf "$target"
mkdir -p "$target"/{bin,sbin,etc,dev,proc,tmp,var/log,home/alpha,aleph/alpha/bin,aleph/alpha/data,aleph/reference}
cp "$busybox" "$target/bin/busybox"
for applet in sh ls cat cp mv rm mkdir echo grep sed awk sort uniq wc head tail date env sha256sum md5sum tar gzip; do
  ln -s busybox "$target/bin/$applet"
done
ln -s ../bin/busybox "$target/sbin/init"

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

# The "analysis": counts events per run number and writes a histogram, like ALPHA's run scripts did.
cat > "$target/aleph/alpha/bin/alpha.sh" <<'ALPHA'
#!/bin/sh
# ALPHA-style run script: reads an event file, writes a histogram and a log.
set -e
in=${1:-/aleph/alpha/data/events.txt}
out=${2:-/tmp/alpha}
mkdir -p "$out"
echo "ALPHA demo run on $(cat /etc/redhat-release)" > "$out/alpha.log"
awk '{ n[$1]++ } END { for (r in n) printf "%s %d\n", r, n[r] }' "$in" | sort -n > "$out/histogram.txt"
echo "events $(wc -l < "$in")" >> "$out/alpha.log"
ALPHA
chmod 0755 "$target/aleph/alpha/bin/alpha.sh"
awk 'BEGIN { srand(42); for (i = 0; i < 5000; i++) printf "%d %.4f %.4f\n", 15000 + int(rand() * 12), rand() * 45.6, rand() * 3.1416 }' > "$target/aleph/alpha/data/events.txt"
awk '{ n[$1]++ } END { for (r in n) printf "%s %d\n", r, n[r] }' "$target/aleph/alpha/data/events.txt" | sort -n > "$target/aleph/reference/histogram.txt"

mkfifo "$target/tmp/alpha.fifo"
if [[ $(id -u) -eq 0 ]]; then
  mknod "$target/dev/null" c 1 3
  mknod "$target/dev/console" c 5 1
  chown -R 1042:1042 "$target/home/alpha" "$target/aleph"
fi
chmod 1777 "$target/tmp"
chmod 0700 "$target/home/alpha"

# Pinned times: the whole tree carries one date (ALEPH's last data-taking year), newest entries last.
find "$target" -depth -exec touch -h -d '2000-11-02 12:00:00 UTC' {} +
