#!/usr/bin/python3
"""Seeding limits and the totals the trackers are told.

A recording tracker (rectracker.py: HTTP and UDP on 127.0.41.1) stands for
the trackers and keeps every announce.  Three small torrents (8 MiB,
256 KiB pieces):

A. UDP tracker.  `vtfs --seed --seed-ratio 0.5 --max-upload-rate 2M`
   (127.0.41.2) serves a python3-libtorrent leecher (127.0.41.3): it must
   exit 0 by itself once it sent half the torrent (well before all of it),
   say why, and its `stopped` announce must carry uploaded = what it says
   it sent, downloaded=0, left=0.
B. HTTP tracker.  `vtfs --download --seed-ratio 1` (127.0.41.5) finds a
   `vtfs --seed` (127.0.41.4) through the tracker, completes, seeds to a
   libtorrent leecher (127.0.41.6) until it sent one torrent's worth, exits
   0; its announces: started (0, 0, left=size), completed (downloaded=size,
   left=0), stopped (uploaded = its summary's count >= size,
   downloaded=size, left=0).  A re-run finds the resume record: nothing
   downloaded.
C. `vtfs --seed --seed-time 3` (127.0.41.7) exits 0 after 3 s of seeding
   (bounded above by 3 + 20 s) and announced started and stopped.
Bad values of both options are usage errors (exit 2).
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlkit as k  # noqa: E402

k.need("mktorrent")
import rectracker  # noqa: E402
import seedkit as sk  # noqa: E402

SIZE = 8 << 20
tr = rectracker.RecTracker("127.0.41.1")
work = k.tmpdir("limits")


def torrent(name, url):
    data = os.path.join(work, "data-" + name)
    top = k.make_tree(data, name, {"a.bin": SIZE - (1 << 20),
                                   "b/c.bin": 1 << 20})
    tor = os.path.join(work, name + ".torrent")
    ih = k.make_torrent(top, tor, 18, url)
    return data, top, tor, ih


def leech(ip, tor, peer):
    """A libtorrent leecher on ip fetching tor from peer only."""
    ses = sk.lt_session(ip)
    d = os.path.join(work, "lt-" + ip)
    os.makedirs(d)
    return ses, sk.lt_add(ses, tor, d, peer), d


def last(evs, event):
    m = [a for a in evs if a["event"] == event]
    return m[-1] if m else None


# Usage errors.
for bad in (["--seed-ratio", "abc"], ["--seed-ratio", "1.2345"],
            ["--seed-time", "1h30"], ["--seed-time", "-5"]):
    r = subprocess.run([k.VTFS, "--seed", "x.torrent", "--path", work] + bad,
                       capture_output=True, timeout=30)
    k.check(r.returncode == 2 and bad[0].encode() in r.stderr,
            "%s %s: usage error (exit %d)" % (bad[0], bad[1], r.returncode))

# A. --seed --seed-ratio 0.5 over a UDP tracker.
data, top, tor, ih = torrent("ratio", tr.udp_url())
seed, sport, slog = sk.start_seed(work, tor, data, "127.0.41.2",
                                  ["--seed-ratio", "0.5",
                                   "--max-upload-rate", "2M"])
k.check(sk.wait_log(slog, "pieces verified", seed, 60) is not None,
        "A: seeder checked its data")
ses, h, lt_dir = leech("127.0.41.3", tor, ("127.0.41.2", sport))
t0 = time.time()
rc = sk.wait_exit(seed, 60)
k.log("A: seeder exited %r after %.1f s" % (rc, time.time() - t0))
ses.remove_torrent(h)
del ses
out = sk.read(slog)
sent = sk.sent_bytes(out)
k.check(rc == 0, "A: --seed-ratio 0.5: exit 0 by itself (got %r)" % rc)
k.check("stopped seeding: seed ratio 0.500 reached" in out,
        "A: says the ratio was reached")
k.check(sent is not None and SIZE // 2 <= sent < SIZE * 9 // 10,
        "A: stopped near the ratio: sent %r of %d bytes" % (sent, SIZE))
evs = tr.rec.events(ih, "127.0.41.2")
st, sp = last(evs, "started"), last(evs, "stopped")
k.check(st is not None and st["proto"] == "udp" and st["left"] == 0 and
        st["uploaded"] == 0 and st["downloaded"] == 0,
        "A: UDP started as a seeder with zero totals: %r" % st)
k.check(sp is not None and sp["uploaded"] == sent and
        sp["downloaded"] == 0 and sp["left"] == 0,
        "A: UDP stopped carries uploaded=%r (sent %r), downloaded=0, left=0"
        % (sp and sp["uploaded"], sent))

# B. --download --seed-ratio 1 over an HTTP tracker.
data, top, tor, ih = torrent("dl", tr.http_url())
want = k.tree_sums(top)
seed, sport, slog = sk.start_seed(work, tor, data, "127.0.41.4")
k.check(sk.wait_log(slog, "pieces verified", seed, 60) is not None,
        "B: seeder checked its data")
dl_dir = os.path.join(work, "dl-b")
os.makedirs(dl_dir)
dlog = os.path.join(work, "dl-b.log")
dl = k.vtfs_spawn(tor, dl_dir, "127.0.41.5", extra=["--seed-ratio", "1"],
                  logpath=dlog)
k.check(sk.wait_log(dlog, "seeding until", dl, 60) is not None,
        "B: downloaded through the tracker, now seeding")
dport = None
for a in tr.rec.events(ih, "127.0.41.5"):
    dport = a["port"]
ses, h, lt_dir = leech("127.0.41.6", tor, ("127.0.41.5", dport))
t0 = time.time()
rc = sk.wait_exit(dl, 60)
k.log("B: downloader exited %r %.1f s after the leecher came"
      % (rc, time.time() - t0))
for _ in range(100):
    if h.status().is_seeding:
        break
    time.sleep(0.1)
lt_ok = h.status().is_seeding
ses.remove_torrent(h)
del ses
out = sk.read(dlog)
sent = sk.sent_bytes(out)
k.check(rc == 0, "B: --download --seed-ratio 1: exit 0 (got %r)" % rc)
k.check("stopped seeding: seed ratio 1.000 reached" in out and
        "ratio 1.00" in out, "B: says why, summary shows the ratio")
k.check(k.tree_sums(os.path.join(dl_dir, "dl")) == want,
        "B: downloaded files match (sha256)")
k.check(lt_ok and k.tree_sums(os.path.join(lt_dir, "dl")) == want,
        "B: the leecher got the files from the downloader (sha256)")
evs = tr.rec.events(ih, "127.0.41.5")
st, cp, sp = last(evs, "started"), last(evs, "completed"), \
    last(evs, "stopped")
k.check(st is not None and st["left"] == SIZE and st["downloaded"] == 0 and
        st["uploaded"] == 0, "B: HTTP started: left=size, zero totals: %r"
        % st)
k.check(cp is not None and cp["left"] == 0 and cp["downloaded"] == SIZE,
        "B: HTTP completed: downloaded=size (verified), left=0: %r" % cp)
k.check(sp is not None and sp["uploaded"] == sent and sent >= SIZE and
        sp["downloaded"] == SIZE and sp["left"] == 0,
        "B: HTTP stopped: uploaded=%r (sent %r), downloaded=%r, left=%r"
        % (sp and sp["uploaded"], sent, sp and sp["downloaded"],
           sp and sp["left"]))
k.stop(seed)
rc, out, _ = k.vtfs_download(tor, dl_dir, "127.0.41.5", trackers=False,
                             timeout=60)
k.check(rc == 0 and k.received_bytes(out) == 0,
        "B: re-run resumes from the record: exit %d, received %r"
        % (rc, k.received_bytes(out)))

# C. --seed --seed-time 3.
seed, sport, slog = sk.start_seed(work, tor, data, "127.0.41.7",
                                  ["--seed-time", "3"])
k.check(sk.wait_log(slog, "pieces verified", seed, 60) is not None,
        "C: seeder checked its data")
t0 = time.time()
rc = sk.wait_exit(seed, 23)
took = time.time() - t0
out = sk.read(slog)
k.check(rc == 0 and 2.5 <= took, "C: --seed-time 3: exit %r after %.1f s"
        % (rc, took))
k.check("stopped seeding: seed time 3 s reached" in out, "C: says why")
evs = tr.rec.events(ih, "127.0.41.7")
k.check(last(evs, "started") is not None and last(evs, "stopped") is not None
        and last(evs, "stopped")["left"] == 0,
        "C: announced started and stopped (left=0)")

tr.close()
k.finish("test_seed_limits")
