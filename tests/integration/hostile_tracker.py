"""A scripted hostile tracker for the announce tests (imported, not a test).

HTTP: one threaded server on 127.0.0.1; the first path component picks the
misbehaviour (http://127.0.0.1:PORT/<kind>/announce).  UDP: one socket per
misbehaviour.  Also the failover helpers: a TCP server that accepts and
never answers, and a UDP black hole that counts what it receives.
Everything runs in daemon threads of the test process, loopback only.
"""
import gzip
import socket
import struct
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PEER_OK = bytes([127, 0, 4, 9, 0x1b, 0x59])  # 127.0.4.9:7001


def benc_ok(interval=1800, peers=PEER_OK, extra=b""):
    return (b"d8:intervali%de5:peers%d:" % (interval, len(peers)) + peers +
            extra + b"e")


GZIP_BOMB = gzip.compress(b"d" * (64 << 20), 9)  # 64 MiB inflated


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def send(self, body, status=200, ctype="text/plain", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        if not any(k == "Content-Length" for k, _ in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        kind = url.path.strip("/").split("/")[0]
        # latin-1 keeps the binary info_hash and peer_id byte for byte
        q = urllib.parse.parse_qs(url.query, encoding="latin-1")
        self.server.hits.append((kind, q, self.client_address[0]))
        try:
            self.serve(kind, q)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def serve(self, kind, q):
        if kind == "ok":
            self.send(benc_ok())
        elif kind == "html":
            self.send(b"<html><body><h1>It works!</h1></body></html>",
                      ctype="text/html")
        elif kind == "trunc":
            self.send(benc_ok()[:-9])
        elif kind == "fail":
            self.send(b"d14:failure reason7:go awaye")
        elif kind == "badlen":
            self.send(b"d8:intervali60e5:peers7:\x7f\x00\x00\x01\x1a\xe1\x00e")
        elif kind == "badlen6":
            self.send(b"d8:intervali60e5:peers0:6:peers617:" + b"\x00" * 17 +
                      b"e")
        elif kind == "empty":
            self.send(b"")
        elif kind == "status500":
            self.send(b"Internal Server Error", status=500)
        elif kind == "manynodes":
            self.send(b"d8:intervali60e4:junkl" + b"i0e" * 300000 + b"ee")
        elif kind == "big":
            # 10 MB with no length: the client must stop at its cap.
            self.send_response(200)
            self.end_headers()
            chunk = b"d" * 65536
            for _ in range(160):
                self.wfile.write(chunk)
        elif kind == "biglen":
            self.send_response(200)
            self.send_header("Content-Length", str(10 << 20))
            self.end_headers()
            chunk = b"d" * 65536
            for _ in range(160):
                self.wfile.write(chunk)
        elif kind == "gzip":
            self.send(GZIP_BOMB, headers=[("Content-Encoding", "gzip")])
        elif kind == "loop":
            self.send(b"", status=302, headers=[("Location", self.path)])
        elif kind == "ftp":
            self.send(b"", status=302,
                      headers=[("Location", "ftp://127.0.0.1:1/announce")])
        elif kind == "redir":
            self.send(b"", status=302, headers=[
                ("Location", self.path.replace("/redir/", "/ok/", 1))])
        elif kind == "slow":
            self.send_response(200)
            self.end_headers()
            body = benc_ok()
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(0.3)
        elif kind == "int0":
            self.send(benc_ok(interval=0))
        elif kind == "intbig":
            self.send(benc_ok(interval=2 ** 31))
        elif kind == "port0":
            self.send(benc_ok(peers=PEER_OK + bytes([10, 0, 0, 1, 0, 0])))
        elif kind == "huge":
            peers = b"".join(struct.pack(">IH", 0x0a000000 + i, 1000)
                             for i in range(100000))
            self.send(benc_ok(peers=peers))
        elif kind == "trackerid":
            self.send(benc_ok(extra=b"10:tracker id4:T%01"))
        elif kind == "hangstop":
            if q.get("event", [""])[0] == "stopped":
                time.sleep(20)
            else:
                self.send(benc_ok())
        else:
            self.send(b"no such kind", status=404)


def start_http():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.hits = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


class UdpTracker:
    """One misbehaving BEP 15 tracker."""

    def __init__(self, kind):
        self.kind = kind
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.connects = 0
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            try:
                pkt, addr = self.sock.recvfrom(65536)
            except OSError:
                return
            self.received.append((time.monotonic(), pkt))
            if len(pkt) < 16:
                continue
            action, tid = struct.unpack(">II", pkt[8:16])
            self.answer(addr, action, tid, pkt)

    def send(self, addr, data):
        self.sock.sendto(data, addr)

    def answer(self, addr, action, tid, pkt):
        k = self.kind
        conn = struct.pack(">IIQ", 0, tid, 0x1122334455667788)
        good = struct.pack(">IIIII", 1, tid, 1800, 1, 1) + PEER_OK
        if k == "blackhole":
            return
        if action == 0:
            self.connects += 1
            if k == "badtid":
                self.send(addr, struct.pack(">IIQ", 0, tid ^ 1, 1))
            elif k == "short":
                self.send(addr, b"\x00\x00\x00\x00\x01")
            elif k == "error":
                self.send(addr, struct.pack(">II", 3, tid) + b"go away udp")
            elif k == "junkthengood":
                self.send(addr, struct.pack(">IIQ", 0, tid ^ 0xff, 5))
                self.send(addr, b"\x00")
                self.send(addr, conn)
            elif k == "retry":
                if self.connects >= 3:
                    self.send(addr, conn)
            else:
                self.send(addr, conn)
        elif action == 1:
            if k == "badpeers":
                self.send(addr, good + b"\x01" * 7)
            elif k == "wrongaction":
                self.send(addr, struct.pack(">IIIII", 2, tid, 1, 1, 1))
            else:
                self.send(addr, good)

    def close(self):
        self.sock.close()


class Hang:
    """Accepts TCP connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append((time.monotonic(), c))

    def close(self):
        for _, c in self.conns:
            c.close()
        self.sock.close()


def closed_port(kind=socket.SOCK_STREAM):
    """A port with nothing listening (bound, then closed)."""
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
