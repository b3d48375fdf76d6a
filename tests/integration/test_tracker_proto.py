"""vtfs-tracker protocol test: HTTP and UDP announce/scrape on loopback,
peers exchanged between announcers, and hostile clients: malformed query
strings, short and forged UDP packets, multi-scrape above the cap, a slow
client that must not slow the others, and IPv6 (in a private network
namespace).  Needs only python3 and the tracker binary."""
import os
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trackerlib import (UdpClient, announce_http, bdecode, check, fail,  # noqa
                        free_port, http, start_tracker, tmpdir, tracker_bin)

IP = "127.0.3.1"
d = tmpdir()
trk, port = start_tracker(IP, ["--interval", "60"], log=d + "/tracker.log")
base = "http://%s:%d" % (IP, port)
IH = bytes(range(1, 21))
IH0 = b"\x00" * 19 + b"\x01"

# --- HTTP announces from two addresses get each other ---
st, r1 = announce_http(IP, port, IH, b"-AA0001-000000000001", 7001, left=100,
                       src="127.0.3.11")
check(st == 200 and r1[b"incomplete"] == 1 and r1[b"peers"] == b"",
      "first HTTP announce: 1 leecher, no peers")
check(r1[b"interval"] == 60 and r1[b"min interval"] == 30,
      "interval from --interval")
st, r2 = announce_http(IP, port, IH, b"-AA0001-000000000002", 7002, left=0,
                       src="127.0.3.12")
check(r2[b"peers"] == bytes([127, 0, 3, 11]) + struct.pack(">H", 7001),
      "second announcer gets the first (source address, compact)")
check(r2[b"complete"] == 1 and r2[b"incomplete"] == 1, "counts 1/1")
st, r3 = announce_http(IP, port, IH, b"-AA0001-000000000001", 7001, left=100,
                       src="127.0.3.11", extra="&compact=0&ip=10.9.9.9")
check(r3[b"peers"] == [{b"ip": b"127.0.3.12", b"port": 7002}],
      "non-compact peers (ip, port); ip= ignored by default")
st, r4 = announce_http(IP, port, IH, b"-AA0001-000000000001", 7001, left=100,
                       src="127.0.3.11", extra="&compact=0&no_peer_id=1",
                       event="")
check(r4[b"peers"] == [{b"ip": b"127.0.3.12", b"port": 7002}],
      "no_peer_id accepted")
# Binary info_hash with %00 inside.
st, r = announce_http(IP, port, IH0, b"-AA0001-000000000009", 7009, left=1)
check(r[b"incomplete"] == 1, "info_hash with NUL bytes announces")

# --- HTTP scrape ---
st, body, _ = http("GET", base + "/scrape?info_hash=%s&info_hash=%s&"
                   "info_hash=%s" % ("".join("%%%02x" % b for b in IH),
                                     "".join("%%%02x" % b for b in IH),
                                     "%00" * 20))
s = bdecode(body)
check(s[b"files"][IH] == {b"complete": 1, b"incomplete": 1,
                          b"downloaded": 0} and len(s[b"files"]) == 2,
      "scrape: duplicates merged, unknown hash reads zero")

# --- hostile query strings: a failure reason, never a crash ---
pid = "-AA0001-000000000003"
ihq = "".join("%%%02x" % b for b in IH)
cases = [
    ("info_hash=%zz&peer_id=" + pid + "&port=1", b"malformed %-escape"),
    ("info_hash=" + ihq + "&peer_id=" + pid + "&port=1&x=%4",
     b"malformed %-escape"),
    ("info_hash=abc&peer_id=" + pid + "&port=1", b"invalid info_hash"),
    ("info_hash=" + ihq + "%41&peer_id=" + pid + "&port=1",
     b"invalid info_hash"),
    ("info_hash=" + ihq + "&peer_id=" + pid + "&port=0", b"invalid port"),
    ("info_hash=" + ihq + "&peer_id=" + pid + "&port=70000", b"invalid port"),
    ("info_hash=" + ihq + "&peer_id=" + pid + "&port=1&numwant=-5",
     b"invalid numwant"),
    ("info_hash=" + ihq + "&peer_id=" + pid + "&port=1&numwant=1" + "0" * 12,
     b"invalid numwant"),
    ("info_hash=" + ihq + "&info_hash=" + ihq + "&peer_id=" + pid +
     "&port=1", b"repeated"),
    ("info_hash=" + ihq + "&peer_id=" + pid + "&port=1&port=2", b"repeated"),
    ("info_hash=" + ihq + "&peer_id=short&port=1", b"invalid peer_id"),
    ("info_hash=" + ihq + "&peer_id=" + pid + "&port=1&event=boom",
     b"invalid event"),
    ("info_hash=" + ihq + "&peer_id=" + pid + "&port=1&left=-1",
     b"invalid uploaded"),
    ("a=" + "x" * 9000, b"too long"),
]
for q, want in cases:
    st, body, _ = http("GET", base + "/announce?" + q)
    r = bdecode(body)
    check(st == 200 and want in r.get(b"failure reason", b""),
          "hostile query -> %r" % want)
st, body, _ = http("GET", base + "/announce?info_hash=" + ihq + "&peer_id=" +
                   pid + "&port=1&numwant=1000000000")
check(b"peers" in bdecode(body), "numwant 10^9 is clamped, not refused")
# Scrape above the cap (64).
q = "&".join("info_hash=%s" % ("%%%02x" % i * 20) for i in range(65))
st, body, _ = http("GET", base + "/scrape?" + q)
check(b"too many info_hash" in bdecode(body)[b"failure reason"],
      "multi-scrape above 64 refused")
st, body, _ = http("GET", base + "/scrape")
check(b"failure reason" in bdecode(body), "full scrape is not offered")
st, body, _ = http("GET", base + "/nothing")
check(st == 404, "unknown path 404")
st, body, _ = http("PUT", base + "/announce", body=b"x")
check(st == 405, "PUT refused")

# A huge request line / header is refused without harm.
s = socket.create_connection((IP, port), 5)
s.sendall(b"GET /announce?" + b"a" * 200000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
try:
    got = s.recv(100)
except OSError:
    got = b""
s.close()
check(got == b"" or got.split()[1] in (b"414", b"431", b"400"),
      "oversized request line refused (%r)" % got[:20])

# --- slow clients do not slow the others ---
slow = []
for _ in range(50):
    c = socket.create_connection((IP, port), 5)
    c.sendall(b"GET /announce?info_hash=")    # and then nothing
    slow.append(c)
t0 = time.time()
for i in range(50):
    st, r = announce_http(IP, port, IH, b"-AA0001-0000000001%02d" % i,
                          8000 + i, left=5)
    if st != 200:
        fail("announce failed while slow clients hang")
dt = time.time() - t0
check(dt < 5, "50 announces in %.2fs with 50 stalled connections" % dt)
for c in slow:
    c.close()

# --- UDP ---
u = UdpClient(IP, port, src="127.0.3.21")
u.connect()
r = u.announce(IH, b"-UU0001-000000000001", 9001, left=10)
check("peers" in r and r["interval"] == 60, "UDP announce answered")
check(("127.0.3.12", 7002) in r["peers"], "UDP announcer gets HTTP peers")
u2 = UdpClient(IP, port, src="127.0.3.22")
u2.connect()
r = u2.announce(IH, b"-UU0001-000000000002", 9002, left=0, numwant=1000)
check(("127.0.3.21", 9001) in r["peers"], "UDP announcers see each other")
st, r = announce_http(IP, port, IH, b"-AA0001-000000000004", 7004, left=1,
                      src="127.0.3.13")
check((bytes([127, 0, 3, 22]) + struct.pack(">H", 9002)) in
      bytes(r[b"peers"]) or len(r[b"peers"]) >= 6 * 50,
      "HTTP announcer can get UDP peers")
sc = u.scrape([IH, b"\x07" * 20])
check(len(sc) == 2 and sc[1] == (0, 0, 0) and sc[0][0] >= 1,
      "UDP scrape: counts in order, unknown zero")
# Forged connection id: dropped (no reply).
check(u.announce(IH, b"-UU0001-000000000003", 9003, cid=12345,
                 expect_reply=False) is None, "forged connection id dropped")
# Another address cannot reuse our connection id.
u3 = UdpClient(IP, port, src="127.0.3.23")
check(u3.announce(IH, b"-UU0001-000000000003", 9003, cid=u.cid,
                  expect_reply=False) is None,
      "connection id bound to its address")
# Short packets and junk: no reply, tracker alive.
for pkt in [b"", b"\x00", b"\x00" * 15, os.urandom(16), os.urandom(97),
            struct.pack(">QII", 0x41727101981, 0, 1)]:
    check(u.rpc(pkt, expect_reply=False) is None,
          "junk UDP packet of %d bytes dropped" % len(pkt))
# Well-formed but invalid with a valid id: an error packet.
tid = 77
pkt = struct.pack(">QII20s20sQQQIIIiH", u.cid, 1, tid, IH, b"p" * 20, 0, 0,
                  0, 9, 0, 0, -1, 1)
r = u.rpc(pkt)
check(r[:8] == struct.pack(">II", 3, tid) and b"invalid event" in r,
      "bad UDP event -> error packet")
pkt = struct.pack(">QII", u.cid, 2, tid) + b"h" * 20 * 75
r = u.rpc(pkt)
check(r[:4] == struct.pack(">I", 3) and b"too many" in r,
      "UDP scrape above 74 -> error packet")
pkt = struct.pack(">QII", u.cid, 1, tid) + b"x" * 50
check(u.rpc(pkt, expect_reply=False) is not None, "short announce -> error")
# Port 0.
r = u.announce(IH, b"-UU0001-000000000005", 0)
check(r.get("error") == "invalid port", "UDP port 0 refused")
# Stopped removes.
r = u.announce(IH, b"-UU0001-000000000001", 9001, event=3)
r2 = u2.announce(IH, b"-UU0001-000000000002", 9002, left=0)
check(("127.0.3.21", 9001) not in r2["peers"], "stopped peer removed")
check(trk.poll() is None, "tracker still running after hostile input")

# --- IPv6, in a network namespace of our own (only ::1 exists there) ---
if subprocess.run(["unshare", "--net", "true"]).returncode != 0:
    fail("cannot create a network namespace (need root) for the IPv6 test")
v6 = r'''
import os, socket, struct, subprocess, sys, time, urllib.parse
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
sys.path.insert(0, %r)
from trackerlib import bdecode, start, fail
p = start([%r, "-f", "--listen", "[::1]:7777", "--listen", "127.0.3.1:7777"])
for _ in range(100):
    try:
        socket.create_connection(("::1", 7777), 0.5).close(); break
    except OSError:
        time.sleep(0.1)
ih = b"6" * 20
def ann(pid, port):
    s = socket.create_connection(("::1", 7777), 5)
    q = "info_hash=%%s&peer_id=%%s&port=%%d&left=1" %% (
        urllib.parse.quote(ih), pid, port)
    s.sendall(("GET /announce?" + q + " HTTP/1.0\r\n\r\n").encode())
    d = b""
    while True:
        x = s.recv(65536)
        if not x: break
        d += x
    return bdecode(d.split(b"\r\n\r\n", 1)[1])
ann("-V6V6V-0000000000001", 5001)
r = ann("-V6V6V-0000000000002", 5002)
want = socket.inet_pton(socket.AF_INET6, "::1") + struct.pack(">H", 5001)
if r.get(b"peers6") != want:
    fail("peers6 wrong: %%r" %% r)
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.settimeout(2)
u.sendto(struct.pack(">QII", 0x41727101980, 0, 5), ("::1", 7777))
cid = struct.unpack(">Q", u.recv(100)[8:16])[0]
u.sendto(struct.pack(">QII20s20sQQQIIIiH", cid, 1, 6, ih, b"-V6V6V-0000000000003",
         0, 1, 0, 2, 0, 0, -1, 5003), ("::1", 7777))
r = u.recv(1000)
if r[20:] != want and len(r[20:]) %% 18 != 0 or want not in r[20:]:
    fail("UDP v6 peers wrong: %%r" %% r)
print("ok: IPv6 HTTP peers6 and UDP 18-byte peers")
''' % (os.path.dirname(os.path.abspath(__file__)), tracker_bin())
r = subprocess.run(["unshare", "--net", sys.executable, "-c", v6],
                   timeout=60)
check(r.returncode == 0, "IPv6 phase passed")

# --- graceful SIGTERM ---
trk.terminate()
try:
    rc = trk.wait(10)
except subprocess.TimeoutExpired:
    fail("tracker did not stop within 10 s of SIGTERM")
check(rc == 0, "SIGTERM: clean exit 0")
# --- daemonised: detaches, writes its pid file and log, stops on SIGTERM ---
dport = free_port(IP)
r = subprocess.run([tracker_bin(), "--listen", "%s:%d" % (IP, dport),
                    "--pid-file", d + "/trk.pid", "--log", d + "/daemon.log"],
                   timeout=30)
check(r.returncode == 0, "daemon mode: the launcher exits 0")
end = time.time() + 10
while not os.path.exists(d + "/trk.pid") and time.time() < end:
    time.sleep(0.1)
dpid = int(open(d + "/trk.pid").read())
try:
    st, r = announce_http(IP, dport, IH, b"-DD0001-000000000001", 1)
    check(st == 200 and b"peers" in r, "daemon answers announces")
finally:
    os.kill(dpid, signal.SIGTERM)
end = time.time() + 10
while os.path.exists("/proc/%d" % dpid) and time.time() < end:
    time.sleep(0.1)
check(not os.path.exists("/proc/%d" % dpid), "daemon stopped on SIGTERM")
check(not os.path.exists(d + "/trk.pid"), "pid file removed")
check("listening on" in open(d + "/daemon.log").read(), "daemon logs to --log")
print("PASS")
