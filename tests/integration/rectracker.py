"""A recording tracker for the seeding tests (imported, not a test).

HTTP (BEP 3) and UDP (BEP 15) on one loopback address the test chooses,
in daemon threads of the test process.  Every announce is recorded with
its event and its uploaded/downloaded/left counters, and answered with the
other peers of the same info-hash (compact), so it also works as the
swarm's only tracker.
"""
import socket
import struct
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UDP_EVENTS = {0: "", 1: "completed", 2: "started", 3: "stopped"}


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.announces = []          # dicts, in arrival order
        self.swarms = {}             # info_hash -> {(ip, port): left}

    def announce(self, proto, ih, ip, port, event, up, down, left):
        a = {"proto": proto, "info_hash": ih.hex(), "ip": ip, "port": port,
             "event": event, "uploaded": up, "downloaded": down,
             "left": left, "time": time.monotonic()}
        with self.lock:
            self.announces.append(a)
            sw = self.swarms.setdefault(ih, {})
            if event == "stopped":
                sw.pop((ip, port), None)
            else:
                sw[(ip, port)] = left
            others = [p for p in sw if p != (ip, port)]
            seeds = sum(1 for v in sw.values() if v == 0)
        peers = b"".join(socket.inet_aton(i) + struct.pack(">H", p)
                         for i, p in others[:50])
        return peers, seeds, len(sw) - seeds

    def events(self, ih=None, ip=None):
        with self.lock:
            return [a for a in self.announces
                    if (ih is None or a["info_hash"] == ih) and
                    (ip is None or a["ip"] == ip)]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query, encoding="latin-1")
        try:
            ih = q["info_hash"][0].encode("latin-1")
            port = int(q["port"][0])
            a = (int(q["uploaded"][0]), int(q["downloaded"][0]),
                 int(q["left"][0]))
        except (KeyError, ValueError):
            body = b"d14:failure reason11:bad requeste"
        else:
            peers, _, _ = self.server.rec.announce(
                "http", ih, self.client_address[0], port,
                q.get("event", [""])[0], *a)
            body = (b"d8:intervali60e5:peers%d:" % len(peers) + peers +
                    b"e")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class RecTracker:
    """start(ip): HTTP and UDP on ip, ports picked by the kernel."""

    def __init__(self, ip):
        self.rec = Recorder()
        self.http = ThreadingHTTPServer((ip, 0), _Handler)
        self.http.daemon_threads = True
        self.http.rec = self.rec
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((ip, 0))
        self.udp.settimeout(0.2)
        self.ip = ip
        self.stopping = False
        self.conns = set()
        self.threads = [threading.Thread(target=self.http.serve_forever,
                                         daemon=True),
                        threading.Thread(target=self._udp_loop, daemon=True)]
        for t in self.threads:
            t.start()

    def http_url(self):
        return "http://%s:%d/announce" % (self.ip, self.http.server_port)

    def udp_url(self):
        return "udp://%s:%d" % (self.ip, self.udp.getsockname()[1])

    def _udp_loop(self):
        while not self.stopping:
            try:
                pkt, addr = self.udp.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(pkt) < 16:
                continue
            cid, action, tid = struct.unpack(">QII", pkt[:16])
            if action == 0 and cid == 0x41727101980:
                new = int.from_bytes(struct.pack(">I", tid) * 2, "big")
                self.conns.add(new)
                self.udp.sendto(struct.pack(">IIQ", 0, tid, new), addr)
            elif action == 1 and len(pkt) >= 98 and cid in self.conns:
                ih = pkt[16:36]
                down, left, up, ev = struct.unpack(">QQQI", pkt[56:84])
                port = struct.unpack(">H", pkt[96:98])[0]
                peers, seeds, leechers = self.rec.announce(
                    "udp", ih, addr[0], port, UDP_EVENTS.get(ev, "?"), up,
                    down, left)
                self.udp.sendto(struct.pack(">IIIII", 1, tid, 60, leechers,
                                            seeds) + peers, addr)

    def close(self):
        self.stopping = True
        self.http.shutdown()
        self.http.server_close()
        self.udp.close()
