#!/usr/bin/python3
"""`vtfs --download` from real clients on loopback.

A 200 MiB multi-file torrent (256 KiB pieces; DL_TREE_MB overrides the
size) is seeded by python3-libtorrent (127.0.8.2), transmission-daemon
(127.0.8.3) and aria2c (127.0.8.4), announced to opentracker (127.0.8.1).
vtfs (each run on its own 127.0.8.1x) downloads it from each seeder alone
(--peer, no trackers), then from all three found through the tracker; every
run must exit 0 with the files' sha256 equal to the originals, and a rerun
on a complete download must fetch nothing.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlkit as k  # noqa: E402

k.need("mktorrent", "opentracker", "aria2c", "transmission-daemon",
       "transmission-remote")
MB = int(os.environ.get("DL_TREE_MB", "200"))

work = k.tmpdir("clients")
data = os.path.join(work, "data")
k.make_tree(data, "tree", {
    "big.bin": (MB - 40) << 20,
    "dir/mid.bin": 30 << 20,
    "dir/sub/small.bin": (10 << 20) - 12345,
    "odd.txt": 12345,
    "empty/zero.bin": 0,
})
want = k.tree_sums(os.path.join(data, "tree"))
tor = os.path.join(work, "tree.torrent")
tport = k.free_port("127.0.8.1")
url = "http://127.0.8.1:%d/announce" % tport
ih = k.make_torrent(os.path.join(data, "tree"), tor, 18, url)
tp, _ = k.start_tracker(work, [ih], "127.0.8.1", tport)
k.log("tracker %s, torrent %s (%d MiB)" % (url, ih, MB))

lt, lt_port = k.start_lt(work, "127.0.8.2", tor, data)
tr, tr_port = k.start_transmission(work, "127.0.8.3", tor, data)
ar, ar_port = k.start_aria2(work, "127.0.8.4", tor, data)
k.log("seeders up: lt %d, transmission %d, aria2 %d" %
      (lt_port, tr_port, ar_port))

runs = [
    ("libtorrent", "127.0.8.11", ["127.0.8.2:%d" % lt_port], False),
    ("transmission", "127.0.8.12", ["127.0.8.3:%d" % tr_port], False),
    ("aria2c", "127.0.8.13", ["127.0.8.4:%d" % ar_port], False),
    ("all three via the tracker", "127.0.8.14", [], True),
]
for name, ip, peers, trackers in runs:
    dest = os.path.join(work, "dl-" + ip)
    os.makedirs(dest)
    k.forget_resume()
    rc, out, secs = k.vtfs_download(tor, dest, ip, peers, trackers,
                                    timeout=180,
                                    logpath=os.path.join(work, "vtfs.log"))
    k.check(rc == 0, "%s: vtfs exit %d in %.1f s" % (name, rc, secs))
    if rc != 0:
        k.log(out[-2000:])
    got = k.tree_sums(os.path.join(dest, "tree"))
    k.check(got == want, "%s: sha256 of %d files" % (name, len(want)))
    k.log("%s: %.1f s, %.1f MiB/s" % (name, secs, MB / max(secs, 0.001)))

# Incoming: vtfs dials nobody; a libtorrent seeder dials it.
dest = os.path.join(work, "dl-incoming")
os.makedirs(dest)
k.forget_resume()
vport = k.free_port("127.0.8.15")
v = k.vtfs_spawn(tor, dest, "127.0.8.15", [], False, port=vport,
                 logpath=os.path.join(work, "vtfs.log"))
time.sleep(0.3)
dialer, _ = k.start_lt(work, "127.0.8.5", tor, data, tag="dialer",
                       connect="127.0.8.15:%d" % vport)
try:
    rc = v.wait(timeout=120)
except Exception:
    rc = None
k.check(rc == 0, "incoming: libtorrent dialled vtfs, download exit %s" % rc)
k.check(k.tree_sums(os.path.join(dest, "tree")) == want,
        "incoming: sha256 of %d files" % len(want))
k.stop(dialer)
k.stop(v)

# Upload: vtfs A takes from a slow libtorrent seeder; vtfs B takes from
# the same seeder and from A, which serves what it has verified.
slow, sport = k.start_lt(work, "127.0.8.6", tor, data, rate=8 << 20,
                         tag="slow")
da = os.path.join(work, "dl-relay-a")
db = os.path.join(work, "dl-relay-b")
os.makedirs(da)
os.makedirs(db)
k.forget_resume()
aport = k.free_port("127.0.8.16")
va = k.vtfs_spawn(tor, da, "127.0.8.16", ["127.0.8.6:%d" % sport], False,
                  port=aport, logpath=os.path.join(work, "relay-a.log"))
time.sleep(1.0)
rc, out, secs = k.vtfs_download(tor, db, "127.0.8.17",
                                ["127.0.8.6:%d" % sport,
                                 "127.0.8.16:%d" % aport], False,
                                timeout=180)
try:
    rca = va.wait(timeout=120)
except Exception:
    rca = None
k.check(rc == 0 and rca == 0, "relay: both vtfs completed (%s, %s)" %
        (rc, rca))
k.check(k.tree_sums(os.path.join(db, "tree")) == want, "relay: B's sha256")
k.check(k.tree_sums(os.path.join(da, "tree")) == want, "relay: A's sha256")
with open(os.path.join(work, "relay-a.log")) as f:
    alog = f.read()
import re  # noqa: E402
m = re.search(r"sent [^(]*\((\d+) bytes", alog)
k.check(m is not None and int(m.group(1)) > 0,
        "relay: A uploaded %s bytes to B" % (m.group(1) if m else "?"))
k.stop(slow)

# A hybrid v1+v2 torrent made by libtorrent: BEP 47 pad files, which vtfs
# never requests nor writes, served by the libtorrent seeder.
import libtorrent as ltm  # noqa: E402
pdata = os.path.join(work, "pdata")
k.make_tree(pdata, "padded", {"x.bin": 3 * 262144 + 1234,
                              "y.bin": 2 * 262144 - 77, "z.txt": 500})
fs = ltm.file_storage()
ltm.add_files(fs, os.path.join(pdata, "padded"))
ct = ltm.create_torrent(fs, 262144)
ltm.set_piece_hashes(ct, pdata)
ptor = os.path.join(work, "padded.torrent")
with open(ptor, "wb") as f:
    f.write(ltm.bencode(ct.generate()))
pti = ltm.torrent_info(ptor)
npads = sum(1 for i in range(pti.files().num_files())
            if pti.files().file_flags(i) & ltm.file_storage.flag_pad_file)
k.check(npads > 0, "libtorrent made %d pad files" % npads)
k._hashes.append(str(pti.info_hash()))
pseed, pport = k.start_lt(work, "127.0.8.7", ptor, pdata, tag="padded")
dest = os.path.join(work, "dl-padded")
os.makedirs(dest)
k.forget_resume()
rc, out, secs = k.vtfs_download(ptor, dest, "127.0.8.18",
                                ["127.0.8.7:%d" % pport], False, timeout=60)
k.check(rc == 0, "padded: exit %d" % rc)
k.check(k.tree_sums(os.path.join(dest, "padded")) ==
        k.tree_sums(os.path.join(pdata, "padded")),
        "padded: sha256 of the files, no pad file on disk")
k.stop(pseed)

# A rerun on the complete download trusts the resume record: nothing fetched.
dest = os.path.join(work, "dl-127.0.8.14")
rc, out, secs = k.vtfs_download(tor, dest, "127.0.8.14", [], True,
                                timeout=60, extra=["-v"])
k.check(rc == 0, "rerun on a complete download: exit %d" % rc)
k.check(k.received_bytes(out) == 0 if "received" in out else False,
        "rerun received %s bytes" % k.received_bytes(out))
k.finish("test_download_clients")
