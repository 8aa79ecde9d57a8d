#!/bin/sh
# Recovers one capsule version of a CernVM.Preserve archive WITHOUT CernVM.Preserve, following
# docs/FORMAT.md §9 step by step. Tools: a POSIX shell, GNU coreutils, zstd and sqlite3 (and setfattr
# from the attr package, optionally, for extended attributes). No .NET, no Python.
#
#   tools/recover-by-hand.sh ARCHIVE CAPSULE VERSION TARGET
#
# ARCHIVE is the archive's root directory (a bucket synced to disk works too), VERSION a number (2 or v2),
# TARGET a new or empty directory. Run as root to get owners and device nodes back. Exit status 0 when
# every file's content matched its recorded SHA-256; non-zero, with the reason, otherwise.
set -eu

die() { echo "recover-by-hand: $*" >&2; exit 1; }
[ $# -eq 4 ] || die "usage: recover-by-hand.sh ARCHIVE CAPSULE VERSION TARGET"
archive=$1; capsule=$2; version=${3#v}; target=$4
for tool in sha256sum zstd sqlite3 dd truncate; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is needed"
done
[ -f "$archive/0=cernvm-preserve_1" ] || die "$archive is not a CernVM.Preserve archive of format 1 (no 0=cernvm-preserve_1)"
if [ -e "$target" ] && [ -n "$(ls -A "$target")" ]; then die "$target is not empty"; fi
mkdir -p "$target"
target=$(cd "$target" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# Step 1 (FORMAT.md §5.1): the version exists and its manifest is the one its sidecar names.
vdir="$archive/capsules/$capsule/v$version"
[ -f "$vdir/manifest.json.sha256" ] || die "$vdir: no manifest.json.sha256: the version does not exist (or was never completed)"
(cd "$vdir" && sha256sum --quiet -c manifest.json.sha256) || die "$vdir/manifest.json does not match its sidecar"

# Step 2 (§5.2): the tree catalog's blob id is the "catalog" member of "tree".
catalog=$(sed -n 's/^ *"catalog": "\([0-9a-f]\{64\}\)".*/\1/p' "$vdir/manifest.json" | head -n 1)
[ -n "$catalog" ] || die "$vdir/manifest.json names no catalog"

# Step 3 (§4.1): a blob is one zstd frame; its name is the SHA-256 of what it decompresses to.
blob() {
  [ -f "$work/blob-$1" ] && return 0
  src="$archive/blobs/sha256/$(printf %s "$1" | cut -c1-2)/$1"
  [ -f "$src" ] || die "blob $1 is missing ($src)"
  zstd -q -d -c "$src" > "$work/blob-$1" || die "blob $1 is not a valid zstd frame"
  [ "$(sha256sum < "$work/blob-$1" | cut -c1-64)" = "$1" ] || die "blob $1 is corrupt: its content does not hash to its name"
}
blob "$catalog"
db="$work/blob-$catalog"
[ "$(sqlite3 -readonly "$db" "SELECT value FROM catalog_info WHERE key = 'format'")" = 1 ] || die "the catalog is not a format-1 tree catalog"
# Fields are separated by '|': hex and numbers never contain it, and empty fields survive `read`.
sql() { sqlite3 -readonly -separator '|' "$db" "$1"; }

# Step 4 (§6.2): paths are raw bytes; they travel as hex and become bytes with the \xHH escapes of
# coreutils' printf (`env printf`: the shell's own printf may lack \x). A trailing '/' is appended and
# removed so that a name ending in a newline survives $(...).
unhex() { env printf "$(printf %s "$1" | sed 's/../\\x&/g')/"; }
at() { p=$(unhex "$1"); path="$target/${p%/}"; }   # sets $path (a $(...) would eat a final newline)

# Step 5 (§6.2, §6.3): create entries in id order — parents come first.
sql "SELECT id, kind, state, hex(path), size, rdev_major, rdev_minor, hex(coalesce(target, X'')), coalesce(hardlink_to, 0)
     FROM entries WHERE id > 1 ORDER BY id" > "$work/entries"
while IFS='|' read -r id kind state hpath size major minor htarget link; do
  at "$hpath"
  if [ "$link" -ne 0 ]; then
    continue                                   # hard links come after every first name exists
  fi
  case "$kind" in
    dir) mkdir "$path" ;;
    file)
      [ "$state" = captured ] || { echo "not restored (was $state at capture): $path" >&2; continue; }
      : > "$path"
      sql "SELECT blob, blob_offset, offset, length FROM extents WHERE entry = $id ORDER BY offset" > "$work/extents"
      while IFS='|' read -r b boff off len; do
        blob "$b"
        dd if="$work/blob-$b" of="$path" bs=65536 iflag=skip_bytes,count_bytes oflag=seek_bytes conv=notrunc \
           skip="$boff" seek="$off" count="$len" status=none
      done < "$work/extents"
      truncate -s "$size" "$path"                # the zero tail, and the holes of sparse files
      ;;
    symlink) l=$(unhex "$htarget"); ln -s "${l%/}" "$path" ;;
    chardev) mknod "$path" c "$major" "$minor" ;;
    blockdev) mknod "$path" b "$major" "$minor" ;;
    fifo) mkfifo "$path" ;;
    socket) echo "skipped socket (cannot be made with standard tools, holds no data): $path" >&2 ;;
  esac
done < "$work/entries"

sql "SELECT hex(e.path), hex(f.path) FROM entries e JOIN entries f ON f.id = e.hardlink_to ORDER BY e.id" |
while IFS='|' read -r hpath hfirst; do
  at "$hfirst"; first=$path
  at "$hpath"; ln "$first" "$path"
done

# Step 6 (§6.5): owners, modes, extended attributes and times, children before parents.
# touch reads "@-5.25" as -(5.25): a time before 1970 with a fraction is written from its negative total,
# not as seconds plus a positive fraction (mtime_sec = -6, mtime_nsec = 750000000 is -5.25 s).
sql "SELECT hex(path), kind, uid, gid, printf('%o', mode),
            CASE WHEN mtime_sec < 0 AND mtime_nsec > 0
                 THEN printf('-%d.%09d', -(mtime_sec + 1), 1000000000 - mtime_nsec)
                 ELSE printf('%d.%09d', mtime_sec, mtime_nsec) END, id
     FROM entries WHERE hardlink_to IS NULL ORDER BY id DESC" > "$work/meta"
while IFS='|' read -r hpath kind uid gid mode time id; do
  at "$hpath"
  [ -e "$path" ] || [ -L "$path" ] || continue
  if [ "$(id -u)" -eq 0 ]; then chown -h "$uid:$gid" "$path"; fi
  [ "$kind" = symlink ] || chmod "$mode" "$path"      # after chown, which clears setuid bits
  if command -v setfattr >/dev/null 2>&1; then
    sql "SELECT hex(name), hex(value) FROM xattrs WHERE entry = $id" |
    while IFS='|' read -r hname hvalue; do
      name=$(unhex "$hname"); setfattr -h -n "${name%/}" -v "0x$(printf %s "$hvalue" | tr 'A-F' 'a-f')" "$path" 2>/dev/null ||
        echo "extended attribute not set: ${name%/} on $path" >&2
    done
  fi
  touch -h -d "@$time" "$path"
done < "$work/meta"

# Step 7 (§6.2): every file's content against its recorded SHA-256.
bad=0
sql "SELECT hex(path), content FROM entries WHERE kind = 'file' AND state = 'captured' AND hardlink_to IS NULL" > "$work/sums"
while IFS='|' read -r hpath sum; do
  at "$hpath"
  if [ "$(sha256sum < "$path" | cut -c1-64)" != "$sum" ]; then
    echo "content mismatch: $path" >&2; bad=1
  fi
done < "$work/sums"
[ "$bad" -eq 0 ] || die "some files do not match their recorded SHA-256"
echo "recovered $capsule@v$version into $target"
