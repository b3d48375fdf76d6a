#!/usr/bin/python3
"""A swarm, not a star: one `vtfs --seed` capped at 2 MiB/s and four
`vtfs --download` leechers, all found through opentracker.

opentracker on 127.0.40.1, the seeder on 127.0.40.2 (--max-upload-rate 2M),
the leechers on 127.0.40.3-6, a 40 MiB two-file torrent (256 KiB pieces).
Serving four copies alone would take the seeder at least 80 s; with the
leechers trading pieces it sends far fewer bytes.  Every leecher must
complete with files whose sha256 equal the originals, and the counters of
their end-of-run summaries must show a swarm: the leechers together sent
at least 1.5 torrents' worth, each of them sent something, and the seeder
sent at most 2.5 torrents' worth (a star needs 4).
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlkit as k  # noqa: E402

k.need("mktorrent", "opentracker")
import seedkit as sk  # noqa: E402

SIZE = 40 << 20
LEECHERS = ["127.0.40.%d" % i for i in range(3, 7)]

work = k.tmpdir("swarm")
data = os.path.join(work, "data")
top = k.make_tree(data, "swarm", {"a.bin": SIZE - (7 << 20) - 4321,
                                  "d/b.bin": (7 << 20) + 4321})
want = k.tree_sums(top)
tport = k.free_port("127.0.40.1")
tor = os.path.join(work, "swarm.torrent")
ih = k.make_torrent(top, tor, 18, "http://127.0.40.1:%d/announce" % tport)
k.start_tracker(work, [ih], "127.0.40.1", tport)

seed, sport, slog = sk.start_seed(work, tor, data, "127.0.40.2",
                                  ["--max-upload-rate", "2M"])
k.check(sk.wait_log(slog, "pieces verified", seed, 120) is not None,
        "seeder checked its data")

procs = []
for ip in LEECHERS:
    d = os.path.join(work, "dl-" + ip)
    os.makedirs(d)
    logp = os.path.join(work, "dl-%s.log" % ip)
    procs.append((ip, d, logp, k.vtfs_spawn(tor, d, ip, logpath=logp)))
t0 = time.time()
done = {}
while time.time() - t0 < 240 and len(done) < len(procs):
    for ip, d, logp, p in procs:
        if ip not in done and p.poll() is not None:
            done[ip] = (p.returncode, time.time() - t0)
            k.log("%s exited %d after %.1f s" % (ip, p.returncode,
                                                 done[ip][1]))
    time.sleep(0.2)

sent = {}
for ip, d, logp, p in procs:
    rc = done.get(ip, (None, 0))[0]
    out = sk.read(logp)
    sent[ip] = sk.sent_bytes(out)
    k.check(rc == 0, "%s: complete, exit %r" % (ip, rc))
    k.check(rc == 0 and k.tree_sums(os.path.join(d, "swarm")) == want,
            "%s: files match (sha256)" % ip)
    k.check(sent[ip] is not None and sent[ip] > 0,
            "%s: fed the others: sent %r bytes" % (ip, sent[ip]))

seed.send_signal(signal.SIGINT)
rc = sk.wait_exit(seed, 20)
seed_sent = sk.sent_bytes(sk.read(slog))
k.check(rc == 0, "seeder exits 0 on SIGINT (got %r)" % rc)
total = sum(v or 0 for v in sent.values())
k.log("seeder sent %.1f MiB, leechers %.1f MiB (%s), torrent %.1f MiB, "
      "all done in %.1f s" % ((seed_sent or 0) / 1048576.0, total / 1048576.0,
                              ", ".join("%.1f" % ((v or 0) / 1048576.0)
                                        for v in sent.values()),
                              SIZE / 1048576.0,
                              max([t for _, t in done.values()] or [0])))
k.check(total >= SIZE * 3 // 2,
        "leechers sent %.2f torrents to each other (>= 1.5)"
        % (total / float(SIZE)))
k.check(seed_sent is not None and seed_sent <= SIZE * 5 // 2,
        "seeder sent %.2f torrents (<= 2.5; a star needs 4)"
        % ((seed_sent or 0) / float(SIZE)))
k.finish("test_seed_swarm")
