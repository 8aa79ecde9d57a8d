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
#
# The archive may come from elsewhere and be made by hand: every value read from it is checked before it
# is used (blob ids are 64 hex digits, numbers are digits, paths hold no NUL byte and no empty, '.' or '..'
# segment, every entry's parent is a directory this script made, never a symlink), names travel as hex and
# are always quoted, nothing is ever evaluated: an entry that would lead outside TARGET stops the recovery,
# naming it.
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
target=$(cd "$target" && pwd -P)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# Step 1 (FORMAT.md §5.1): the version exists and its manifest is the one its sidecar names.
vdir="$archive/capsules/$capsule/v$version"
[ -f "$vdir/manifest.json.sha256" ] || die "$vdir: no manifest.json.sha256: the version does not exist (or was never completed)"
(cd "$vdir" && sha256sum --quiet -c manifest.json.sha256) || die "$vdir/manifest.json does not match its sidecar"
# ... and it is the manifest of this capsule and version, not one copied from elsewhere (FORMAT.md §5.2).
mcapsule=$(sed -n 's/^  "capsule": "\(.*\)",$/\1/p' "$vdir/manifest.json" | head -n 1)
mversion=$(sed -n 's/^  "version": \([0-9]*\),$/\1/p' "$vdir/manifest.json" | head -n 1)
[ "$mcapsule" = "$capsule" ] && [ "$mversion" = "$version" ] ||
  die "$vdir/manifest.json names $mcapsule@v$mversion, not the place it is stored at ($capsule@v$version); refusing it"

# Step 2 (§5.2): the tree catalog's blob id is the "catalog" member of "tree".
catalog=$(sed -n 's/^ *"catalog": "\([0-9a-f]\{64\}\)".*/\1/p' "$vdir/manifest.json" | head -n 1)
[ -n "$catalog" ] || die "$vdir/manifest.json names no catalog"

# Step 3 (§4.1): a blob is one zstd frame; its name is the SHA-256 of what it decompresses to.
blob() {
  case $1 in *[!0-9a-f]*|'') die "'$1' is not a blob id (64 hex digits)" ;; esac
  [ ${#1} -eq 64 ] || die "'$1' is not a blob id (64 hex digits)"
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
# Entry 1 is the root and the only entry with the empty path; no id is smaller (§6.2): what is named below
# is then always an entry checked before anything is made for it.
[ "$(sql "SELECT count(*) FROM entries WHERE id = 1 AND path = X'' AND kind = 'dir' AND parent IS NULL")" = 1 ] &&
  [ "$(sql "SELECT count(*) FROM entries WHERE id < 1 OR (id > 1 AND path = X'')")" = 0 ] ||
  die "the catalog's first entry is not the root (id 1, the empty path, a directory without parent), or another entry has its path; refusing it"

# Step 4 (§6.2): paths are raw bytes; they travel as hex and become bytes with the \xHH escapes of
# coreutils' printf (`env printf`: the shell's own printf may lack \x). A trailing '/' is appended and
# removed so that a name ending in a newline survives $(...).
unhex() { env printf "$(printf %s "$1" | sed 's/../\\x&/g')/"; }
at() { p=$(unhex "$1"); path="$target/${p%/}"; }   # sets $path (a $(...) would eat a final newline)

# Values of a catalog made by hand are checked before they are used: numbers are digits, and a path stays
# inside TARGET — no NUL byte (the shell cannot hold one), no empty, '.' or '..' segment, and its parent is a
# directory made by this script (no symlink: nothing is ever written through a link).
num() { for v in "$@"; do case $v in ''|*[!0-9]*) die "entry $id: '$v' is not a number" ;; esac; done; }
inside() {   # hex path, entry id, hex path of its parent entry (NONE when not listed before it); sets $p and $path
  case $1 in ''|*[!0-9A-F]*) die "entry $2: its path is not hex" ;; esac
  case " $(printf %s "$1" | sed 's/../& /g')" in *" 00 "*) die "entry $2: its path holds a NUL byte; refusing it" ;; esac
  at "$1"
  case "/$p" in *//*|*/./*|*/../*) die "entry $2: path '${p%/}' has an empty, '.' or '..' segment; refusing it" ;; esac
  # The path is its parent entry's path, a '/' (2F), and one name without '/'.
  case $3 in
    NONE) die "entry $2: '${p%/}' has no parent listed before it; refusing it" ;;
    '') name=$1 ;;
    *) case $1 in "$3"2F*) name=${1#"$3"2F} ;; *) name=2F ;; esac ;;
  esac
  case " $(printf %s "$name" | sed 's/../& /g')" in *" 2F "*) die "entry $2: '${p%/}' is not inside its parent entry; refusing it" ;; esac
  parent=${path%/*}
  { [ -d "$parent" ] && [ ! -L "$parent" ]; } ||
    die "entry $2: '${p%/}' does not lie in a directory made before it (its parent is missing, a file or a symlink); refusing it"
  [ ! -e "$path" ] && [ ! -L "$path" ] || die "entry $2: '${p%/}' is listed twice; refusing it"
}

# Step 5 (§6.2, §6.3): create entries in id order — parents come first.
sql "SELECT e.id, e.kind, e.state, hex(e.path), e.size, e.rdev_major, e.rdev_minor, hex(coalesce(e.target, X'')), coalesce(e.hardlink_to, 0),
            CASE WHEN p.id < e.id THEN hex(p.path) ELSE 'NONE' END
     FROM entries e LEFT JOIN entries p ON p.id = e.parent WHERE e.id > 1 ORDER BY e.id" > "$work/entries"
while IFS='|' read -r id kind state hpath size major minor htarget link hparent; do
  num "$id" "$size" "$major" "$minor" "$link"
  if [ "$link" -ne 0 ]; then
    continue                                   # hard links come after every first name exists
  fi
  inside "$hpath" "$id" "$hparent"
  case "$kind" in
    dir) mkdir "$path" ;;
    file)
      [ "$state" = captured ] || { echo "not restored (was $state at capture): $path" >&2; continue; }
      : > "$path"
      sql "SELECT blob, blob_offset, offset, length FROM extents WHERE entry = $id ORDER BY offset" > "$work/extents"
      while IFS='|' read -r b boff off len; do
        num "$boff" "$off" "$len"
        blob "$b"
        # Compared without sums, which a catalog's numbers could make overflow.
        [ "$boff" -le $(($(wc -c < "$work/blob-$b") - len)) ] ||
          die "entry $id: '${p%/}' has an extent (blob offset $boff, length $len) beyond the end of blob $b; refusing it"
        [ "$off" -le $((size - len)) ] || die "entry $id: '${p%/}' has an extent past its size $size; refusing it"
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
    *) die "entry $id: unknown kind '$kind'" ;;
  esac
done < "$work/entries"

# A hard link names the first name of its inode: an entry listed before it that is no hard link itself.
sql "SELECT e.id, e.hardlink_to FROM entries e LEFT JOIN entries f ON f.id = e.hardlink_to
     WHERE e.hardlink_to IS NOT NULL AND (f.id IS NULL OR f.id <= 1 OR f.id >= e.id OR f.hardlink_to IS NOT NULL OR f.kind = 'dir')
     LIMIT 1" > "$work/badlinks"
if [ -s "$work/badlinks" ]; then
  IFS='|' read -r id link < "$work/badlinks"
  die "entry $id: a hard link to entry $link, which is not a first name listed before it (or not in the tree); refusing it"
fi
sql "SELECT e.id, hex(e.path), hex(f.path), CASE WHEN p.id < e.id THEN hex(p.path) ELSE 'NONE' END
     FROM entries e JOIN entries f ON f.id = e.hardlink_to LEFT JOIN entries p ON p.id = e.parent ORDER BY e.id" > "$work/links"
while IFS='|' read -r id hpath hfirst hparent; do
  num "$id"
  at "$hfirst"; first=$path
  { [ -e "$first" ] || [ -L "$first" ]; } || { echo "hard link not made, its first name was not restored: $first" >&2; continue; }
  inside "$hpath" "$id" "$hparent"; ln -P "$first" "$path"
done < "$work/links"

# Step 6 (§6.5): owners, modes, extended attributes and times, children before parents.
# touch reads "@-5.25" as -(5.25): a time before 1970 with a fraction is written from its negative total,
# not as seconds plus a positive fraction (mtime_sec = -6, mtime_nsec = 750000000 is -5.25 s).
sql "SELECT hex(path), kind, uid, gid, printf('%o', mode),
            CASE WHEN mtime_sec < 0 AND mtime_nsec > 0
                 THEN printf('-%d.%09d', -(mtime_sec + 1), 1000000000 - mtime_nsec)
                 ELSE printf('%d.%09d', mtime_sec, mtime_nsec) END, id
     FROM entries WHERE hardlink_to IS NULL ORDER BY id DESC" > "$work/meta"
while IFS='|' read -r hpath kind uid gid mode time id; do
  num "$uid" "$gid" "$id"
  case $mode in ''|*[!0-7]*) die "entry $id: mode '$mode' is not octal" ;; esac
  case $time in ''|*[!0-9.-]*) die "entry $id: time '$time' is not a number" ;; esac
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
