#!/usr/bin/python3
"""A vtfs mount whose only seeder is transmission-daemon, then one whose
only seeder is `vtfs --seed`.

A 40 MiB multi-file torrent (64 KiB pieces, small files that share pieces,
an empty file, a short last piece) is announced to opentracker
(127.0.64.1).  For each seeder alone (transmission-daemon on 127.0.64.2,
`vtfs --seed` on 127.0.64.3; each stopped before the next starts) vtfs
mounts the torrent with --on-demand (listening on its own address, finding
the seeder through the tracker: transmission never dials 127.x, so the
mount dials it) and, through the mount: reads across every piece boundary
and every file boundary, 200 random-offset reads of random sizes, then
every file's sha256; everything must equal the originals.  fusermount3 -u
must end the daemon.  Then a mount made before any seeder exists, and
transmission started after it (127.0.64.4): the mount, alone, must ask
its tracker (vtfs-tracker on 127.0.64.5, interval 30 min) again within
its min interval and read big.bin in full.
Prints how long each seeder took.

Environment: VTFS_BIN, VTFS_TRACKER_BIN.  Needs /dev/fuse, opentracker, mktorrent,
transmission-daemon, transmission-remote, python3-libtorrent; fails loudly
when one is missing.  Arguments: seeder names to run only those
(transmission, vtfs, late).
"""
import hashlib
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlkit as k  # noqa: E402

k.need("mktorrent", "opentracker", "fusermount3", "transmission-daemon",
       "transmission-remote")
if not os.path.exists("/dev/fuse"):
    k.die("/dev/fuse missing")
import fskit  # noqa: E402
import seedkit as sk  # noqa: E402

import libtorrent as lt  # noqa: E402

PIECE_LOG2 = 16
PIECE = 1 << PIECE_LOG2
IP_TRACKER = "127.0.64.1"
IP_SEEDER = {"transmission": "127.0.64.2", "vtfs": "127.0.64.3"}
IP_MOUNT = {"transmission": "127.0.64.10", "vtfs": "127.0.64.11"}
IP_PROBE = "127.0.64.250"               # asks the tracker who it lists
READ_TIMEOUT = 60

work = k.tmpdir("mountseed")
sizes = {
    "big.bin": (24 << 20) + 12345,      # the short last piece is its end
    "a.bin": 3000000,
    "empty": 0,
    "sub/b.bin": (12 << 20) - 7,
    "sub/c.txt": 6,
}
for i in range(6):                      # several files in one piece
    sizes["small/s%d.bin" % i] = 20000 + i * 999
T = k.tracker_torrent(work, "top", sizes, IP_TRACKER, PIECE_LOG2)
data, tor, url, ih = T["data"], T["torrent"], T["url"], T["ih"]
orig = {}
for rel in sizes:
    with open(os.path.join(T["top"], rel), "rb") as f:
        orig[rel] = f.read()
ti = lt.torrent_info(tor)
fs = ti.files()
layout = []                             # (relpath, torrent offset, size)
for i in range(fs.num_files()):
    layout.append((fs.file_path(i).split("/", 1)[1], fs.file_offset(i),
                   fs.file_size(i)))
k.log("torrent %s: %d files, %d pieces of %d KiB" %
      (ih, len(layout), ti.num_pieces(), PIECE >> 10))
procs = fskit.Procs()


def boundary_reads():
    """(relpath, offset, size): reads around each piece boundary inside a
    file and around each file's start and end (where a piece holds the end
    of one file and the start of the next)."""
    out = []
    for rel, start, size in layout:
        if size == 0:
            continue
        offs = {0, size - 1, max(0, size - 7)}
        first = (start + PIECE - 1) // PIECE * PIECE
        for b in range(first, start + size, PIECE):
            offs |= {b - start - 1, b - start, b - start + 1}
        for off in sorted(o for o in offs if 0 <= o < size):
            for n in (1, 2, 4096, PIECE + 2):
                out.append((rel, off, n))
        out.append((rel, size, 10))     # at EOF: nothing
    return out


def read_everything(mnt):
    """Checks of one mount; returns the seconds the reads took."""
    root = os.path.join(mnt, "top")
    t0 = time.monotonic()
    rel0, off0, n0 = layout[0][0], 0, 1
    ok = fskit.read_at(os.path.join(root, rel0), off0, n0) == \
        orig[rel0][off0:off0 + n0]
    first = time.monotonic() - t0
    k.check(ok, "first byte through the mount (%.1f s)" % first)
    bad = []
    reads = boundary_reads()
    for rel, off, n in reads:
        if fskit.read_at(os.path.join(root, rel), off, n) != \
                orig[rel][off:off + n]:
            bad.append("%s@%d+%d" % (rel, off, n))
    k.check(not bad, "%d reads across piece and file boundaries%s" %
            (len(reads), ": differ: " + ", ".join(bad[:10]) if bad else ""))
    rnd = random.Random(64)
    names = [rel for rel, _, size in layout if size > 0]
    bad = []
    for _ in range(200):
        rel = rnd.choice(names)
        b = orig[rel]
        off = rnd.randrange(0, len(b))
        n = rnd.choice([1, 17, 4096, PIECE - 1, PIECE + 1, 200000, 1 << 20])
        if fskit.read_at(os.path.join(root, rel), off, n) != b[off:off + n]:
            bad.append("%s@%d+%d" % (rel, off, n))
    k.check(not bad, "200 random-offset reads of random sizes%s" %
            (": differ: " + ", ".join(bad[:10]) if bad else ""))
    bad = [rel for rel in sizes if fskit.sha256(os.path.join(root, rel)) !=
           hashlib.sha256(orig[rel]).hexdigest()]
    k.check(not bad, "sha256 of every file (%d files)%s" %
            (len(sizes), ": differ: " + ", ".join(bad) if bad else ""))
    k.check(sorted(os.listdir(root)) == ["a.bin", "big.bin", "empty",
                                         "small", "sub"],
            "the listing shows the torrent's top-level names")
    return time.monotonic() - t0


def wait_listed(ip, secs=60):
    """Until the tracker lists ip: the mount asks it once, at start."""
    deadline = time.time() + secs
    while time.time() < deadline:
        got = k.tracker_peers(url, ih, IP_PROBE) or set()
        if ip in set(a.rsplit(":", 1)[0] for a in got):
            return True
        time.sleep(0.3)
    return False


def mount_and_read(name):
    k.check(wait_listed(IP_SEEDER[name]),
            "%s: the tracker lists the seeder" % name)
    mnt = os.path.join(work, "m-" + name)
    cache = os.path.join(work, "c-" + name)
    os.makedirs(mnt)
    ip = IP_MOUNT[name]
    r = subprocess.run([k.VTFS, tor, mnt, "--cache-dir", cache, "--listen",
                        "%s:%d" % (ip, k.free_port(ip)), "--on-demand", "-v",
                        "--read-timeout", str(READ_TIMEOUT)],
                       capture_output=True, text=True, timeout=60)
    if not k.check(r.returncode == 0, "%s: vtfs mounts%s" %
                   (name, r.returncode and ": " + r.stderr.strip() or "")):
        return None
    procs.mounts.append(mnt)
    took = None
    try:
        took = read_everything(mnt)
        st = fskit.vtfs_status(mnt)
        k.log("%s: reads took %.1f s, %d bytes downloaded" %
              (name, took, st.get("downloaded", -1)))
    except OSError as e:
        k.check(False, "%s: reads through the mount: %s" % (name, e))
        logp = os.path.join(cache, ih, "vtfs.log")
        if os.path.exists(logp):
            k.log("%s: the mount's log:\n%s" % (name, sk.read(logp)[-4000:]))
    finally:
        k.check(fskit.unmount_and_wait(mnt),
                "%s: fusermount3 -u ends the daemon" % name)
    return took


def with_transmission():
    ip = IP_SEEDER["transmission"]
    p, port = k.start_transmission(work, ip, tor, data)
    k.log("transmission-daemon seeds on %s:%d" % (ip, port))
    try:
        return mount_and_read("transmission")
    finally:
        k.stop(p)


def with_vtfs_seed():
    seed, port, slog = sk.start_seed(work, tor, data, IP_SEEDER["vtfs"])
    k.check(sk.wait_log(slog, "pieces verified", seed, 120) is not None,
            "vtfs --seed checked its data")
    try:
        return mount_and_read("vtfs")
    finally:
        seed.send_signal(signal.SIGINT)
        k.check(sk.wait_exit(seed, 15) == 0, "vtfs --seed exits 0")


def with_late_transmission():
    """Mounted before any seeder exists; then transmission (which never
    dials 127.x peers) starts.  The torrent announces to vtfs-tracker
    (127.0.64.5) with an interval of 30 min: the mount, finding no peer,
    must ask again after the tracker's min interval (60 s) to learn of
    the seeder and dial it, well before its read times out."""
    tbin = os.environ.get("VTFS_TRACKER_BIN", "")
    if not k.check(os.access(tbin, os.X_OK),
                   "late: VTFS_TRACKER_BIN is the vtfs-tracker program"):
        return None
    tip = "127.0.64.5"
    tport = k.free_port(tip)
    tp = k.spawn([tbin, "-f", "--listen", "%s:%d" % (tip, tport),
                  "--interval", "1800", "--log-level", "debug"],
                 os.path.join(work, "vtfs-tracker.log"))
    k.wait_listen(tip, tport, tp, "vtfs-tracker")
    turl = "http://%s:%d/announce" % (tip, tport)
    ttor = os.path.join(work, "late.torrent")
    k.make_torrent(T["top"], ttor, PIECE_LOG2, turl)
    mnt = os.path.join(work, "m-late")
    cache = os.path.join(work, "c-late")
    os.makedirs(mnt)
    ip = "127.0.64.12"
    r = subprocess.run([k.VTFS, ttor, mnt, "--cache-dir", cache, "--listen",
                        "%s:%d" % (ip, k.free_port(ip)), "--on-demand", "-v",
                        "--read-timeout", "100"],
                       capture_output=True, text=True, timeout=60)
    if not k.check(r.returncode == 0, "late: vtfs mounts%s" %
                   (r.returncode and ": " + r.stderr.strip() or "")):
        return None
    procs.mounts.append(mnt)
    p = None
    took = None
    try:
        listed = False
        for _ in range(100):
            got = k.tracker_peers(turl, ih, IP_PROBE) or set()
            if ip in set(a.rsplit(":", 1)[0] for a in got):
                listed = True
                break
            time.sleep(0.3)
        k.check(listed, "late: the tracker lists the mount")
        p, port = k.start_transmission(work, "127.0.64.4", ttor, data)
        t0 = time.monotonic()
        k.log("late: transmission-daemon seeds on 127.0.64.4:%d" % port)
        path = os.path.join(mnt, "top", "big.bin")
        try:
            got = fskit.sha256(path)
        except OSError as e:
            got = "read failed: %s" % e
        took = time.monotonic() - t0
        k.check(got == hashlib.sha256(orig["big.bin"]).hexdigest(),
                "late: big.bin read through the mount (%s) %.1f s after "
                "the seeder started" % (got[:16], took))
        if not k.check(took < 100, "late: the mount found the seeder "
                       "within 100 s (tracker interval 30 min)"):
            logp = os.path.join(cache, ih, "vtfs.log")
            if os.path.exists(logp):
                k.log("late: the mount's log:\n%s" % sk.read(logp)[-4000:])
    finally:
        k.check(fskit.unmount_and_wait(mnt),
                "late: fusermount3 -u ends the daemon")
        k.stop(p)
    return took


only = sys.argv[1:]
times = {}
try:
    if not only or "transmission" in only:
        times["transmission"] = with_transmission()
    if not only or "vtfs" in only:
        times["vtfs --seed"] = with_vtfs_seed()
    if not only or "late" in only:
        times["transmission started after the mount"] = \
            with_late_transmission()
finally:
    procs.cleanup()
    left = [m for m in procs.mounts if fskit.is_mounted(m)]
    k.check(not left, "no mount left (%r)" % left)
k.log("read times: " + ", ".join("%s %.1f s" % (n, t if t else -1)
                                 for n, t in times.items()))
k.finish("test_mount_seeders")
