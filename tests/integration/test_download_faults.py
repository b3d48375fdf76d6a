#!/usr/bin/python3
"""`vtfs --download` when seeders fail, and across restarts.

A 64 MiB multi-file torrent (256 KiB pieces) seeded by rate-limited
python3-libtorrent seeders and aria2c, each on its own 127.0.8.2x address:
 - a seeder killed (SIGKILL) mid-download: vtfs completes from the others;
 - the only seeder gone: vtfs keeps waiting, and completes once a seeder
   comes back on the same address;
 - Ctrl-C (SIGINT) mid-download: vtfs exits within a second with status 130,
   and the next run fetches only what is missing;
 - kill -9 at about 50 %: the next run rechecks what is on disk and fetches
   only the missing pieces (bytes received checked against the data left).
Every run's files must match the originals' sha256.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlkit as k  # noqa: E402

k.need("mktorrent", "aria2c")
MB = 64
RATE = 6 << 20   # bytes/s per libtorrent seeder
TOTAL = MB << 20

work = k.tmpdir("faults")
data = os.path.join(work, "data")
k.make_tree(data, "tree", {
    "a.bin": 40 << 20,
    "d/b.bin": (24 << 20) - 4321,
    "d/c.txt": 4321,
})
want = k.tree_sums(os.path.join(data, "tree"))
tor = os.path.join(work, "tree.torrent")
k.make_torrent(os.path.join(data, "tree"), tor, 18, None)


def progress(dest):
    return k.dir_bytes(os.path.join(dest, "tree")) / TOTAL


def wait_progress(p, dest, frac, limit=60):
    t0 = time.time()
    while time.time() - t0 < limit:
        if progress(dest) >= frac:
            return True
        if p.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def wait_exit(p, limit):
    try:
        return p.wait(timeout=limit)
    except Exception:
        k.stop(p, signal.SIGKILL)
        return None


def sums_ok(dest, what):
    k.check(k.tree_sums(os.path.join(dest, "tree")) == want,
            what + ": sha256 of every file")


def newdest(tag):
    d = os.path.join(work, "dl-" + tag)
    os.makedirs(d)
    k.forget_resume()
    return d


vlog = os.path.join(work, "vtfs.log")

# 1. One seeder of three killed mid-download.
s1, p1 = k.start_lt(work, "127.0.8.21", tor, data, RATE)
s2, p2 = k.start_lt(work, "127.0.8.22", tor, data, RATE)
s3, p3 = k.start_aria2(work, "127.0.8.23", tor, data)
dest = newdest("kill1")
peers = ["127.0.8.21:%d" % p1, "127.0.8.22:%d" % p2, "127.0.8.23:%d" % p3]
v = k.vtfs_spawn(tor, dest, "127.0.8.31", peers, False, logpath=vlog)
k.check(wait_progress(v, dest, 0.25), "seeder kill: 25 % reached")
k.stop(s1, signal.SIGKILL)
k.stop(s3, signal.SIGKILL)
k.log("killed the libtorrent seeder on .21 and aria2c at %.0f %%" %
      (100 * progress(dest)))
rc = wait_exit(v, 90)
k.check(rc == 0, "seeder kill: vtfs completed from the other (exit %s)" % rc)
sums_ok(dest, "seeder kill")
k.stop(s2)

# 2. Every seeder gone, then one comes back on the same address.
s1, p1 = k.start_lt(work, "127.0.8.24", tor, data, RATE)
dest = newdest("gone")
v = k.vtfs_spawn(tor, dest, "127.0.8.32", ["127.0.8.24:%d" % p1], False,
                 logpath=vlog)
k.check(wait_progress(v, dest, 0.2), "all gone: 20 % reached")
k.stop(s1, signal.SIGKILL)
before = progress(dest)
time.sleep(4)
k.check(v.poll() is None, "all gone: vtfs still waiting after 4 s")
k.check(progress(dest) - before < 0.02, "all gone: nothing arrives")
import subprocess  # noqa: E402
s1 = k.spawn([k.PY, os.path.join(k.HERE, "dlkit.py"), "ltseed", "--ip",
              "127.0.8.24", "--port", str(p1), "--save", data, "--torrent",
              tor, "--rate", str(RATE), "--status",
              os.path.join(work, "back.json")],
             os.path.join(work, "back.log"))
rc = wait_exit(v, 90)
k.check(rc == 0, "all gone: completed once the seeder came back (exit %s)"
        % rc)
sums_ok(dest, "seeder back")
k.stop(s1)

# 3. Ctrl-C, resume; kill -9 at ~50 %, resume with recheck.
s1, p1 = k.start_lt(work, "127.0.8.25", tor, data, RATE)
peer = ["127.0.8.25:%d" % p1]
dest = newdest("restart")
v = k.vtfs_spawn(tor, dest, "127.0.8.33", peer, False, logpath=vlog)
k.check(wait_progress(v, dest, 0.2), "restart: 20 % reached")
t0 = time.time()
os.kill(v.pid, signal.SIGINT)
rc = wait_exit(v, 10)
dt = time.time() - t0
k.check(rc == 130, "Ctrl-C: exit status %s (want 130)" % rc)
k.check(dt < 1.0, "Ctrl-C: stopped in %.2f s" % dt)
have1 = k.dir_bytes(os.path.join(dest, "tree"))

v = k.vtfs_spawn(tor, dest, "127.0.8.33", peer, False, logpath=vlog)
k.check(wait_progress(v, dest, 0.5), "restart: 50 % reached")
k.stop(v, signal.SIGKILL)
have2 = k.dir_bytes(os.path.join(dest, "tree"))
k.log("on disk: %.1f MiB after Ctrl-C, %.1f MiB after kill -9" %
      (have1 / 2**20, have2 / 2**20))
rc, out, secs = k.vtfs_download(tor, dest, "127.0.8.33", peer, False,
                                timeout=90, logpath=vlog)
k.check(rc == 0, "restart after kill -9: exit %d" % rc)
got = k.received_bytes(out)
left = TOTAL - have2
slack = 8 << 20   # pieces cut short by the kill are fetched again
k.check(got is not None and got <= left + slack,
        "restart after kill -9: received %s bytes, %d were missing"
        % (got, left))
k.check(got is not None and got >= left - slack,
        "restart after kill -9: received about what was missing")
sums_ok(dest, "restart")
k.finish("test_download_faults")
