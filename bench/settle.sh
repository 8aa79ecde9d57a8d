# Sourced by the benches. settle TREE: brings the machine to the state every measured run starts from —
# - the tree is in the page cache: borg reads with POSIX_FADV_DONTNEED and drops every file it read from the
#   cache, so whichever tool ran right after borg read the tree from disk (cvmpreserve, in the fixed order of
#   earlier versions of bench/run.sh: its cold snapshot measured 1.74 × tar+zstd there while it took 1.2 × run
#   alone; in a test, 0.65-0.80 s right after borg against 0.32-0.53 s for the same build run next);
# - the previous run's writes are on disk (sync) and the kernel has no write-back left in flight (Dirty and
#   Writeback of /proc/meminfo near zero), so no tool pays for another's deferred I/O: tar's output, never
#   fsync'ed, would otherwise be written back during the next tool's run, and every fsync/syncfs waits for it.
settle() {
  local i
  tar -C "$1" -cf - . | cat >/dev/null   # GNU tar reads nothing when its output is /dev/null itself
  sync
  for ((i = 0; i < 50; i++)); do
    awk '/^(Dirty|Writeback):/ { s += $2 } END { exit !(s < 1024) }' /proc/meminfo && break
    sleep 0.1
  done
}
