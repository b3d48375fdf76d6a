#!/usr/bin/python3
"""`vtfs --download` against scripted hostile peers (raw sockets).

One honest, rate-limited python3-libtorrent seeder (127.0.8.41) and five
scripted peers on 127.0.9.x, all given with --peer:
 - corrupt (127.0.9.1): claims every piece, unchokes, answers every request
   at once with random bytes -> its pieces fail the hash, it is banned
   (never dialled again), the download completes;
 - bigprefix (.2): a 4 GiB length prefix, then a stream of junk;
 - badbitfield (.3): a bitfield one byte too long;
 - badhave (.4): a HAVE for a piece past the end;
 - unrequested (.5): unchokes and sends a block nobody asked for.
Each of the four must see vtfs close the connection; nothing else is
disturbed (download complete, sha256 equal) and vtfs's memory stays flat
while they reconnect (max RSS checked).
"""
import os
import random
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlkit as k  # noqa: E402

k.need("mktorrent")
import libtorrent as lt  # noqa: E402

MB = 48
work = k.tmpdir("hostile")
data = os.path.join(work, "data")
k.make_tree(data, "tree", {"a.bin": 30 << 20, "b/c.bin": 18 << 20})
want = k.tree_sums(os.path.join(data, "tree"))
tor = os.path.join(work, "tree.torrent")
ih = bytes.fromhex(k.make_torrent(os.path.join(data, "tree"), tor, 18, None))
ti = lt.torrent_info(tor)
NPIECES = ti.num_pieces()
PLEN = ti.piece_length()
TOTAL = ti.total_size()

stats = {}
lock = threading.Lock()
stop_flag = threading.Event()


def bump(name, key, n=1):
    with lock:
        stats.setdefault(name, {}).setdefault(key, 0)
        stats[name][key] += n


def bitfield(n, extra=0):
    b = bytearray((n + 7) // 8 + extra)
    for i in range(n):
        b[i >> 3] |= 0x80 >> (i & 7)
    return bytes(b)


def msg(mid, payload=b""):
    return struct.pack(">IB", len(payload) + 1, mid) + payload


def recv_exact(c, n):
    buf = b""
    while len(buf) < n:
        d = c.recv(n - len(buf))
        if not d:
            raise EOFError
        buf += d
    return buf


def closed_by_peer(c, limit=5.0):
    """True when vtfs closes the connection within limit seconds."""
    c.settimeout(0.5)
    t0 = time.time()
    while time.time() - t0 < limit:
        try:
            d = c.recv(65536)
            if not d:
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def handshake(c):
    hs = recv_exact(c, 68)
    if hs[28:48] != ih:
        raise EOFError
    c.sendall(b"\x13BitTorrent protocol" + bytes(8) + ih +
              b"-XX0001-" + os.urandom(12))


def serve(c, name):
    handshake(c)
    bump(name, "conns")
    if name == "corrupt":
        c.sendall(msg(5, bitfield(NPIECES)) + msg(1))
        c.settimeout(1.0)
        while not stop_flag.is_set():
            try:
                hdr = recv_exact(c, 4)
            except socket.timeout:
                continue
            (ln,) = struct.unpack(">I", hdr)
            if ln == 0:
                continue
            body = recv_exact(c, ln)
            if body[0] == 6:
                idx, begin, length = struct.unpack(">III", body[1:13])
                c.sendall(msg(7, struct.pack(">II", idx, begin) +
                              os.urandom(length)))
                bump(name, "blocks")
        return
    if name == "bigprefix":
        c.sendall(struct.pack(">I", 0xFFFFFFFF) + b"\x07")
        try:
            for _ in range(256):   # up to 64 MiB of junk
                c.sendall(os.urandom(1 << 18))
        except OSError:
            bump(name, "dropped")
            return
    elif name == "badbitfield":
        c.sendall(msg(5, bitfield(NPIECES, extra=1)))
    elif name == "badhave":
        c.sendall(msg(5, bytes((NPIECES + 7) // 8)) +
                  msg(4, struct.pack(">I", NPIECES + 5)))
    elif name == "unrequested":
        c.sendall(msg(5, bitfield(NPIECES)) + msg(1) +
                  msg(7, struct.pack(">II", 1, 0) + os.urandom(16384)))
    if closed_by_peer(c):
        bump(name, "dropped")


def listener(ip, name):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, 0))
    s.listen(16)
    s.settimeout(0.3)

    def loop():
        while not stop_flag.is_set():
            try:
                c, _ = s.accept()
            except socket.timeout:
                continue
            except OSError:
                return

            def one(c=c):
                try:
                    serve(c, name)
                except (EOFError, OSError):
                    pass
                finally:
                    c.close()
            threading.Thread(target=one, daemon=True).start()
        s.close()
    threading.Thread(target=loop, daemon=True).start()
    return s.getsockname()[1]


names = ["corrupt", "bigprefix", "badbitfield", "badhave", "unrequested"]
peers = []
for i, name in enumerate(names):
    ip = "127.0.9.%d" % (i + 1)
    peers.append("%s:%d" % (ip, listener(ip, name)))
seed, sport = k.start_lt(work, "127.0.8.41", tor, data, 3 << 20)
peers.append("127.0.8.41:%d" % sport)

dest = os.path.join(work, "dl")
os.makedirs(dest)
k.forget_resume()
logp = os.path.join(work, "vtfs.log")
v = k.vtfs_spawn(tor, dest, "127.0.8.42", peers, False, extra=["-v"],
                 logpath=logp)
maxrss = 0
t0 = time.time()
while v.poll() is None and time.time() - t0 < 120:
    r = k.rss_kb(v.pid)
    if r:
        maxrss = max(maxrss, r)
    time.sleep(0.1)
rc = v.poll()
if rc is None:
    k.stop(v, signal.SIGKILL)
stop_flag.set()
with open(logp) as f:
    out = f.read()
if rc != 0:
    k.log("vtfs log tail:\n" + out[-4000:])
k.check(rc == 0, "download completed beside hostile peers (exit %s)" % rc)
k.check(k.tree_sums(os.path.join(dest, "tree")) == want, "sha256 match")
k.log("scripted peers: %s" % stats)
cs = stats.get("corrupt", {})
k.check(cs.get("blocks", 0) > 0, "the corrupt peer was asked for blocks")
k.check("banned 127.0.9.1" in out, "the corrupt peer was banned")
k.check(cs.get("conns", 0) == 1,
        "the corrupt peer was never dialled again (%d connections)" %
        cs.get("conns", 0))
import re  # noqa: E402
m = re.search(r"(\d+) hash failures, (\d+) peers banned", out)
k.check(m is not None and int(m.group(1)) >= 2 and int(m.group(2)) == 1,
        "summary: %s" % (m.group(0) if m else "missing"))
for name in names[1:]:
    st = stats.get(name, {})
    k.check(st.get("conns", 0) >= 1 and st.get("dropped", 0) >= 1,
            "%s: vtfs dropped the connection (%s)" % (name, st))
k.check(maxrss < 160 * 1024, "vtfs max RSS %d KiB stays under 160 MiB"
        % maxrss)
k.finish("test_download_hostile")
