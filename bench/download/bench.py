#!/usr/bin/python3
"""bench/download: full-download speed of `vtfs --download` against aria2c
and a python3-libtorrent leecher.

One 1 GiB file (SIZE_MB), 1 MiB pieces, announced to opentracker
(127.0.8.1) and seeded by the same three seeders as /work/shared/bench's
swarm (python3-libtorrent on 127.0.8.2, aria2c on 127.0.8.3,
python3-libtorrent on 127.0.8.4, data trusted, no limits).  Each client
downloads it REPS times into an empty directory (vtfs on 127.0.8.10, aria2c
on 127.0.8.11, libtorrent on 127.0.8.12), found through the tracker; every
run is verified with sha256 and timed from start to exit, after a sync()
so that no client pays for the writeback of the previous one; the order of
the clients rotates between repetitions, after one untimed warm-up download
(the seeders' first reads of their data would otherwise count against
whoever runs first).  Prints one line
per run, the medians and the time ratios.

Usage: VTFS_BIN=build/vtfs /usr/bin/python3 bench/download/bench.py
Environment: SIZE_MB (1024), REPS (3), CLIENTS ("vtfs aria2 lt"),
WORKDIR (/tmp/vtfs-bench-download; the data is kept and reused).
Run as root on an otherwise idle machine; loopback only.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import dlkit as k  # noqa: E402
import fskit  # noqa: E402

SIZE_MB = int(os.environ.get("SIZE_MB", "1024"))
REPS = int(os.environ.get("REPS", "3"))
CLIENTS = os.environ.get("CLIENTS", "vtfs aria2 lt").split()
WORK = os.environ.get("WORKDIR", "/tmp/vtfs-bench-download")
LT_PEER = os.environ.get("LT_PEER", "/work/shared/bench/lt_peer.py")

k.need("mktorrent", "opentracker", "aria2c")
if not os.path.exists(LT_PEER):
    k.die("lt_peer.py not found: set LT_PEER")
os.makedirs(WORK, exist_ok=True)
data, big = k.bench_data(WORK, SIZE_MB)
want = fskit.sha256(big)
run = k.tmpdir("bench")
tport = k.free_port("127.0.8.1")
url = "http://127.0.8.1:%d/announce" % tport
tor = os.path.join(run, "big.torrent")
ih = k.make_torrent(big, tor, 20, url)
k.start_tracker(run, [ih], "127.0.8.1", tport)
s1, p1 = k.start_lt(run, "127.0.8.2", tor, data)
s2, p2 = k.start_aria2(run, "127.0.8.3", tor, data)
s3, p3 = k.start_lt(run, "127.0.8.4", tor, data)
k.log("swarm: tracker %s; seeders lt .2:%d, aria2 .3:%d, lt .4:%d" %
      (url, p1, p2, p3))
time.sleep(2)   # let every seeder announce


def one(client, rep):
    d = os.path.join(run, "dl-%s-%d" % (client, rep))
    os.makedirs(d)
    k.forget_resume()
    os.sync()   # no client pays for the writeback of the one before
    t0 = time.time()
    if client == "vtfs":
        args = [k.VTFS, "--download", tor, "--path", d, "--listen",
                "127.0.8.10:%d" % k.free_port("127.0.8.10")]
        args += os.environ.get("VTFS_ARGS", "").split()
    elif client == "aria2":
        args = ["aria2c", "--no-conf", "--dir=" + d, "--seed-time=0",
                "--enable-dht=false", "--enable-dht6=false",
                "--bt-enable-lpd=false", "--enable-peer-exchange=false",
                "--disable-ipv6=true", "--interface=127.0.8.11",
                "--listen-port=%d" % k.free_port("127.0.8.11"),
                "--file-allocation=none", "--bt-max-peers=0",
                "--summary-interval=0", "--console-log-level=error",
                "--follow-torrent=false", "--auto-save-interval=0",
                "--bt-save-metadata=false", tor]
    else:
        args = ["/usr/bin/python3", LT_PEER, "leech", "--ip", "127.0.8.12",
                "--port", str(k.free_port("127.0.8.12")), "--save", d,
                "--torrent", tor, "--utp", "0", "--timeout", "170"]
    r = subprocess.run(args, capture_output=True, timeout=180)
    dt = time.time() - t0
    with open(os.path.join(WORK, "%s-%d.log" % (client, rep)), "wb") as f:
        f.write(r.stdout + r.stderr)
    path = os.path.join(d, "big.bin")
    ok = (r.returncode == 0 and os.path.exists(path) and
          fskit.sha256(path) == want)
    if not ok:
        k.log("%s failed (exit %d): %s" % (client, r.returncode,
              (r.stdout + r.stderr).decode(errors="replace")[-1500:]))
    shutil.rmtree(d, ignore_errors=True)
    return dt, ok


# One untimed download first: the seeders map and touch their data on the
# first requests, which would otherwise count against whoever runs first.
dt, ok = one(CLIENTS[0], -1)
k.log("warm-up (%s, not counted): %.2f s" % (CLIENTS[0], dt))
times = {c: [] for c in CLIENTS}
for rep in range(REPS):
    # the order rotates from one repetition to the next
    for c in CLIENTS[rep % len(CLIENTS):] + CLIENTS[:rep % len(CLIENTS)]:
        dt, ok = one(c, rep)
        k.log("%-6s rep %d: %6.2f s  %7.1f MiB/s  sha256 %s" %
              (c, rep + 1, dt, SIZE_MB / dt, "ok" if ok else "WRONG"))
        if ok:
            times[c].append(dt)
print()
med = {}
for c in CLIENTS:
    if times[c]:
        med[c] = statistics.median(times[c])
        print("%-6s median %6.2f s  %7.1f MiB/s  (%d/%d runs verified)" %
              (c, med[c], SIZE_MB / med[c], len(times[c]), REPS))
    else:
        print("%-6s no verified run" % c)
if "vtfs" in med:
    for c in CLIENTS:
        if c != "vtfs" and c in med:
            print("time ratio vtfs/%s = %.2f (%s)" %
                  (c, med["vtfs"] / med[c],
                   "vtfs faster" if med["vtfs"] < med[c] else "vtfs slower"))
print(json.dumps({"size_mb": SIZE_MB, "reps": REPS, "times": times}))
k.cleanup()
ok_all = all(len(times[c]) == REPS for c in CLIENTS)
sys.exit(0 if ok_all else 1)
