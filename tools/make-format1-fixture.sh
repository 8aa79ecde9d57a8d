#!/usr/bin/env bash
# Makes the frozen format-1 fixture: a small archive written by this version of cvmpreserve, committed
# under fixtures/format1/ and read by a test forever (docs/ARCHITECTURE.md, house rules: frozen fixtures of every released format).
# Run it only to create the fixture of a NEW format version; never rewrite an existing one.
#   tools/make-format1-fixture.sh CLI OUTDIR
set -euo pipefail
cli=${1:?usage: make-format1-fixture.sh path/to/cvmpreserve OUTDIR}
out=${2:?usage: make-format1-fixture.sh path/to/cvmpreserve OUTDIR}
tree=/tmp/cvmpreserve-format1-fixture
rm -rf "$tree"; mkdir -p "$tree"
trap 'rm -rf "$tree"' EXIT

mkdir -p "$tree/etc" "$tree/data/sub" "$tree/empty-dir"
printf 'Scientific Linux SL release 4.7 (Beryllium)\n' > "$tree/etc/redhat-release"
printf 'root:x:0:0:root:/root:/bin/sh\nalpha:x:1042:1042::/home/alpha:/bin/sh\n' > "$tree/etc/passwd"
printf 'root:x:0:\naleph:x:1042:\n' > "$tree/etc/group"
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "%d %d\n", i, (i * 7919) % 1000 }' > "$tree/data/events.txt"
head -c 300000 /dev/zero | tr '\0' 'x' > "$tree/data/large.txt"        # over the bundle threshold: a chunk blob
: > "$tree/data/empty"
printf 'latin-1 name\n' > "$tree/data/caf$(printf '\351')"
ln -s ../etc/redhat-release "$tree/data/release-link"
ln "$tree/data/events.txt" "$tree/data/sub/events-hardlink.txt"
mkfifo "$tree/data/fifo"
chown -R 1042:1042 "$tree/data"          # before chmod: chown clears setuid bits
chmod 4755 "$tree/data/events.txt"
chmod 1777 "$tree/empty-dir"
setfattr -n user.origin -v "ALEPH" "$tree/data/events.txt"
truncate -s 1M "$tree/data/sparse" && printf 'end' | dd of="$tree/data/sparse" bs=1 seek=1048573 conv=notrunc status=none
find "$tree" -depth -exec touch -h -d '1999-12-31 23:59:59.123456789 UTC' {} +
touch -h -d '1969-07-20 20:17:40 UTC' "$tree/data/empty"

rm -rf "$out"
"$cli" init "$out" >/dev/null
"$cli" snapshot --archive "$out" --rootfs "$tree" --name fixture --title "format 1 fixture" >/dev/null
printf 'second version\n' > "$tree/etc/motd"
touch -h -d '2000-01-01 00:00:00 UTC' "$tree/etc/motd" "$tree/etc"
"$cli" snapshot --archive "$out" --rootfs "$tree" --name fixture >/dev/null
# The source path is machine-specific: keep it out of the committed fixture's tree listing expectations.
"$cli" ls --archive "$out" fixture@v1 / -R --json > "$out.v1.expected.json"
