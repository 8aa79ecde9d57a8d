#!/usr/bin/env bash
# Makes the fuzz seed corpora (fuzz/corpus/<target>/) from the repository's fixtures and from small inputs
# made here with the standard tools (GNU tar, cpio, gzip, sqlite3, openssl). Seeds are kept small (AFL++
# works best on inputs of a few KiB); the corpus is committed, so this is run again only to change it.
#   fuzz/make-seeds.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/corpus
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seed() { mkdir -p "$out/$1"; cat > "$out/$1/$2"; }

# tar: GNU, POSIX (pax) and v7 formats; a file, a directory, a symlink, a hard link; gzip, xz, zstd, bzip2.
mkdir -p "$work/tree/dir"
echo hello > "$work/tree/dir/file"
ln -s file "$work/tree/dir/link"
ln "$work/tree/dir/file" "$work/tree/hard"
for f in gnu posix v7; do tar --format=$f -b1 -C "$work/tree" --sort=name --mtime=@0 --owner=0 --group=0 -cf - . | seed tar $f.tar; done
tar --format=gnu -b1 -C "$work/tree" --sort=name --mtime=@0 -cf - dir | gzip -9n | seed tar gnu.tar.gz
tar --format=gnu -b1 -C "$work/tree" --sort=name --mtime=@0 -cf - dir | xz | seed tar gnu.tar.xz
tar --format=gnu -b1 -C "$work/tree" --sort=name --mtime=@0 -cf - dir | zstd -q | seed tar gnu.tar.zst
tar --format=gnu -b1 -C "$work/tree" --sort=name --mtime=@0 -cf - dir | bzip2 | seed tar gnu.tar.bz2

# image: a docker save archive and an OCI layout as tar, two layers, the second with a whiteout and an opaque directory.
python3 - "$work" "$out/image" <<'PY'
import hashlib, io, json, os, sys, tarfile
work, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
def tar_bytes(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in members:
            i = tarfile.TarInfo(name)
            if data is None:
                i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
            else:
                i.size = len(data); i.mode = 0o644; t.addfile(i, io.BytesIO(data))
    return b.getvalue()
l1 = tar_bytes([("etc", None), ("etc/os-release", b"ID=debian\n"), ("tmp", None), ("tmp/gone", b"x")])
l2 = tar_bytes([("tmp", None), ("tmp/.wh.gone", b""), ("etc", None), ("etc/.wh..wh..opq", b""), ("etc/hostname", b"h\n")])
sha = lambda b: hashlib.sha256(b).hexdigest()
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/bin"]}, "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(l1), "sha256:" + sha(l2)]}}).encode()
docker = tar_bytes([(sha(l1) + "/layer.tar", l1), (sha(l2) + "/layer.tar", l2), (sha(config) + ".json", config),
    ("manifest.json", json.dumps([{"Config": sha(config) + ".json", "RepoTags": ["t:1"], "Layers": [sha(l1) + "/layer.tar", sha(l2) + "/layer.tar"]}]).encode())])
open(os.path.join(out, "docker-save.tar"), "wb").write(docker)
desc = lambda mt, b: {"mediaType": mt, "digest": "sha256:" + sha(b), "size": len(b)}
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": desc("application/vnd.oci.image.config.v1+json", config),
    "layers": [desc("application/vnd.oci.image.layer.v1.tar", l1), desc("application/vnd.oci.image.layer.v1.tar", l2)]}).encode()
index = json.dumps({"schemaVersion": 2, "manifests": [dict(desc("application/vnd.oci.image.manifest.v1+json", manifest), annotations={"org.opencontainers.image.ref.name": "1"})]}).encode()
oci = tar_bytes([("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index), ("blobs", None), ("blobs/sha256", None)]
    + [("blobs/sha256/" + sha(b), b) for b in (l1, l2, config, manifest)])
open(os.path.join(out, "oci-layout.tar"), "wb").write(oci)
PY

# rpm: the real EL8 Berkeley DB (fixtures/real-data), its header blobs alone, and a small SQLite database cut
# from CBL-Mariner 2's (two packages, every table kept).
seed bdb el8-libuuid-Packages < fixtures/real-data/rpmdb/el8-libuuid-bdb/Packages
db5.3_dump fixtures/real-data/rpmdb/el8-libuuid-bdb/Packages | python3 -c '
import sys, os
lines = [l.strip() for l in sys.stdin if l.startswith(" ")]
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
for i, v in enumerate(lines[1::2]):
    if len(v) > 200: open(f"{out}/el8-header-{i}", "wb").write(bytes.fromhex(v))
' "$out/rpm-header"
cp fixtures/real-data/rpmdb/cbl-mariner2-sqlite/rpmdb.sqlite "$work/rpmdb.sqlite"
tables=$(sqlite3 "$work/rpmdb.sqlite" "SELECT name FROM sqlite_master WHERE type='table'")
for t in $tables; do [[ $t == Packages || $t == sqlite_* ]] || sqlite3 "$work/rpmdb.sqlite" "DELETE FROM \"$t\" WHERE hnum NOT IN (SELECT hnum FROM Packages ORDER BY length(blob) LIMIT 2)"; done
sqlite3 "$work/rpmdb.sqlite" "DELETE FROM Packages WHERE hnum NOT IN (SELECT hnum FROM Packages ORDER BY length(blob) LIMIT 2); PRAGMA journal_mode=DELETE; VACUUM;"
seed rpm-sqlite mariner2-two-packages.sqlite < "$work/rpmdb.sqlite"

# dpkg: a status file in the shape dpkg writes.
seed dpkg-status status <<'TXT'
Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12980
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Depends: libgcc-s1
Recommends: libidn2-0 (>= 2.0.5~)
Breaks: hurd (<< 1:0.9.git20220301-2), nscd (<< 2.36)
Description: GNU C Library: Shared libraries
 Contains the standard libraries.

Package: base-files
Essential: yes
Status: hold ok half-configured
Version: 1:12.4+deb12u5
Provides: base
Pre-Depends: awk | mawk (>= 1.3.4), libc6:any
Conffiles:
 /etc/debian_version 1f4a5e1b0f8b5f3a
Description: Debian base system miscellaneous files
TXT

# CernVM-FS: the real manifests and whitelists; a catalog, a history database and the certificate of the
# guinea pig repository (objects zlib-compressed by CernVM-FS, decompressed here); the shrinkwrap specs.
for f in emscripten-cvmfspublished emscripten-cvmfspublished-shake128; do seed cvmfs-manifest "$f" < fixtures/real-data/cvmfs/$f; done
for f in emscripten-cvmfswhitelist emscripten-cvmfswhitelist-shake128; do seed cvmfs-whitelist "$f" < fixtures/real-data/cvmfs/$f; done
seed shrinkwrap-spec cms.spec < fixtures/real-data/cvmfs/082-shrinkwrap-cms-cms.cern.ch.spec
head -c 3000 fixtures/real-data/cvmfs/081-shrinkwrap-cvmfs-sft.cern.ch.spec.txt | seed shrinkwrap-spec sft-head.spec
mkdir -p "$work/cvmfs" && for r in 2 3; do mkdir -p "$work/cvmfs/$r" && tar -C "$work/cvmfs/$r" -xzf fixtures/real-data/cvmfs/guinea_pig_repo_20-revision-$r.tar.gz; done
python3 - "$work/cvmfs" "$out" <<'PY'
import os, sys, zlib, sqlite3
root, out = sys.argv[1], sys.argv[2]
best = {}
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        if "/data/" not in p: continue
        try: raw = zlib.decompress(open(p, "rb").read())
        except zlib.error: continue
        kind = "cvmfs-certificate" if f.endswith("X") else None
        if raw.startswith(b"SQLite format 3"):
            c = sqlite3.connect(":memory:"); c.deserialize(raw)
            names = {r[0] for r in c.execute("select name from sqlite_master")}
            kind = "cvmfs-catalog" if "catalog" in names else "cvmfs-history" if "tags" in names else None
        if kind and (kind not in best or len(raw) < len(best[kind])): best[kind] = raw
for kind, raw in best.items():
    os.makedirs(os.path.join(out, kind), exist_ok=True)
    open(os.path.join(out, kind, "guinea-pig"), "wb").write(raw)
PY
printf '\x01\x02\x06\x03user.aabc\x07\x00user.bb' | seed cvmfs-xattrs two
# A tag history database in the layout cvmfs_server writes (schema 1.0, revision 3).
sqlite3 "$work/history.db" "CREATE TABLE properties (key TEXT, value TEXT, CONSTRAINT pk_properties PRIMARY KEY (key));
INSERT INTO properties VALUES ('schema', '1.0'), ('schema_revision', '3'), ('fqrn', 'guinea.pig'), ('previous_revision', '');
CREATE TABLE tags (name TEXT, hash TEXT, revision INTEGER, timestamp INTEGER, channel INTEGER, description TEXT, size INTEGER, branch TEXT, CONSTRAINT pk_tags PRIMARY KEY (name));
INSERT INTO tags VALUES ('trunk', '$(printf 'a%.0s' {1..40})', 3, 1700000000, 0, 'current', 11264, ''), ('v1', '$(printf 'b%.0s' {1..40})', 2, 1690000000, 0, 'first', NULL, NULL);"
seed cvmfs-history guinea-pig < "$work/history.db"

printf '\x01\x00' | seed cvmfs-xattrs none

# Kernels: the header of the test kernel (bzImage), an ELF and an arm64 Image header with a banner, a gzip of one.
kernel=$(ls "${CVMPRESERVE_TEST_CACHE:-/var/tmp/cvmpreserve-test-cache}"/debian-kernel/boot/vmlinuz-* 2>/dev/null | head -1 || true)
[[ -n "$kernel" ]] && head -c 16384 "$kernel" | seed kernel bzimage-head
python3 - "$out/kernel" <<'PY'
import struct, sys, os, gzip
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
banner = b"Linux version 5.14.0-1.el9.x86_64 (mockbuild@x) (gcc 11) #1 SMP\n\0"
elf = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack("<HHI", 2, 62, 1) + b"\0" * 40
open(f"{out}/vmlinux-elf", "wb").write(elf + b"\0" * 64 + banner)
arm = bytearray(64); arm[0x38:0x3c] = b"ARM\x64"
open(f"{out}/arm64-image", "wb").write(bytes(arm) + banner.replace(b"x86_64", b"aarch64"))
open(f"{out}/arm64-image.gz", "wb").write(gzip.compress(bytes(arm) + banner, mtime=0))
hdr = bytearray(0x400); hdr[0x1fe:0x200] = b"\x55\xaa"; hdr[0x202:0x206] = b"HdrS"; struct.pack_into("<H", hdr, 0x206, 0x20f)
struct.pack_into("<H", hdr, 0x20e, 0x300 - 0x200); hdr[0x300:0x300 + 20] = b"2.6.18-1 (x) #1 SMP\0"
open(f"{out}/bzimage-synthetic", "wb").write(bytes(hdr))
PY

# initrds: cpio newc, crc, odc and old binary; an early-microcode cpio before a gzipped one; gzip and xz alone.
mkdir -p "$work/initrd/kernel/x86/microcode" "$work/initrd/bin"
echo ucode > "$work/initrd/kernel/x86/microcode/GenuineIntel.bin"
printf '#!/bin/sh\n' > "$work/initrd/init"
for f in newc crc odc bin; do (cd "$work/initrd" && find . | sort | cpio --quiet -o -H $f) | seed initrd cpio-$f; done
(cd "$work/initrd" && find kernel | sort | cpio --quiet -o -H newc) > "$work/early.cpio"
(cd "$work/initrd" && echo init | cpio --quiet -o -H newc | gzip -9n) > "$work/main.cpio.gz"
cat "$work/early.cpio" "$work/main.cpio.gz" | seed initrd early-microcode-then-gzip
(cd "$work/initrd" && echo init | cpio --quiet -o -H newc | xz) | seed initrd cpio.xz

# Boot loaders and command lines.
seed grub-legacy menu.lst <<'TXT'
default=1
timeout=5
splashimage=(hd0,0)/grub/splash.xpm.gz
hiddenmenu
title Scientific Linux SL (2.6.18-398.el5)
	root (hd0,0)
	kernel /vmlinuz-2.6.18-398.el5 ro root=/dev/VolGroup00/LogVol00 rhgb quiet
	initrd /initrd-2.6.18-398.el5.img
title Scientific Linux SL (2.6.18-371.el5)
	root (hd0,0)
	kernel /vmlinuz-2.6.18-371.el5 ro root=LABEL=/ console=ttyS0,115200
	initrd /initrd-2.6.18-371.el5.img
TXT
seed grub2 grub.cfg <<'TXT'
set default="${saved_entry}"
if [ -s $prefix/grubenv ]; then
  load_env
fi
set timeout=5
menuentry 'CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)' --class centos --unrestricted $menuentry_id_option 'gnulinux-3.10.0-1160.el7.x86_64-advanced-abc' {
	load_video
	insmod gzio
	set root='hd0,msdos1'
	linux16 /vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/mapper/centos-root ro crashkernel=auto rhgb quiet LANG=en_US.UTF-8
	initrd16 /initramfs-3.10.0-1160.el7.x86_64.img
}
submenu 'Advanced options' {
	menuentry 'Rescue' {
		linux /vmlinuz-0-rescue root=UUID=1234 ro
		initrd /initramfs-0-rescue.img
	}
}
TXT
seed grub2 grubenv <<'TXT'
# GRUB Environment Block
saved_entry=CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)
####################################################
TXT
seed extlinux extlinux.conf <<'TXT'
DEFAULT linux
PROMPT 0
TIMEOUT 50
LABEL linux
  MENU LABEL Debian GNU/Linux
  KERNEL /boot/vmlinuz-6.1.0-18-amd64
  APPEND root=/dev/sda1 ro quiet
  INITRD /boot/initrd.img-6.1.0-18-amd64
LABEL rescue
  LINUX ../vmlinuz
  INITRD initrd1.img,initrd2.img
  APPEND single
TXT
printf 'BOOT_IMAGE=/vmlinuz-5.14 root=UUID=1f2e ro "quoted arg=a b" console=ttyS0,115200 init=/bin/sh -- x\n' | seed cmdline debian
printf 'ro root=/dev/sda1 rd.lvm.lv=vg/root quiet\n' | seed cmdline el

# The capsule spec, YAML and JSON.
seed spec demo.yaml < fixtures/demo/capsule.yaml
seed spec minimal.json <<'TXT'
{"name": "demo", "os": {"rootfs": "/srv/root"}}
TXT

# A root's identity files.
seed os-identity os-release <<'TXT'
NAME="Scientific Linux"
VERSION="6.10 (Carbon)"
ID="scientific"
VERSION_ID=6.10
PRETTY_NAME='Scientific Linux 6.10'
TXT
printf 'Scientific Linux release 6.10 (Carbon)\n' | seed os-identity redhat-release
printf 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/sbin/nologin\nbad line\n+::::::\n' | seed os-identity passwd

# Our own format: the frozen format-1 archive's manifests, sidecars, events, descriptor, catalog and package list.
a=fixtures/format1/archive
for v in v1 v2; do
  seed manifest $v.json < $a/capsules/fixture/$v/manifest.json
  seed sidecar $v.sha256 < $a/capsules/fixture/$v/manifest.json.sha256
done
i=0; for e in $a/journal/2026/*.json; do i=$((i + 1)); seed event event-$i.json < "$e"; done
seed archive-descriptor archive.json < $a/archive.json
for b in $(find $a/blobs -type f); do
  zstd -qdc "$b" > "$work/blob"
  if head -c 15 "$work/blob" | grep -q 'SQLite format 3'; then [[ -s "$out/tree-catalog/catalog" ]] || seed tree-catalog catalog < "$work/blob"
  elif head -c 1 "$work/blob" | grep -q '\['; then seed package-list "$(basename "$b" | head -c 12)" < "$work/blob"; fi
done
# A package list blob as a snapshot writes it (canonical JSON, the database's order).
seed package-list el-two <<'TXT'
[{"arch":"x86_64","epoch":1,"installTime":1700000000,"name":"bash","release":"2.el9","size":7738634,"version":"5.1.8"},{"arch":"noarch","name":"tzdata","release":"1.el9","version":"2023c"}]
TXT
openssl genpkey -algorithm ed25519 -out "$work/key.pem" 2>/dev/null
openssl pkey -in "$work/key.pem" -pubout -outform DER -out "$work/pub.der"
openssl pkeyutl -sign -rawin -inkey "$work/key.pem" -in $a/capsules/fixture/v1/manifest.json -out "$work/sig"
printf '{"algorithm":"Ed25519","keyId":"%s","publicKey":"%s","signature":"%s"}' \
  "$(sha256sum "$work/pub.der" | cut -c1-64)" "$(base64 -w0 "$work/pub.der")" "$(base64 -w0 "$work/sig")" | seed signature v1.sig

du -sh "$out"
