#!/usr/bin/python3
"""bench/seed: how fast one seeder gets a torrent to three leechers,
`vtfs --seed` against transmission-daemon as that seeder.

One 1 GiB file (SIZE_MB), 1 MiB pieces, announced to opentracker
(127.0.90.1).  A round starts one seeder alone (vtfs --seed on 127.0.90.2,
or transmission-daemon on 127.0.90.3, both with no rate limit), waits until
it has checked its data and announced, then starts three aria2c leechers at
once (127.0.90.11-13, each with an empty directory, leaving as soon as they
complete, as --seed-time=0 does) and times until the last one exits; every
leecher's file is verified with sha256.  The tracker is restarted for every
round, so no leecher learns of a seeder of an earlier round.  The leechers
also trade among themselves, the same way in every round; what the seeder
sent is printed too (torrents' worth: 3 would be a star).  The seeders
alternate between rounds after one untimed warm-up round (the first reads
of the data from disk would otherwise count against whoever runs first).

Prints one line per round, the medians and the time ratio vtfs/transmission
(below 1: vtfs is faster).

Usage: VTFS_BIN=build-rel/vtfs /usr/bin/python3 bench/seed/bench.py
Environment: SIZE_MB (1024), REPS (3), SEEDERS ("vtfs tr"),
WORKDIR (/tmp/vtfs-bench-seed; the data is kept and reused), TIMEOUT (300 s
a round).  Run as root on an otherwise idle machine; loopback only.
"""
import json
import os
import re
import shutil
import signal
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
SEEDERS = os.environ.get("SEEDERS", "vtfs tr").split()
WORK = os.environ.get("WORKDIR", "/tmp/vtfs-bench-seed")
TIMEOUT = float(os.environ.get("TIMEOUT", "300"))
TRACKER_IP = "127.0.90.1"
SEED_IP = {"vtfs": "127.0.90.2", "tr": "127.0.90.3"}
LEECH_IPS = ["127.0.90.11", "127.0.90.12", "127.0.90.13"]

k.need("mktorrent", "opentracker", "aria2c", "transmission-daemon",
       "transmission-remote")
os.makedirs(WORK, exist_ok=True)
data, big = k.bench_data(WORK, SIZE_MB)
want = fskit.sha256(big)
run = k.tmpdir("bench-seed")
tport = k.free_port(TRACKER_IP)
tor = os.path.join(run, "big.torrent")
ih = k.make_torrent(big, tor, 20,
                    "http://%s:%d/announce" % (TRACKER_IP, tport))


def tr_uploaded(ip, rpc):
    """Bytes transmission says it uploaded, from transmission-remote -i."""
    r = subprocess.run(["transmission-remote", "%s:%d" % (ip, rpc), "-t",
                        "all", "-i"], capture_output=True, text=True)
    m = re.search(r"Uploaded:\s*([\d.]+)\s*(\w+)", r.stdout)
    if not m:
        return None
    mult = {"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9,
            "KiB": 1024, "MiB": 1 << 20, "GiB": 1 << 30}.get(m.group(2))
    return int(float(m.group(1)) * mult) if mult else None


def start_seeder(kind, rnd):
    """The seeder of a round, ready and announced; returns (proc, report)
    where report() gives the bytes it uploaded, read before it stops."""
    ip = SEED_IP[kind]
    if kind == "vtfs":
        logp = os.path.join(run, "vtfs-seed-%d.log" % rnd)
        p = k.spawn([k.VTFS, "--seed", tor, "--path", data, "--listen",
                     "%s:%d" % (ip, k.free_port(ip))], logp)
        deadline = time.time() + 60
        while time.time() < deadline and p.poll() is None:
            with open(logp, errors="replace") as f:
                if "pieces verified" in f.read():
                    break
            time.sleep(0.1)
        else:
            k.die("vtfs --seed did not check its data")

        def report():
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                return None
            with open(logp, errors="replace") as f:
                m = re.findall(r"sent [^(]*\((\d+) bytes\)", f.read())
            return int(m[-1]) if m else None
        return p, report
    p, _ = k.start_transmission(run, ip, tor, data)
    cfg = os.path.join(run, "tr-" + ip, "settings.json")
    with open(cfg) as f:
        rpc = json.load(f)["rpc-port"]

    base = tr_uploaded(ip, rpc) or 0    # it keeps counting across restarts

    def report():
        up = tr_uploaded(ip, rpc)
        return None if up is None else up - base
    return p, report


def leech(ip, d):
    return k.spawn(["aria2c", "--no-conf", "--dir=" + d, "--seed-time=0",
                    "--enable-dht=false", "--enable-dht6=false",
                    "--bt-enable-lpd=false", "--enable-peer-exchange=false",
                    "--disable-ipv6=true", "--interface=" + ip,
                    "--listen-port=%d" % k.free_port(ip),
                    "--file-allocation=none", "--bt-max-peers=0",
                    "--summary-interval=0", "--console-log-level=error",
                    "--follow-torrent=false", "--auto-save-interval=0",
                    "--bt-save-metadata=false", "--bt-tracker-interval=2",
                    tor], os.path.join(run, "aria2-%s.log" % ip))


def one(kind, rnd):
    """A round; returns (seconds until the last leecher is done, all
    verified, bytes the seeder sent)."""
    tr, _ = k.start_tracker(run, [ih], TRACKER_IP, tport)
    seeder, report = start_seeder(kind, rnd)
    time.sleep(1.5)     # its first announce is in
    os.sync()           # no round pays for the writeback of the one before
    dirs = [os.path.join(run, "dl-%s-%d-%d" % (kind, rnd, i))
            for i in range(len(LEECH_IPS))]
    t0 = time.time()
    procs = []
    for ip, d in zip(LEECH_IPS, dirs):
        os.makedirs(d)
        procs.append(leech(ip, d))
    ends = [None] * len(procs)
    while time.time() - t0 < TIMEOUT and None in ends:
        for i, p in enumerate(procs):
            if ends[i] is None and p.poll() is not None:
                ends[i] = time.time() - t0
        time.sleep(0.05)
    dt = time.time() - t0
    ok = None not in ends and all(p.returncode == 0 for p in procs)
    for p in procs:
        k.stop(p)
    sent = report()
    k.stop(seeder)
    k.stop(tr)
    for d in dirs:
        path = os.path.join(d, "big.bin")
        ok = ok and os.path.exists(path) and fskit.sha256(path) == want
        shutil.rmtree(d, ignore_errors=True)
    k.log("%-4s round %d: %6.2f s (leechers done at %s)  seeder sent %s  "
          "sha256 %s" % (kind, rnd, dt,
                         ", ".join("%.2f" % e if e else "-" for e in ends),
                         "%.2f torrents" % (sent / (SIZE_MB << 20))
                         if sent else "?", "ok" if ok else "WRONG"))
    return dt, ok, sent


k.forget_resume()
dt, ok, _ = one(SEEDERS[0], 0)
k.log("warm-up (%s, not counted): %.2f s" % (SEEDERS[0], dt))
times = {s: [] for s in SEEDERS}
sent = {s: [] for s in SEEDERS}
for rep in range(REPS):
    order = SEEDERS[rep % len(SEEDERS):] + SEEDERS[:rep % len(SEEDERS)]
    for s in order:
        dt, ok, b = one(s, rep + 1)
        if ok:
            times[s].append(dt)
            sent[s].append(b or 0)
print()
med = {}
for s in SEEDERS:
    if times[s]:
        med[s] = statistics.median(times[s])
        print("%-4s median %6.2f s for 3 x %d MiB (%7.1f MiB/s delivered), "
              "seeder sent %.2f torrents (%d/%d rounds verified)" %
              (s, med[s], SIZE_MB, 3 * SIZE_MB / med[s],
               statistics.median(sent[s]) / (SIZE_MB << 20),
               len(times[s]), REPS))
    else:
        print("%-4s no verified round" % s)
if "vtfs" in med and "tr" in med:
    print("time ratio vtfs/transmission = %.2f (%s)" %
          (med["vtfs"] / med["tr"],
           "vtfs faster" if med["vtfs"] < med["tr"] else "vtfs slower"))
print(json.dumps({"size_mb": SIZE_MB, "reps": REPS, "times": times,
                  "sent": sent}))
k.cleanup()
sys.exit(0 if all(len(times[s]) == REPS for s in SEEDERS) else 1)
