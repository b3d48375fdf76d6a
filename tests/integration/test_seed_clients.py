#!/usr/bin/python3
"""`vtfs --seed` to each mainstream leecher alone, then to all three at once.

A 200 MiB multi-file torrent (256 KiB pieces; SEED_CLIENTS_MB overrides the
size) is announced to opentracker (127.0.60.1).  Four legs: a
python3-libtorrent leecher alone, an aria2c leecher alone, a
transmission-daemon leecher alone, then all three together.  In each leg
the leechers start first and announce; then a fresh `vtfs --seed` starts
(its own address) and learns them from its first announce.  libtorrent and
aria2c may dial the seeder themselves; transmission never dials a 127.x
peer, so it is served only if the seeder dials the leechers that the
tracker lists.  No leecher is given the seeder's address.  Every leecher
must complete within LEG_S seconds with files whose sha256 equal the
originals, and the seeder must exit 0 on SIGINT having sent at least one
copy.  A fifth leg: a transmission leecher that the seeder knows only from
--peer (--no-trackers).  Then RESETS raw leechers (127.0.60.21) each reset the connection
while the seeder sends to them: the seeder must stay up and exit 0 on
SIGINT.  Prints how long each client took.

No empty file in the torrent: Transmission 3.00 never creates one, and
that is Transmission's business, not the seeder's.

Addresses: 127.0.60.x (tracker, seeders; .250 asks the tracker whom it
lists), 127.0.61.x libtorrent, 127.0.62.x aria2c, 127.0.63.x transmission;
a fresh address per leg, since the tracker keeps listing earlier legs'
peers.  Arguments: leg names to run only those (libtorrent, aria2c,
transmission, together, peer, reset).
"""
import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlkit as k  # noqa: E402

k.need("mktorrent", "opentracker", "aria2c", "transmission-daemon",
       "transmission-remote")
import seedkit as sk  # noqa: E402

import libtorrent as lt  # noqa: E402

MB = int(os.environ.get("SEED_CLIENTS_MB", "200"))
LEG_S = 150
CLIENTS = ("libtorrent", "aria2c", "transmission")
RESETS = 20

if MB < 12:
    k.die("SEED_CLIENTS_MB must be at least 12")

work = k.tmpdir("seedcl")
small = (1 << 20) + 777
T = k.tracker_torrent(work, "tree", {
    "big.bin": (MB - 10) << 20,
    "dir/a.bin": (6 << 20) - 12345,
    "dir/sub/b.bin": (4 << 20) - small - 4321 + 12345,
    "dir/sub/c.bin": small,
    "odd.txt": 4321,
}, "127.0.60.1")
data, want, tor, url, ih = (T["data"], T["want"], T["torrent"], T["url"],
                            T["ih"])
total = lt.torrent_info(tor).total_size()
k.log("tracker %s, torrent %s (%d bytes, %d files)" %
      (url, ih, total, len(want)))
k.check(total == MB << 20, "torrent holds %d MiB" % MB)


class Leecher:
    """One client downloading tor into its own directory."""

    def __init__(self, kind, leg, ip):
        self.kind, self.ip = kind, ip
        self.dir = os.path.join(work, "%s-%d" % (kind, leg))
        os.makedirs(self.dir)
        self.took = None
        self.failed = None

    def start(self):
        if self.kind == "libtorrent":
            # Tracker kept, no peer given: it finds the seeder (or the
            # seeder finds it) through opentracker only.
            self.ses = sk.lt_session(self.ip)
            p = lt.add_torrent_params()
            p.ti = lt.torrent_info(tor)
            p.save_path = self.dir
            p.flags &= ~lt.torrent_flags.auto_managed
            self.h = self.ses.add_torrent(p)
            self.h.resume()
        elif self.kind == "aria2c":
            port = k.free_port(self.ip)
            self.p = k.spawn([
                "aria2c", "--no-conf", "--dir=" + self.dir,
                "--seed-time=0", "--enable-dht=false",
                "--enable-dht6=false", "--bt-enable-lpd=false",
                "--enable-peer-exchange=false", "--disable-ipv6=true",
                "--interface=" + self.ip, "--listen-port=%d" % port,
                "--file-allocation=none", "--auto-save-interval=0",
                "--bt-save-metadata=false", "--follow-torrent=false",
                "--summary-interval=0", "--console-log-level=warn",
                "--bt-tracker-connect-timeout=5", "--bt-tracker-interval=2",
                tor], os.path.join(work, "aria2-%s.log" % self.ip))
        else:
            self.p, self.port, self.rpc = k.start_transmission_daemon(
                work, self.ip)
            k.tr_add(self.rpc, tor, self.dir)

    def poll(self, t0):
        """True once finished (complete, or failed: self.failed says)."""
        if self.took is not None or self.failed:
            return True
        done = False
        if self.kind == "libtorrent":
            done = self.h.status().is_seeding
        elif self.kind == "aria2c":
            if self.p.poll() is not None:
                if self.p.returncode != 0:
                    self.failed = "exit %d" % self.p.returncode
                    return True
                done = True
        else:
            i = k.tr_info(self.rpc)
            if i["error"]:
                self.failed = i["error"]
                return True
            done = i["percent"] == 100.0
        if done:
            self.took = time.time() - t0
            k.log("%s complete in %.1f s" % (self.kind, self.took))
        return done

    def progress(self):
        if self.kind == "libtorrent":
            return "%.0f %%" % (100.0 * self.h.status().progress)
        if self.kind == "transmission":
            return "%.1f %%" % k.tr_info(self.rpc)["percent"]
        return "running" if self.p.poll() is None else "exited"

    def stop(self):
        if self.kind == "libtorrent":
            self.ses.remove_torrent(self.h)
            del self.h
            del self.ses
        elif self.kind == "transmission":
            k.tr_remove(self.rpc)
            k.stop(self.p)
        else:
            k.stop(self.p)


def wait_announced(ips, secs):
    """Until the tracker lists every address of ips (earlier legs' peers
    may still be listed: counting would not do)."""
    deadline = time.time() + secs
    while time.time() < deadline:
        got = k.tracker_peers(url, ih, "127.0.60.250") or set()
        if set(ips) <= set(a.rsplit(":", 1)[0] for a in got):
            return True
        time.sleep(0.3)
    return False


def leg(i, kinds, by_peer=False):
    """by_peer: the seeder has no tracker and dials the leechers given
    with --peer (transmission only: the others would dial the tracker)."""
    name = "+".join(kinds) + (" (--peer)" if by_peer else "")
    base = {"libtorrent": 61, "aria2c": 62, "transmission": 63}
    ls = [Leecher(kd, i, "127.0.%d.%d" % (base[kd], 10 + i))
          for kd in kinds]
    for x in ls:
        x.start()
    extra = ["-v"]
    if by_peer:
        extra.append("--no-trackers")
        for x in ls:
            extra += ["--peer", "%s:%d" % (x.ip, x.port)]
    else:
        k.check(wait_announced([x.ip for x in ls], 30),
                "%s: the tracker lists the %d leecher(s)" % (name, len(ls)))
    sip = "127.0.60.%d" % (10 + i)
    seed, _, slog = sk.start_seed(work, tor, data, sip, extra)
    s = sk.wait_log(slog, "pieces verified", seed, 120)
    k.check(s is not None and "partially" not in s,
            "%s: vtfs --seed checked its data" % name)
    t0 = time.time()
    last = t0
    while time.time() - t0 < LEG_S:
        if all([x.poll(t0) for x in ls]):
            break
        if time.time() - last >= 10:
            last = time.time()
            k.log("%s: %s" % (name, ", ".join(
                "%s %s" % (x.kind, x.progress()) for x in ls)))
        time.sleep(0.2)
    for x in ls:
        k.check(x.took is not None,
                "%s: %s completed from vtfs --seed (%s)" %
                (name, x.kind, "%.1f s" % x.took if x.took is not None
                 else x.failed or "not after %d s: %s" %
                 (LEG_S, x.progress())))
    for x in ls:
        if x.took is None:
            # What the seeder saw of it, for the log of a failed run.
            lines = [ln for ln in sk.read(slog).splitlines()
                     if x.ip + ":" in ln]
            k.log("seeder's log on %s:\n%s" % (x.ip,
                                                 "\n".join(lines[-30:])))
    for x in ls:
        x.stop()
    for x in ls:
        got = os.path.join(x.dir, "tree")
        sums = k.tree_sums(got) if os.path.isdir(got) else {}
        bad = sorted(f for f in set(want) | set(sums)
                     if want.get(f) != sums.get(f))
        k.check(not bad, "%s: %s's %d files match (sha256)%s" %
                (name, x.kind, len(want),
                 "; differ or missing: " + ", ".join(bad) if bad else ""))
        shutil.rmtree(x.dir, ignore_errors=True)
    seed.send_signal(signal.SIGINT)
    rc = sk.wait_exit(seed, 15)
    sent = sk.sent_bytes(sk.read(slog))
    k.check(rc == 0, "%s: vtfs --seed exits 0 on SIGINT (got %r)" %
            (name, rc))
    # Together, the leechers may feed each other; one copy came from us.
    k.check(sent is not None and sent >= total,
            "%s: the seeder sent %r bytes (torrent: %d)" %
            (name, sent, total))
    return [(x.kind, x.took) for x in ls]


only = sys.argv[1:]
times = []
t_all = time.time()
for n, kd in enumerate(CLIENTS):
    if not only or kd in only:
        times.append(leg(n, [kd]))
if not only or "together" in only:
    times.append(leg(len(CLIENTS), list(CLIENTS)))
if not only or "peer" in only:
    times.append(leg(len(CLIENTS) + 1, ["transmission"], by_peer=True))
if not only or "reset" in only:
    # Leechers that reset the connection while the seeder writes to it:
    # an EPIPE for that connection, never a SIGPIPE for the process.
    seed, sport, slog = sk.start_seed(work, tor, data, "127.0.60.20",
                                      ["--no-trackers"])
    k.check(sk.wait_log(slog, "pieces verified", seed, 120) is not None,
            "reset: vtfs --seed checked its data")
    n = sum(1 for i in range(RESETS)
            if sk.reset_leecher("127.0.60.20", sport, ih, "127.0.60.21"))
    time.sleep(0.5)
    k.check(n == RESETS and seed.poll() is None,
            "reset: %d of %d leechers reset mid-transfer, seeder still up "
            "(exit %r)" % (n, RESETS, seed.poll()))
    seed.send_signal(signal.SIGINT)
    k.check(sk.wait_exit(seed, 15) == 0, "reset: vtfs --seed exits 0")

k.log("times (s, %d MiB): %s; whole test %.0f s" % (MB, "; ".join(
    ", ".join("%s %s" % (kd, "%.1f" % s if s is not None else "-")
              for kd, s in t) for t in times), time.time() - t_all))
k.finish("test_seed_clients")
