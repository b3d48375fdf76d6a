"""Helpers for the vtfs-tracker integration tests (not a test itself).

Loopback only: every address is in 127.0.3.0/24 (this branch's range) and
every port is chosen free at run time.  Processes are started with start()
and stopped by PID at exit (atexit and SIGTERM), temp dirs removed.
"""
import atexit
import hashlib
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

PROCS = []
TMPDIRS = []


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok: " + msg, flush=True)


def cleanup():
    for p in reversed(PROCS):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
    for d in TMPDIRS:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(cleanup)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


def tmpdir():
    d = tempfile.mkdtemp(prefix="vtfs-trk-")
    TMPDIRS.append(d)
    return d


def need(*tools):
    for t in tools:
        if shutil.which(t) is None and not os.path.exists(t):
            fail("missing tool: " + t)


def tracker_bin():
    b = os.environ.get("VTFS_TRACKER_BIN")
    if not b or not os.path.exists(b):
        fail("VTFS_TRACKER_BIN not set or missing")
    return b


def free_port(ip, udp=True):
    """A port free for both TCP and UDP on ip (bounded attempts)."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((ip, 0))
        port = t.getsockname()[1]
        try:
            if udp:
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                u.bind((ip, port))
                u.close()
            t.close()
            return port
        except OSError:
            t.close()
    fail("no free port on " + ip)


def start(argv, log=None, env=None, **kw):
    out = open(log, "wb") if log else subprocess.DEVNULL
    p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                         env=env, **kw)
    PROCS.append(p)
    return p


def stop(p, timeout=10):
    p.terminate()
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)
        return None


def wait_tcp(ip, port, timeout=15, proc=None):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            fail("process exited early with %d" % proc.returncode)
        try:
            socket.create_connection((ip, port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    fail("nothing listens on %s:%d" % (ip, port))


def start_tracker(ip, args=(), log=None, tls_port=None):
    port = free_port(ip)
    argv = [tracker_bin(), "-f", "--listen", "%s:%d" % (ip, port),
            "--log-level", "debug"] + list(args)
    p = start(argv, log=log)
    wait_tcp(ip, port, proc=p)
    if tls_port:
        wait_tcp(ip, tls_port, proc=p)
    return p, port


# --- bencode (just enough for tracker replies and .torrent files) ---

def bdecode(b):
    def dec(i):
        c = b[i:i + 1]
        if c == b"i":
            j = b.index(b"e", i)
            return int(b[i + 1:j]), j + 1
        if c == b"l":
            i += 1
            out = []
            while b[i:i + 1] != b"e":
                v, i = dec(i)
                out.append(v)
            return out, i + 1
        if c == b"d":
            i += 1
            out = {}
            while b[i:i + 1] != b"e":
                k, i = dec(i)
                v, i = dec(i)
                out[k] = v
            return out, i + 1
        j = b.index(b":", i)
        n = int(b[i:j])
        return b[j + 1:j + 1 + n], j + 1 + n
    v, i = dec(0)
    if i != len(b):
        raise ValueError("trailing bytes")
    return v


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x)
                       for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x)
                               for k, x in items) + b"e"
    raise TypeError(type(v))


def info_hash(torrent_bytes):
    t = bdecode(torrent_bytes)
    return hashlib.sha1(bencode(t[b"info"])).digest()


def make_torrent(path, data, name, announce):
    """A single-file .torrent for data (bytes), written to path."""
    plen = 16384
    pieces = b"".join(hashlib.sha1(data[i:i + plen]).digest()
                      for i in range(0, len(data), plen))
    t = {"announce": announce,
         "info": {"name": name, "length": len(data),
                  "piece length": plen, "pieces": pieces}}
    raw = bencode(t)
    with open(path, "wb") as f:
        f.write(raw)
    return raw


# --- HTTP ---

def http(method, url, body=None, headers=None, timeout=10, context=None):
    import http.client
    u = urllib.parse.urlsplit(url)
    if u.scheme == "https":
        c = http.client.HTTPSConnection(u.hostname, u.port, timeout=timeout,
                                        context=context)
    else:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    path = u.path + ("?" + u.query if u.query else "")
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data, r


def announce_http(ip, port, ih, peer_id, pport, left=0, event="started",
                  extra="", path="/announce", src=None):
    if "compact=" not in extra:
        extra += "&compact=1"
    q = "info_hash=%s&peer_id=%s&port=%d&left=%d&uploaded=0&downloaded=0" \
        "&event=%s%s" % (urllib.parse.quote_from_bytes(ih),
                                   urllib.parse.quote_from_bytes(peer_id),
                                   pport, left, event, extra)
    if src is None:
        st, body, _ = http("GET", "http://%s:%d%s?%s" % (ip, port, path, q))
        return st, bdecode(body)
    s = socket.create_connection((ip, port), 5, source_address=(src, 0))
    s.sendall(("GET %s?%s HTTP/1.0\r\nHost: x\r\n\r\n" % (path, q)).encode())
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), bdecode(body)


def compact_peers(b):
    return [("%d.%d.%d.%d" % tuple(b[i:i + 4]),
             struct.unpack(">H", b[i + 4:i + 6])[0])
            for i in range(0, len(b), 6)]


# --- UDP (BEP 15) ---

class UdpClient:
    def __init__(self, ip, port, src="127.0.3.200"):
        self.addr = (ip, port)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((src, 0))
        self.s.settimeout(2)
        self.cid = None

    def rpc(self, pkt, expect_reply=True):
        self.s.sendto(pkt, self.addr)
        try:
            data, _ = self.s.recvfrom(65536)
            return data
        except socket.timeout:
            if expect_reply:
                fail("no UDP reply")
            return None

    def connect(self):
        tid = random.getrandbits(32)
        r = self.rpc(struct.pack(">QII", 0x41727101980, 0, tid))
        action, rtid, cid = struct.unpack(">IIQ", r[:16])
        check(action == 0 and rtid == tid and len(r) == 16,
              "UDP connect answered")
        self.cid = cid
        return cid

    def announce(self, ih, peer_id, port, left=0, event=2, numwant=-1,
                 cid=None, expect_reply=True):
        tid = random.getrandbits(32)
        pkt = struct.pack(">QII20s20sQQQIIIiH",
                          self.cid if cid is None else cid, 1, tid, ih,
                          peer_id, 0, left, 0, event, 0, 0, numwant, port)
        r = self.rpc(pkt, expect_reply)
        if r is None:
            return None
        action, rtid = struct.unpack(">II", r[:8])
        if rtid != tid:
            fail("UDP transaction id mismatch")
        if action == 3:
            return {"error": r[8:].decode()}
        interval, leechers, seeders = struct.unpack(">III", r[8:20])
        return {"interval": interval, "leechers": leechers,
                "seeders": seeders, "peers": compact_peers(r[20:])}

    def scrape(self, hashes, expect_reply=True):
        tid = random.getrandbits(32)
        r = self.rpc(struct.pack(">QII", self.cid, 2, tid) + b"".join(hashes),
                     expect_reply)
        if r is None:
            return None
        action, rtid = struct.unpack(">II", r[:8])
        if action == 3:
            return {"error": r[8:].decode()}
        out = []
        for i in range(8, len(r), 12):
            out.append(struct.unpack(">III", r[i:i + 12]))
        return out
