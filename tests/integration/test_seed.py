#!/usr/bin/python3
"""`vtfs --seed` to real clients on loopback.

A 64 MiB multi-file torrent (256 KiB pieces; SEED_TREE_MB overrides the
size) is announced to opentracker (127.0.12.1) and served by one
`vtfs --seed` (127.0.12.2) to a python3-libtorrent leecher (127.0.12.3, run
in this process, dialling the seeder; libtorrent leechers never use the
tracker) and an aria2c leecher
(127.0.12.4, found through the tracker), at the same time; each must end
with files whose sha256 equal the originals.  Then a copy with one file
deleted, one cut to half its size and one corrupted is seeded
(127.0.12.5): vtfs must report the first two as missing (with how much is
on disk) and the third as wrong data, say it seeds partially, and serve the pieces it has to a libtorrent
leecher (127.0.12.6), which must get exactly the verified pieces.
Between the two: --max-upload-rate 1M on a second seeder (127.0.12.7) to
a libtorrent leecher (127.0.12.8) measured over 5 s; `vtfs --download
--max-download-rate 8M --seed-after` (127.0.12.9) must take at least
0.8 * MB/8 s, then serve a libtorrent leecher (127.0.12.10) the whole
torrent and exit 0 on SIGINT.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlkit as k  # noqa: E402
import seedkit as sk  # noqa: E402

import libtorrent as lt  # noqa: E402

k.need("mktorrent", "opentracker", "aria2c")
MB = int(os.environ.get("SEED_TREE_MB", "64"))
PIECE = 1 << 18

work = k.tmpdir("seed")
data = os.path.join(work, "data")
k.make_tree(data, "tree", {
    "big.bin": (MB - 12) << 20,
    "dir/mid.bin": 10 << 20,
    "dir/sub/small.bin": (2 << 20) - 12345,
    "odd.txt": 12345,
})
top = os.path.join(data, "tree")
want = k.tree_sums(top)
tor = os.path.join(work, "tree.torrent")
tport = k.free_port("127.0.12.1")
url = "http://127.0.12.1:%d/announce" % tport
ih = k.make_torrent(top, tor, 18, url)
tp, _ = k.start_tracker(work, [ih], "127.0.12.1", tport)
k.log("tracker %s, torrent %s (%d MiB)" % (url, ih, MB))


def start_seed(path, ip, extra=()):
    return sk.start_seed(work, tor, path, ip, extra)


wait_log = sk.wait_log
lt_session = sk.lt_session


def lt_add(ses, save, seeder):
    return sk.lt_add(ses, tor, save, seeder)


# 1. One seeder, two leechers at once.
seed, sport, slog = start_seed(data, "127.0.12.2")
NP = lt.torrent_info(tor).num_pieces()
s = wait_log(slog, "pieces verified", seed, 120)
k.check(s is not None and "all %d pieces verified" % NP in s and
        "partially" not in s, "vtfs --seed checked the complete data")

lt_dir = os.path.join(work, "lt")
ar_dir = os.path.join(work, "aria2")
os.makedirs(lt_dir)
os.makedirs(ar_dir)
ar_port = k.free_port("127.0.12.4")
ar = k.spawn(["aria2c", "--no-conf", "--dir=" + ar_dir,
              "--seed-time=0", "--enable-dht=false", "--enable-dht6=false",
              "--bt-enable-lpd=false", "--enable-peer-exchange=false",
              "--disable-ipv6=true", "--interface=127.0.12.4",
              "--listen-port=%d" % ar_port, "--file-allocation=none",
              "--auto-save-interval=0", "--bt-save-metadata=false",
              "--follow-torrent=false", "--summary-interval=0",
              "--console-log-level=warn", "--bt-tracker-connect-timeout=5",
              "--bt-tracker-interval=2", tor],
             os.path.join(work, "aria2.log"))
ses = lt_session("127.0.12.3")
h = lt_add(ses, lt_dir, ("127.0.12.2", sport))
t0 = time.time()
lt_done = ar_rc = None
while time.time() - t0 < 180 and (lt_done is None or ar_rc is None):
    if lt_done is None and h.status().is_seeding:
        lt_done = time.time() - t0
        k.log("libtorrent complete in %.1f s" % lt_done)
    if ar_rc is None and ar.poll() is not None:
        ar_rc = ar.returncode
        k.log("aria2c exited %d after %.1f s" % (ar_rc, time.time() - t0))
    time.sleep(0.2)
ses.remove_torrent(h)
del ses
k.check(lt_done is not None, "libtorrent leecher completed from vtfs --seed")
k.check(ar_rc == 0, "aria2c leecher completed (exit %r)" % ar_rc)
k.check(k.tree_sums(os.path.join(lt_dir, "tree")) == want,
        "libtorrent's files match (sha256)")
k.check(os.path.isdir(os.path.join(ar_dir, "tree")) and
        k.tree_sums(os.path.join(ar_dir, "tree")) == want,
        "aria2c's files match (sha256)")

# 2. --max-upload-rate: a second seeder capped at 1 MiB/s, one leecher,
# 5 s measured after its first byte.
cseed, cport, clog = start_seed(data, "127.0.12.7",
                                ["--no-trackers", "--max-upload-rate", "1M"])
k.check(wait_log(clog, "pieces verified", cseed, 120) is not None,
        "capped seeder checked its data")
c_dir = os.path.join(work, "lt-capped")
os.makedirs(c_dir)
ses = lt_session("127.0.12.8")
h = lt_add(ses, c_dir, ("127.0.12.7", cport))
t0 = time.time()
while time.time() - t0 < 30 and h.status().total_payload_download == 0:
    time.sleep(0.05)
b0 = h.status().total_payload_download
time.sleep(5.0)
got = h.status().total_payload_download - b0
ses.remove_torrent(h)
del ses
k.log("capped seeder: %d bytes in 5 s" % got)
k.check((5 << 20) * 6 // 10 <= got <= (5 << 20) + (1 << 20),
        "--max-upload-rate 1M: %.2f MiB/s over 5 s" % (got / 5.0 / (1 << 20)))
k.stop(cseed, signal.SIGTERM)

# 3. --download --max-download-rate 8M --seed-after from the seeder, then
# it serves a libtorrent leecher until SIGINT.
d_dir = os.path.join(work, "vtfs-dl")
os.makedirs(d_dir)
dport = k.free_port("127.0.12.9")
dlog = os.path.join(work, "dl.log")
t0 = time.time()
dl = k.spawn([k.VTFS, "--download", tor, "--path", d_dir, "--listen",
              "127.0.12.9:%d" % dport, "--no-trackers", "--peer",
              "127.0.12.2:%d" % sport, "--max-download-rate", "8M",
              "--seed-after"], dlog)
s = wait_log(dlog, "seeding until interrupted", dl, 120)
took = time.time() - t0
k.log("--max-download-rate 8M: %d MiB in %.1f s" % (MB, took))
k.check(s is not None, "--seed-after: complete, keeps seeding")
k.check(took >= MB / 8.0 * 0.8,
        "--max-download-rate 8M held (%.1f s for %d MiB)" % (took, MB))
k.check(dl.poll() is None, "--seed-after: still running after completion")
a_dir = os.path.join(work, "lt-after")
os.makedirs(a_dir)
ses = lt_session("127.0.12.10")
h = lt_add(ses, a_dir, ("127.0.12.9", dport))
t0 = time.time()
while time.time() - t0 < 60 and not h.status().is_seeding:
    time.sleep(0.2)
ok = h.status().is_seeding
ses.remove_torrent(h)
del ses
k.check(ok and k.tree_sums(os.path.join(a_dir, "tree")) == want,
        "--seed-after: a libtorrent leecher got the files from it (sha256)")
dl.send_signal(signal.SIGINT)
try:
    rc = dl.wait(timeout=10)
except subprocess.TimeoutExpired:
    rc = None
k.check(rc == 0, "--seed-after: exits 0 on SIGINT (got %r)" % rc)

seed.send_signal(signal.SIGINT)
try:
    rc = seed.wait(timeout=10)
except subprocess.TimeoutExpired:
    rc = None
out = open(slog, errors="replace").read()
k.check(rc == 0, "vtfs --seed exits 0 on SIGINT (got %r)" % rc)
sent = None
for line in out.splitlines():
    if "stopped seeding" in line and "bytes)" in line:
        sent = int(line.rsplit("(", 1)[1].split()[0])
# The leechers may feed each other: at least one whole copy came from us.
k.check(sent is not None and sent >= MB << 20,
        "seeder reports what it sent (%r bytes, torrent of %d MiB)"
        % (sent, MB))

# 4. Partial data: one file gone, one cut to half its size (both
# "missing"), one corrupted in its middle ("wrong data").
ti = lt.torrent_info(tor)
fs = ti.files()
span = {}
for i in range(fs.num_files()):
    span[fs.file_path(i).split("/", 1)[1]] = (fs.file_offset(i),
                                              fs.file_size(i))


def pieces_of(off, size):
    return set(range(off // PIECE, (off + size - 1) // PIECE + 1))


part = os.path.join(work, "part")
shutil.copytree(data, part)
os.unlink(os.path.join(part, "tree", "dir", "mid.bin"))
big_half = (span["big.bin"][1] // 2) // PIECE * PIECE
os.truncate(os.path.join(part, "tree", "big.bin"), big_half)
with open(os.path.join(part, "tree", "dir", "sub", "small.bin"), "r+b") as f:
    f.seek(1 << 20)
    f.write(b"\xff" * 4096)
pseed, pport, plog = start_seed(part, "127.0.12.5", ["--no-trackers"])
s = wait_log(plog, "partially", pseed, 120)
out = open(plog, errors="replace").read()
k.check(s is not None, "partial data: vtfs says it seeds partially")
mid_mib = span["dir/mid.bin"][1] / float(1 << 20)
k.check("dir/mid.bin: missing (0 of %.1f MiB)" % mid_mib in out,
        "partial data: the deleted file reported missing")
k.check("big.bin: missing (%.1f MiB of %.1f MiB)"
        % (big_half / float(1 << 20), span["big.bin"][1] / float(1 << 20))
        in out, "partial data: the cut file reported missing, with its size")
n_small = len(pieces_of(*span["dir/sub/small.bin"]))
k.check("dir/sub/small.bin: wrong data in 1 of %d pieces" % n_small in out,
        "partial data: the corrupted file reported as wrong data")
k.check("odd.txt:" not in out and "small.bin: missing" not in out,
        "partial data: intact files not reported, wrong data not "
        "called missing")
k.check(pseed.poll() is None, "partial data: still seeding")

p_dir = os.path.join(work, "lt-part")
os.makedirs(p_dir)
ses = lt_session("127.0.12.6")
h = lt_add(ses, p_dir, ("127.0.12.5", pport))
bad = pieces_of(*span["dir/mid.bin"])
bad |= pieces_of(span["big.bin"][0] + big_half,
                 span["big.bin"][1] - big_half)
bad.add((span["dir/sub/small.bin"][0] + (1 << 20)) // PIECE)
good_n = ti.num_pieces() - len(bad)
t0 = time.time()
n = 0
while time.time() - t0 < 90:
    st = h.status()
    n = st.num_pieces
    if n >= good_n:
        break
    time.sleep(0.2)
time.sleep(1.0)
got = [i for i, b in enumerate(h.status().pieces) if b]
ses.remove_torrent(h)
del ses
k.check(len(got) == good_n and not (set(got) & bad),
        "partial data: leecher got exactly the %d good pieces (got %d)"
        % (good_n, len(got)))
k.stop(pseed, signal.SIGTERM)
k.check(pseed.returncode == 0, "partial seeder exits 0 on SIGTERM (got %r)"
        % pseed.returncode)
k.stop(tp)
k.finish("test_seed")
