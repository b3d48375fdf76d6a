#!/usr/bin/python3
"""Integration test of the mount's capped piece cache (--cache-size) with a
real mount and a python3-libtorrent seeder on loopback (127.0.14.x).

A 32 MiB file (64 KiB pieces) is mounted with --cache-size 4M and read
sequentially through the mount: its sha256 must match, and the cache's
disk usage (allocated blocks under --cache-dir), sampled during the read,
must stay under the cap plus a bound of in-flight pieces (the readahead
window is kept out of eviction).  Then the mount is remounted on the same
cache dir (evicted pieces are not trusted by the resume record) and read
again, which re-fetches the evicted pieces: the sha256 matches again.
On that mount, four threads then read random ranges with O_DIRECT (past
the page cache: every read reaches the daemon) for RANDOM_S seconds, so
that pieces are evicted and fetched again while other reads copy them:
every byte read must be the file's (a hole's zeros never pass as data).
Then INTR_READERS processes read random ranges the same way while the
test sends them SIGINT every 20 ms for INTR_S seconds: FUSE interrupts
cancel parked reads while pieces arrive and complete other ones (a late
cancel must touch no other read); every read ends in EINTR or the right
bytes, no reader hangs, and the daemon serves on.

Environment: VTFS_BIN.  Needs root (or FUSE), mktorrent, fusermount3,
python3-libtorrent; fails loudly when one is missing.
"""
import hashlib
import json
import mmap
import os
import random
import select
import signal
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fskit  # noqa: E402

VTFS = os.environ.get("VTFS_BIN", "")
PIECE = 65536
SIZE = 32 << 20
CAP = 4 << 20
# Over the cap: the readahead window (pieces kept while read) and one
# tick's worth of arrivals before eviction catches up.
SLACK = 12 << 20
RANDOM_S = 10
RANDOM_SIZES = (4096, 65536, 200704, 1 << 20)
INTR_S = 10
INTR_READERS = 6
# One reader under SIGINT: random O_DIRECT reads of argv[1] checked
# against argv[2] until the file argv[5] exists (argv[3] seconds at most;
# a file, not a signal: Python may run a handler late when another one
# raised); a SIGINT during a read ends that read (the handler raises), any
# other is ignored.  Prints "go" once its handler is in place, its counts
# at the end.
INTR_READER = r"""
import json, mmap, os, random, signal, sys, time
path, src, secs, seed, stopfile = sys.argv[1], sys.argv[2], \
    float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
class Intr(Exception):
    pass
reading = [False]
def on_int(sig, frame):
    if reading[0]:
        reading[0] = False
        raise Intr()
signal.signal(signal.SIGINT, on_int)
rng = random.Random(seed)
buf = mmap.mmap(-1, 1 << 20)
fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
sfd = os.open(src, os.O_RDONLY)
total = os.fstat(sfd).st_size
ok = intr = bad = 0
end = time.monotonic() + secs
print("go", flush=True)
while not os.path.exists(stopfile) and time.monotonic() < end:
    size = rng.choice((4096, 65536, 1 << 20))
    off = rng.randrange(0, total - size + 1, 4096)
    try:
        reading[0] = True
        n = os.preadv(fd, [memoryview(buf)[:size]], off)
        reading[0] = False
    except Intr:
        intr += 1
        continue
    if n == size and buf[:size] == os.pread(sfd, size, off):
        ok += 1
    else:
        bad += 1
print(json.dumps({"ok": ok, "intr": intr, "bad": bad}), flush=True)
"""
IP_VTFS = "127.0.14.2"
IP_SEED = "127.0.14.3"

results = fskit.results
check = fskit.check


def die(msg):
    print("test_cache_cap: FATAL: " + msg, file=sys.stderr)
    sys.exit(2)


def disk_usage(top):
    n = 0
    for d, _, files in os.walk(top):
        for f in files:
            try:
                n += os.lstat(os.path.join(d, f)).st_blocks * 512
            except OSError:
                pass
    return n


def read_sampling(path, cache):
    """sha256 of path read sequentially; the peak cache usage meanwhile."""
    peak = [0]
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            peak[0] = max(peak[0], disk_usage(cache))
            time.sleep(0.05)
    t = threading.Thread(target=sampler)
    t.start()
    h = hashlib.sha256()
    t0 = time.monotonic()
    try:
        with open(path, "rb") as f:
            while True:
                if time.monotonic() - t0 > 120:
                    raise RuntimeError("read took over 120 s")
                b = f.read(1 << 20)
                if not b:
                    break
                h.update(b)
    finally:
        stop.set()
        t.join()
    peak[0] = max(peak[0], disk_usage(cache))
    return h.hexdigest(), peak[0]


def random_reads(path, want, secs, nthreads=4):
    """Threads read random ranges of path with O_DIRECT for secs seconds
    and compare them with want (the file's bytes).  Returns (reads, bad
    offsets, errors)."""
    deadline = time.monotonic() + secs
    counts = [0] * nthreads
    bad, errors = [], []

    def worker(i):
        rng = random.Random(1000 + i)
        buf = mmap.mmap(-1, max(RANDOM_SIZES))
        fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
        try:
            while time.monotonic() < deadline:
                size = rng.choice(RANDOM_SIZES)
                off = rng.randrange(0, SIZE - size + 1, 4096)
                n = os.preadv(fd, [memoryview(buf)[:size]], off)
                if n != size or buf[:size] != want[off:off + size]:
                    bad.append(off)
                counts[i] += 1
        except OSError as e:
            errors.append(str(e))
        finally:
            os.close(fd)
            buf.close()
    ts = [threading.Thread(target=worker, args=(i,), daemon=True)
          for i in range(nthreads)]
    for t in ts:
        t.start()
    for t in ts:
        # A parked read ends by the daemon's read deadline at worst.
        t.join(secs + 120)
        if t.is_alive():
            errors.append("a reader hung")
    return sum(counts), bad, errors


def interrupted_reads(procs, path, src, secs, stopfile):
    """INTR_READERS reader processes under a SIGINT every 20 ms for secs
    seconds.  Returns (ok, interrupted, bad, errors)."""
    rs = [procs.spawn(["/usr/bin/python3", "-c", INTR_READER, path, src,
                       str(secs + 60), str(2000 + i), stopfile],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                      text=True)
          for i in range(INTR_READERS)]
    rng = random.Random(7)
    errors = []
    # No SIGINT before a reader's handler is in place.
    deadline = time.monotonic() + 60
    for r in rs:
        ready = select.select([r.stdout], [], [],
                              max(0, deadline - time.monotonic()))[0]
        if not ready or r.stdout.readline().strip() != "go":
            errors.append("a reader did not start")
    if errors:
        for r in rs:
            procs.kill(r)
        return 0, 0, 0, errors
    end = time.monotonic() + secs
    while time.monotonic() < end:
        r = rng.choice(rs)
        if r.poll() is None:
            r.send_signal(signal.SIGINT)
        time.sleep(0.02)
    # The signals are over: only now may the readers stop (a SIGINT sent
    # to a reader that was already leaving would kill it).
    with open(stopfile, "w"):
        pass
    tot = {"ok": 0, "intr": 0, "bad": 0}
    for r in rs:
        try:
            out, err = r.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            procs.kill(r)
            errors.append("a reader hung")
            continue
        if r.returncode != 0:
            errors.append("reader exit %d: %s" % (r.returncode,
                                                  err.strip()[-300:]))
            continue
        for k, v in json.loads(out.strip().splitlines()[-1]).items():
            tot[k] += v
    return tot["ok"], tot["intr"], tot["bad"], errors


def mount(procs, torrent, mnt, cache, port):
    os.makedirs(mnt, exist_ok=True)
    r = subprocess.run([VTFS, torrent, mnt, "--cache-dir", cache,
                        "--cache-size", str(CAP), "--listen", IP_VTFS,
                        "--no-trackers", "--peer",
                        "%s:%d" % (IP_SEED, port)],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        die("mount failed: " + r.stderr)
    procs.mounts.append(mnt)


def unmount(mnt):
    pid = fskit.vtfs_status(mnt)["pid"]
    subprocess.run(["fusermount3", "-u", mnt], check=False)
    if not fskit.wait_for(lambda: not os.path.exists("/proc/%d" % pid), 15):
        die("daemon still alive after fusermount3 -u")


def main():
    if not VTFS or not os.access(VTFS, os.X_OK):
        die("VTFS_BIN is not set to the vtfs program")
    for tool in ("mktorrent", "fusermount3"):
        if shutil.which(tool) is None:
            die(tool + " is missing")
    if subprocess.run(["/usr/bin/python3", "-c", "import libtorrent"],
                      capture_output=True).returncode != 0:
        die("python3-libtorrent is missing")
    work = tempfile.mkdtemp(prefix="vtfs-cachecap-")
    procs = fskit.Procs()
    try:
        save = os.path.join(work, "seed")
        os.makedirs(save)
        data = os.path.join(save, "big.bin")
        with open(data, "wb") as f:
            f.write(os.urandom(SIZE))
        want = fskit.sha256(data)
        torrent = os.path.join(work, "big.torrent")
        subprocess.run(["mktorrent", "-l", "16", "-o", torrent, data],
                       stdout=subprocess.DEVNULL,
                       check=True)
        port = fskit.free_port(IP_SEED)
        fskit.start_seeder(procs, IP_SEED, port, save, torrent)
        cache = os.path.join(work, "cache")
        mnt = os.path.join(work, "mnt")

        mount(procs, torrent, mnt, cache, port)
        got, peak = read_sampling(os.path.join(mnt, "big.bin"), cache)
        check("sequential read sha256", got == want)
        print("cache peak %.1f MiB (cap %.1f MiB, file %.1f MiB)" %
              (peak / 1048576, CAP / 1048576, SIZE / 1048576), flush=True)
        check("cache stays under cap + slack", peak <= CAP + SLACK,
              "peak %d" % peak)
        check("cache evicted (far below the file)", peak < SIZE // 2,
              "peak %d" % peak)
        st = fskit.vtfs_status(mnt)
        print("status cache_used: %s" % st.get("cache_used"), flush=True)
        unmount(mnt)

        mount(procs, torrent, mnt, cache, port)
        got, peak = read_sampling(os.path.join(mnt, "big.bin"), cache)
        check("re-read after remount (re-fetched) sha256", got == want)
        check("re-read: cache under cap + slack", peak <= CAP + SLACK,
              "peak %d" % peak)
        with open(data, "rb") as f:
            whole = f.read()
        n, bad, errors = random_reads(os.path.join(mnt, "big.bin"), whole,
                                      RANDOM_S)
        check("%d random O_DIRECT reads by 4 threads while the cache "
              "evicts and re-fetches: every byte right" % n,
              n > 0 and not bad and not errors,
              "bad at %s, errors %s" % (bad[:5], errors[:3]))
        t0 = time.monotonic()
        ok, intr, nbad, errors = interrupted_reads(
            procs, os.path.join(mnt, "big.bin"), data, INTR_S,
            os.path.join(work, "stop"))
        check("%d readers under SIGINT every 20 ms: %d reads right, %d "
              "interrupted, none wrong, none hung (%.1fs)" % (
                  INTR_READERS, ok, intr, time.monotonic() - t0),
              ok > 0 and intr > 0 and nbad == 0 and not errors,
              "bad %d, errors %s" % (nbad, errors[:3]))
        st = fskit.vtfs_status(mnt)
        check("the daemon serves on after the interrupts",
              st.get("pid", 0) > 0)
        unmount(mnt)
    finally:
        procs.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    print("test_cache_cap: %d passed, %d failed" %
          (results["pass"], results["fail"]))
    return 1 if results["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
