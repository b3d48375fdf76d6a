"""vtfs-tracker interop on loopback: python3-libtorrent, aria2c and
transmission-daemon announce to vtfs-tracker, one torrent over HTTP and one
over UDP (so both paths are used), and get each other as peers; a
libtorrent seeder -> aria2c leecher download goes through with
vtfs-tracker as the only tracker, checked with sha256.  Transmission never
dials 127.x peers, so it is checked through what it reports of its tracker
(peers received) and through the tracker's own table.  vtfs --announce
(our own client) announces over HTTP and UDP and must get the others."""
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trackerlib import (UdpClient, announce_http, bdecode, check, fail,  # noqa
                        http,
                        free_port, make_torrent, need, start, start_tracker,
                        tmpdir, info_hash, wait_tcp)

need("aria2c", "transmission-daemon", "transmission-remote")
try:
    import libtorrent as lt
except ImportError:
    fail("python3-libtorrent is missing (run with /usr/bin/python3)")

TIP = "127.0.3.1"
LT_IP, ARIA_IP, TR_IP, PROBE_IP, VTFS_IP = ("127.0.3.31", "127.0.3.32",
                                            "127.0.3.33", "127.0.3.34",
                                            "127.0.3.35")
d = tmpdir()
trk, port = start_tracker(TIP, ["--interval", "60"], log=d + "/tracker.log")
seed_dir = d + "/seed"
os.makedirs(seed_dir)
torrents = {}
for proto, url in (("http", "http://%s:%d/announce" % (TIP, port)),
                   ("udp", "udp://%s:%d/announce" % (TIP, port))):
    name = "data-%s.bin" % proto
    data = os.urandom(3 * 1024 * 1024 + 1234)
    with open(os.path.join(seed_dir, name), "wb") as f:
        f.write(data)
    path = d + "/%s.torrent" % proto
    raw = make_torrent(path, data, name, url)
    torrents[proto] = {"path": path, "name": name, "ih": info_hash(raw),
                       "sha": hashlib.sha256(data).hexdigest()}

# --- libtorrent seeder ---
lt_port = free_port(LT_IP, udp=False)
ses = lt.session({
    "listen_interfaces": "%s:%d" % (LT_IP, lt_port),
    "outgoing_interfaces": LT_IP, "enable_dht": False, "enable_lsd": False,
    "enable_upnp": False, "enable_natpmp": False,
    "enable_ip_notifier": False, "dht_bootstrap_nodes": "",
    "enable_incoming_utp": False, "enable_outgoing_utp": False,
    "allow_multiple_connections_per_ip": True,
    "alert_mask": lt.alert.category_t.error_notification |
    lt.alert.category_t.tracker_notification})
handles = {}
for proto, t in torrents.items():
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(t["path"])
    atp.save_path = seed_dir
    atp.flags = (atp.flags | lt.torrent_flags.seed_mode) & \
        ~lt.torrent_flags.auto_managed & ~lt.torrent_flags.paused
    handles[proto] = ses.add_torrent(atp)


def lt_replies():
    n = 0
    for a in ses.pop_alerts():
        if isinstance(a, lt.tracker_reply_alert):
            n += 1
        elif isinstance(a, lt.tracker_error_alert):
            print("libtorrent tracker error:", a.message())
    return n


end = time.time() + 30
got = 0
while time.time() < end and got < 2:
    got += lt_replies()
    time.sleep(0.2)
check(got >= 2, "libtorrent announced both torrents (HTTP and UDP)")

# --- transmission-daemon leecher (announces; does not dial 127.x) ---
tr_port = free_port(TR_IP, udp=False)
rpc_port = free_port(TR_IP, udp=False)
trdir = d + "/tr"
os.makedirs(trdir + "/dl")
json.dump({"bind-address-ipv4": TR_IP, "bind-address-ipv6": "::1",
           "peer-port": tr_port, "peer-port-random-on-start": False,
           "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False,
           "port-forwarding-enabled": False, "utp-enabled": False,
           "rpc-enabled": True, "rpc-bind-address": TR_IP,
           "rpc-port": rpc_port, "rpc-authentication-required": False,
           "rpc-whitelist-enabled": False,
           "rpc-host-whitelist-enabled": False,
           "download-dir": trdir + "/dl", "incomplete-dir-enabled": False,
           "watch-dir-enabled": False, "encryption": 0,
           "start-added-torrents": True, "message-level": 2},
          open(trdir + "/settings.json", "w"))
tr = start(["transmission-daemon", "-f", "-g", trdir, "-e",
            d + "/transmission.log"])
wait_tcp(TR_IP, rpc_port, proc=tr)
remote = ["transmission-remote", "%s:%d" % (TR_IP, rpc_port)]
for t in torrents.values():
    subprocess.run(remote + ["-a", t["path"]], check=True,
                   capture_output=True, timeout=30)

# --- aria2c leecher: downloads both torrents from libtorrent ---
aria_port = free_port(ARIA_IP)
dht_port = free_port(ARIA_IP)
adir = d + "/aria"
os.makedirs(adir)
# aria2 speaks UDP trackers only through its DHT socket: DHT is on, with
# no entry point and an empty routing table, so it talks to nobody else.
aria = start(["aria2c", "--no-conf", "--dir=" + adir, "--seed-time=0",
              "--enable-dht=true", "--dht-listen-port=%d" % dht_port,
              "--dht-file-path=" + d + "/dht.dat", "--enable-dht6=false",
              "--bt-enable-lpd=false", "--enable-peer-exchange=false",
              "--disable-ipv6=true", "--interface=" + ARIA_IP,
              "--listen-port=%d" % aria_port, "--file-allocation=none",
              "--summary-interval=0", "--console-log-level=warn",
              "--log=" + d + "/aria2-full.log", "--log-level=info",
              "--bt-tracker-connect-timeout=10", "--bt-tracker-timeout=10",
              "--follow-torrent=false", torrents["http"]["path"],
              torrents["udp"]["path"]], log=d + "/aria2.log")

try:
    rc = aria.wait(120)
except subprocess.TimeoutExpired:
    for f in ("aria2-full.log", "tracker.log"):
        print("--- " + f)
        txt = open(d + "/" + f, errors="replace").read()
        print("\n".join(x for x in txt.splitlines()
                        if "udp" in x.lower() or "tracker" in x.lower())
              [-6000:])
    fail("aria2c did not finish within 120 s")
check(rc == 0, "aria2c finished (exit 0)")
for t in torrents.values():
    with open(os.path.join(adir, t["name"]), "rb") as f:
        got = hashlib.sha256(f.read()).hexdigest()
    check(got == t["sha"], "aria2c download of %s matches sha256" % t["name"])

# libtorrent gets the other clients (transmission stays a leecher in both
# swarms; aria2c has stopped, no probe yet) from the tracker: its reply alerts count the peers received.
got_peers = {}
end = time.time() + 40
while time.time() < end and len(got_peers) < 2:
    for h in handles.values():
        h.force_reannounce(0, -1, lt.reannounce_flags_t.ignore_min_interval)
    time.sleep(2)
    for a in ses.pop_alerts():
        if isinstance(a, lt.tracker_reply_alert) and a.num_peers > 0:
            got_peers[str(a.handle.info_hash())] = a.num_peers
check(len(got_peers) == 2, "libtorrent (seeder) received peers from vtfs-tracker for "
      "both torrents: %r" % got_peers)

# --- vtfs --announce (our own client) gets libtorrent and transmission ---
vtfs = os.environ.get("VTFS_BIN")
if not vtfs or not os.path.exists(vtfs):
    fail("VTFS_BIN not set or missing")
for proto, t in torrents.items():
    want = {"%s:%d" % (LT_IP, lt_port), "%s:%d" % (TR_IP, tr_port)}
    peers = set()
    for _ in range(10):
        r = subprocess.run([vtfs, "--announce", t["path"], "--listen",
                            VTFS_IP + ":7777", "--json", "--timeout", "10",
                            "--udp-retry-base", "1000"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            fail("vtfs --announce failed: " + r.stderr)
        rep = [x for x in json.loads(r.stdout) if x["kind"] == "announce"]
        peers = set(rep[0]["peers"]) if rep and rep[0]["ok"] else set()
        if want <= peers:
            break
        time.sleep(1)
    check(want <= peers, "%s: vtfs --announce got libtorrent and "
          "transmission: %s" % (proto, sorted(peers)))

# --- who the tracker knows: each client, per protocol ---
# A probe announce (numwant 200) lists every peer of each swarm.
for proto, t in torrents.items():
    want = {LT_IP: lt_port, TR_IP: tr_port}
    end = time.time() + 40
    while True:
        if proto == "http":
            st, r = announce_http(TIP, port, t["ih"], b"-PR0001-000000000001",
                                  1, left=1, src=PROBE_IP,
                                  extra="&numwant=200")
            peers = [("%d.%d.%d.%d" % tuple(r[b"peers"][i:i + 4]),
                      int.from_bytes(r[b"peers"][i + 4:i + 6], "big"))
                     for i in range(0, len(r[b"peers"]), 6)]
        else:
            u = UdpClient(TIP, port, src=PROBE_IP)
            u.connect()
            peers = u.announce(t["ih"], b"-PR0001-000000000002", 1, left=1,
                               numwant=200)["peers"]
        if all((ip, p) in peers for ip, p in want.items()) or \
                time.time() > end:
            break
        time.sleep(1)
    for ip, p in want.items():
        check((ip, p) in peers, "%s: tracker lists %s:%d (%s)" %
              (proto, ip, p, "libtorrent" if ip == LT_IP else "transmission"))
    # aria2c has stopped by now; its "completed" event was counted.
    st, body, _ = http("GET", "http://%s:%d/scrape?info_hash=%s" % (
        TIP, port, urllib.parse.quote_from_bytes(t["ih"])))
    check(bdecode(body)[b"files"][t["ih"]][b"downloaded"] >= 1,
          "%s: aria2c's completed announce counted" % proto)

# Transmission received peers from the tracker over HTTP and UDP.
end = time.time() + 90
info = ""
while time.time() < end:
    info = subprocess.run(remote + ["-t", "all", "-it"], capture_output=True,
                          text=True, timeout=30).stdout
    if info.count("Got a list of") >= 2 and "Got a list of 0" not in info:
        break
    subprocess.run(remote + ["-t", "all", "--reannounce"],
                   capture_output=True, timeout=30)
    time.sleep(3)
print(info)
check(info.count("Got a list of") >= 2 and "Got a list of 0" not in info,
      "transmission got peers from vtfs-tracker for both torrents")
check("udp://" in info and "http://" in info,
      "transmission used the HTTP and the UDP tracker")
check(trk.poll() is None, "tracker alive")
print("PASS")
