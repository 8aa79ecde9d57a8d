#!/usr/bin/env python3
"""What making a snapshot's blobs durable costs at its end, on this machine's disk.

    bench/sync-behind.py DIR [none|file|newest|bytes|fs] [ROUNDS]

Writes 186 files of 470 KiB into DIR (a cold snapshot of the bench's Debian tree stages about that many blobs,
88 MB), each followed by sync_file_range(WRITE) as the archive's store does, at the pace of a snapshot (~0.7 s,
the writer busy in between as a compressor would be); then times the one syncfs(2) that makes them durable.
  none    nothing else (the store before its background syncer)
  file    each file fdatasync'ed by a second thread as soon as it is written (the store's StagedFileSyncer)
  newest  the second thread takes every file waiting and fdatasyncs only the newest
  bytes   the second thread fdatasyncs the newest file once 8 MiB were written since its last sync
  fs      a second thread calling syncfs every 80 ms
Where the disk's write cache is the host's (a virtual machine), that syncfs pays for flushing everything written
since the last flush, whatever the page cache's write-back has already done.
"""
import ctypes, os, queue, shutil, sys, threading, time

libc = ctypes.CDLL(None, use_errno=True)
SYNC_FILE_RANGE_WRITE = 2


def one_round(d, mode):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    os.sync()
    data = os.urandom(470 * 1024)
    dfd = os.open(d, os.O_RDONLY)
    q, stop, background = queue.Queue(), threading.Event(), [0]

    def per_file():
        while (fd := q.get()) is not None:
            if not stop.is_set():
                os.fdatasync(fd)
                background[0] += 1
            os.close(fd)

    def newest():
        # All waiting files taken at once, only the newest synced: the device's flush covers the others' bytes
        # that write-back has already sent.
        done = False
        while not done:
            fds = [q.get()]
            while not q.empty():
                fds.append(q.get())
            if fds[-1] is None:
                done = True
                fds.pop()
            if fds and not stop.is_set():
                os.fdatasync(fds[-1])
                background[0] += 1
            for fd in fds:
                os.close(fd)

    def by_bytes():
        # Synced once 8 MiB have been written since the last sync, the newest file only.
        pending, waiting = 0, []
        while (fd := q.get()) is not None:
            waiting.append(fd)
            pending += len(data)
            if pending >= 8 << 20 and not stop.is_set():
                os.fdatasync(fd)
                background[0] += 1
                pending = 0
                for w in waiting:
                    os.close(w)
                waiting = []
        for w in waiting:
            os.close(w)

    def periodic():
        while not stop.is_set():
            time.sleep(0.08)
            libc.syncfs(dfd)
            background[0] += 1

    th = threading.Thread(target={"file": per_file, "newest": newest, "bytes": by_bytes, "fs": periodic}.get(mode, lambda: None))
    th.start()
    t0 = time.time()
    for i in range(186):
        fd = os.open(f"{d}/f{i}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, data)
        libc.sync_file_range(fd, ctypes.c_long(0), ctypes.c_long(0), SYNC_FILE_RANGE_WRITE)
        if mode in ("file", "newest", "bytes"):
            q.put(fd)
        else:
            os.close(fd)
        end = time.time() + 0.7 / 186
        while time.time() < end:
            pass
    t1 = time.time()
    stop.set()
    q.put(None)
    t2 = time.time()
    libc.syncfs(dfd)
    t3 = time.time()
    th.join()
    os.close(dfd)
    shutil.rmtree(d)
    print(f"{mode}: writing {t1 - t0:.3f} s, the final syncfs {1000 * (t3 - t2):.1f} ms ({background[0]} syncs behind)")


if __name__ == "__main__":
    directory, mode = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "none"
    for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 3):
        one_round(directory, mode)
