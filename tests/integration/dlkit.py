#!/usr/bin/python3
"""Shared kit of the `vtfs --download` integration tests (not a test).

As a module: test data and torrents (mktorrent), opentracker with its
whitelist, seeders run by python3-libtorrent, aria2c and
transmission-daemon, each bound to its own loopback address, vtfs runs,
sha256 checks, and cleanup of every process by PID (atexit and signals).
As a script (`dlkit.py ltseed ...`): the python3-libtorrent seeder process,
optionally rate-limited so that tests can act in the middle of a download.

Addresses: 127.0.8.x and 127.0.9.x only (this suite's range); ports are
picked free at run time.
"""
import argparse
import atexit
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
VTFS = os.environ.get("VTFS_BIN", "")

_procs = []
_tmpdirs = []
results = {"pass": 0, "fail": 0}


def die(msg):
    print("FATAL: " + msg, file=sys.stderr, flush=True)
    cleanup()
    sys.exit(2)


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def check(cond, what):
    if cond:
        results["pass"] += 1
        log("ok: " + what)
    else:
        results["fail"] += 1
        log("FAIL: " + what)
    return cond


def finish(name):
    cleanup()
    log("%s: %d passed, %d failed" % (name, results["pass"], results["fail"]))
    sys.exit(1 if results["fail"] else 0)


def need(*tools):
    for t in tools:
        if not shutil.which(t):
            die(t + " is missing (run scripts/deps.sh)")
    if not VTFS or not os.access(VTFS, os.X_OK):
        die("VTFS_BIN is not set to the vtfs binary")
    try:
        import libtorrent  # noqa: F401
    except ImportError:
        die("python3-libtorrent is missing")


def tmpdir(tag):
    d = tempfile.mkdtemp(prefix="vtfs-dl-%s-" % tag)
    os.chmod(d, 0o755)
    _tmpdirs.append(d)
    return d


def spawn(args, logpath=None, **kw):
    out = open(logpath, "ab") if logpath else subprocess.DEVNULL
    p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                         start_new_session=True, **kw)
    _procs.append(p)
    return p


def stop(p, sig=signal.SIGTERM, wait=5.0):
    if p is None or p.poll() is not None:
        return
    try:
        os.kill(p.pid, sig)
    except ProcessLookupError:
        return
    try:
        p.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        try:
            os.kill(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(timeout=5)


def cleanup():
    for p in reversed(_procs):
        stop(p, signal.SIGTERM, 3.0)
    del _procs[:]
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)
    del _tmpdirs[:]
    for ih in _hashes:
        shutil.rmtree(os.path.join(cache_root(), ih), ignore_errors=True)


_hashes = []


def cache_root():
    if os.geteuid() == 0:
        return "/var/cache/vtfs"
    x = os.environ.get("XDG_CACHE_HOME")
    if x and x.startswith("/"):
        return os.path.join(x, "vtfs")
    return os.path.join(os.environ["HOME"], ".cache", "vtfs")


def _on_signal(signo, frame):
    cleanup()
    sys.exit(128 + signo)


atexit.register(cleanup)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def free_port(ip):
    """A TCP port free on ip now (also free for UDP)."""
    for _ in range(50):
        s = socket.socket()
        s.bind((ip, 0))
        port = s.getsockname()[1]
        s.close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind((ip, port))
            return port
        except OSError:
            continue
        finally:
            u.close()
    die("no free port on " + ip)


# ---------------------------------------------------------------------
# Data and torrents

def make_tree(root, name, sizes):
    """Files of random bytes under root/name; sizes: {relpath: bytes}."""
    top = os.path.join(root, name)
    for rel, size in sizes.items():
        path = os.path.join(top, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            left = size
            while left > 0:
                n = min(left, 4 << 20)
                f.write(os.urandom(n))
                left -= n
    return top


def make_torrent(src, out, piece_log2, tracker):
    args = ["mktorrent", "-l", str(piece_log2), "-o", out]
    args += ["-a", tracker] if tracker else ["-a", "http://127.0.8.1:1/announce"]
    r = subprocess.run(args + [src], capture_output=True, timeout=300)
    if r.returncode != 0:
        die("mktorrent: " + r.stderr.decode(errors="replace"))
    ih = info_hash(out)
    _hashes.append(ih)
    return ih


def info_hash(torrent):
    import libtorrent as lt
    return str(lt.torrent_info(torrent).info_hash())


def bench_data(work, size_mb):
    """work/data/big.bin of size_mb random MiB, kept between runs (the
    benchmarks' one file); returns (data dir, its path)."""
    data = os.path.join(work, "data")
    big = os.path.join(data, "big.bin")
    if not os.path.exists(big) or os.path.getsize(big) != size_mb << 20:
        os.makedirs(data, exist_ok=True)
        log("making %d MiB of data" % size_mb)
        with open(big, "wb") as f:
            for _ in range(size_mb):
                f.write(os.urandom(1 << 20))
    return data, big


def tree_sums(top):
    sums = {}
    for dp, _, files in os.walk(top):
        for f in files:
            p = os.path.join(dp, f)
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            sums[os.path.relpath(p, top)] = h.hexdigest()
    return sums


def forget_resume():
    for ih in _hashes:
        shutil.rmtree(os.path.join(cache_root(), ih), ignore_errors=True)


# ---------------------------------------------------------------------
# Tracker and seeders

def start_tracker(work, hashes, ip, port):
    """opentracker on ip:port (TCP and UDP) knowing only hashes."""
    d = os.path.join(work, "tracker")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    wl = os.path.join(d, "whitelist.txt")
    with open(wl, "w") as f:
        f.write("".join(h + "\n" for h in hashes))
    os.chmod(wl, 0o644)
    p = spawn(["opentracker", "-i", ip, "-p", str(port), "-P", str(port),
               "-d", d, "-w", "/whitelist.txt"],
              os.path.join(work, "tracker.log"))
    url = "http://%s:%d/announce" % (ip, port)
    for _ in range(100):
        try:
            socket.create_connection((ip, port), 0.2).close()
            return p, url
        except OSError:
            time.sleep(0.05)
    die("opentracker did not start")


def tracker_torrent(work, name, sizes, tracker_ip, piece_log2=18):
    """Random files under work/data/name (sizes: {relpath: bytes}), their
    torrent announcing to opentracker on tracker_ip (started, whitelisting
    it).  Returns a dict: data (the --path of seeders), top, want
    (sha256 by relpath), torrent, url, ih, tracker (its process)."""
    data = os.path.join(work, "data")
    top = make_tree(data, name, sizes)
    tor = os.path.join(work, name + ".torrent")
    port = free_port(tracker_ip)
    url = "http://%s:%d/announce" % (tracker_ip, port)
    ih = make_torrent(top, tor, piece_log2, url)
    tp, _ = start_tracker(work, [ih], tracker_ip, port)
    return {"data": data, "top": top, "want": tree_sums(top),
            "torrent": tor, "url": url, "ih": ih, "tracker": tp}


def tracker_peers(announce_url, ih, probe_ip):
    """The addresses ("ip:port") the tracker lists for info-hash ih (hex),
    as a leecher announcing from probe_ip sees them; the probe then
    announces stopped, so that nobody keeps it.  None if no answer."""
    import http.client
    import re
    import urllib.parse
    u = urllib.parse.urlsplit(announce_url)
    pid = b"-VTPROBE-" + os.urandom(6).hex()[:11].encode()
    q = "%s?info_hash=%s&peer_id=%s&port=9&uploaded=0&downloaded=0" \
        "&left=1&compact=1&numwant=200" % (
            u.path, urllib.parse.quote(bytes.fromhex(ih)),
            urllib.parse.quote(pid))
    peers = None
    for event in ("started", "stopped"):
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=5,
                                       source_address=(probe_ip, 0))
        try:
            c.request("GET", q + "&event=" + event)
            body = c.getresponse().read()
        except OSError:
            return None
        finally:
            c.close()
        if peers is None:
            m = re.search(rb"5:peers(\d+):", body)
            if not m:
                return None
            raw = body[m.end():m.end() + int(m.group(1))]
            peers = set("%d.%d.%d.%d:%d" % (raw[i], raw[i + 1], raw[i + 2],
                                            raw[i + 3], raw[i + 4] << 8 |
                                            raw[i + 5])
                        for i in range(0, len(raw) - 5, 6))
    return peers


def start_lt(work, ip, torrent, save, rate=0, tag="lt", connect=None):
    port = free_port(ip)
    st = os.path.join(work, "%s-%s.json" % (tag, ip))
    p = spawn([PY, os.path.join(HERE, "dlkit.py"), "ltseed", "--ip", ip,
               "--port", str(port), "--save", save, "--torrent", torrent,
               "--rate", str(rate), "--status", st] +
              (["--connect", connect] if connect else []),
              os.path.join(work, "%s-%s.log" % (tag, ip)))
    for _ in range(200):
        if os.path.exists(st):
            break
        if p.poll() is not None:
            die("libtorrent seeder exited: see %s-%s.log" % (tag, ip))
        time.sleep(0.05)
    return p, port


def start_aria2(work, ip, torrent, save):
    port = free_port(ip)
    p = spawn(["aria2c", "--no-conf", "--dir=" + save,
               "--bt-seed-unverified=true", "--seed-ratio=0.0",
               "--check-integrity=false", "--enable-dht=false",
               "--enable-dht6=false", "--bt-enable-lpd=false",
               "--enable-peer-exchange=false", "--disable-ipv6=true",
               "--interface=" + ip, "--listen-port=%d" % port,
               "--bt-max-peers=0", "--file-allocation=none",
               "--auto-save-interval=0", "--bt-save-metadata=false",
               "--follow-torrent=false", "--summary-interval=0",
               "--console-log-level=warn", "--bt-tracker-connect-timeout=5",
               torrent], os.path.join(work, "aria2-%s.log" % ip))
    wait_listen(ip, port, p, "aria2c")
    return p, port


def start_transmission_daemon(work, ip):
    """transmission-daemon on ip (peer port and RPC port free), nothing
    added yet; returns (proc, peer port, "ip:rpcport" for tr_*)."""
    port = free_port(ip)
    rpc = free_port(ip)
    cfg = os.path.join(work, "tr-" + ip)
    os.makedirs(cfg, exist_ok=True)
    with open(os.path.join(cfg, "settings.json"), "w") as f:
        json.dump({
            "bind-address-ipv4": ip, "bind-address-ipv6": "::1",
            "peer-port": port, "peer-port-random-on-start": False,
            "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False,
            "port-forwarding-enabled": False, "utp-enabled": False,
            "rpc-enabled": True, "rpc-bind-address": ip, "rpc-port": rpc,
            "rpc-authentication-required": False,
            "rpc-whitelist-enabled": False,
            "rpc-host-whitelist-enabled": False, "download-dir": work,
            "incomplete-dir-enabled": False, "watch-dir-enabled": False,
            "encryption": 0, "speed-limit-up-enabled": False,
            "speed-limit-down-enabled": False,
            "alt-speed-enabled": False, "ratio-limit-enabled": False,
            "idle-seeding-limit-enabled": False, "peer-limit-global": 500,
            "peer-limit-per-torrent": 100, "upload-slots-per-torrent": 50,
            "cache-size-mb": 64, "blocklist-enabled": False,
            "start-added-torrents": True, "queue-stalled-enabled": False,
            "seed-queue-enabled": False, "download-queue-enabled": False,
            "message-level": 1}, f)
    p = spawn(["transmission-daemon", "-f", "-g", cfg, "-e",
               os.path.join(work, "tr-%s.log" % ip)])
    rpc_addr = "%s:%d" % (ip, rpc)
    for _ in range(100):
        r = subprocess.run(["transmission-remote", rpc_addr, "-l"],
                           capture_output=True)
        if r.returncode == 0:
            return p, port, rpc_addr
        if p.poll() is not None:
            break
        time.sleep(0.1)
    die("transmission-daemon not answering on " + rpc_addr)


def tr_remote(rpc_addr, *args):
    """transmission-remote's stdout (check: exit 0 or die)."""
    r = subprocess.run(["transmission-remote", rpc_addr] + list(args),
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        die("transmission-remote %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


def tr_add(rpc_addr, torrent, save):
    tr_remote(rpc_addr, "-a", torrent, "-w", save)


def tr_info(rpc_addr):
    """{"percent": float, "state": str, "error": str} of its one torrent
    (transmission-remote -i; percent -1 before it is known)."""
    out = tr_remote(rpc_addr, "-t", "all", "-i")
    info = {"percent": -1.0, "state": "", "error": ""}
    for line in out.splitlines():
        key, _, val = line.strip().partition(": ")
        if key == "Percent Done" and val.endswith("%"):
            try:
                info["percent"] = float(val[:-1])
            except ValueError:
                pass
        elif key == "State":
            info["state"] = val
        elif key == "Error":
            info["error"] = val
    return info


def tr_remove(rpc_addr):
    """Remove its torrents (it announces stopped), keep the data."""
    tr_remote(rpc_addr, "-t", "all", "-r")


def start_transmission(work, ip, torrent, save):
    """transmission-daemon seeding torrent from save, once it has
    verified the data; returns (proc, peer port)."""
    p, port, rpc = start_transmission_daemon(work, ip)
    tr_add(rpc, torrent, save)
    # It verifies the data first: wait until it seeds (100 % verified).
    deadline = time.time() + 120
    while time.time() < deadline:
        i = tr_info(rpc)
        if i["percent"] == 100.0 and i["state"] in ("Seeding", "Idle"):
            break
        time.sleep(0.25)
    else:
        die("transmission did not verify the data in time")
    wait_listen(ip, port, p, "transmission")
    return p, port


def wait_listen(ip, port, p, what):
    for _ in range(200):
        try:
            socket.create_connection((ip, port), 0.2).close()
            return
        except OSError:
            if p.poll() is not None:
                die(what + " exited")
            time.sleep(0.05)
    die(what + " is not listening on %s:%d" % (ip, port))


# ---------------------------------------------------------------------
# vtfs

def vtfs_download(torrent, dest, ip, peers=(), trackers=True, timeout=120,
                  extra=(), logpath=None):
    """Run vtfs --download to completion; returns (rc, stdout+stderr)."""
    args = [VTFS, "--download", torrent, "--path", dest, "--listen",
            "%s:%d" % (ip, free_port(ip))]
    for pr in peers:
        args += ["--peer", pr]
    if not trackers:
        args.append("--no-trackers")
    args += list(extra)
    t0 = time.time()
    try:
        r = subprocess.run(args, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"") + (e.stderr or b"")
        return -1, out.decode(errors="replace"), time.time() - t0
    out = (r.stdout + r.stderr).decode(errors="replace")
    if logpath:
        with open(logpath, "a") as f:
            f.write(out)
    return r.returncode, out, time.time() - t0


def vtfs_spawn(torrent, dest, ip, peers=(), trackers=True, extra=(),
               logpath=None, port=None):
    args = [VTFS, "--download", torrent, "--path", dest, "--listen",
            "%s:%d" % (ip, port or free_port(ip))]
    for pr in peers:
        args += ["--peer", pr]
    if not trackers:
        args.append("--no-trackers")
    args += list(extra)
    out = open(logpath, "ab")
    p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                         start_new_session=True)
    _procs.append(p)
    return p


def received_bytes(out):
    """The byte count of the summary line: 'received X (N bytes, ...'."""
    import re
    m = re.search(r"received [^(]*\((\d+) bytes", out)
    return int(m.group(1)) if m else None


def dir_bytes(top):
    n = 0
    for dp, _, files in os.walk(top):
        for f in files:
            n += os.stat(os.path.join(dp, f)).st_blocks * 512
    return n


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


# ---------------------------------------------------------------------
# The libtorrent seeder process

def ltseed_main(argv):
    import libtorrent as lt
    ap = argparse.ArgumentParser()
    ap.add_argument("--ip", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--save", required=True)
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--rate", type=int, default=0, help="upload bytes/s")
    ap.add_argument("--status", required=True)
    ap.add_argument("--max-seconds", type=float, default=900)
    ap.add_argument("--connect", help="IP:PORT to dial until connected")
    a = ap.parse_args(argv)
    ses = lt.session({
        "listen_interfaces": "%s:%d" % (a.ip, a.port),
        "outgoing_interfaces": a.ip,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
        "enable_natpmp": False, "enable_ip_notifier": False,
        "dht_bootstrap_nodes": "", "enable_incoming_utp": False,
        "enable_outgoing_utp": False, "upload_rate_limit": a.rate,
        "unchoke_slots_limit": 64, "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification,
    })
    if a.rate:
        # loopback peers fall in the "local" class, exempt from the
        # session's limit: limit the classes themselves
        for cid in (ses.global_peer_class_id, ses.local_peer_class_id):
            pc = ses.get_peer_class(cid)
            pc["upload_limit"] = a.rate
            ses.set_peer_class(cid, pc)
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(a.torrent)
    p.save_path = a.save
    p.flags |= lt.torrent_flags.seed_mode
    p.flags &= ~lt.torrent_flags.auto_managed
    h = ses.add_torrent(p)
    h.resume()
    t0 = time.time()
    stop = []
    signal.signal(signal.SIGTERM, lambda *x: stop.append(1))
    while not stop and time.time() - t0 < a.max_seconds:
        s = h.status()
        if a.connect and s.num_peers == 0:
            ip, port = a.connect.rsplit(":", 1)
            h.connect_peer((ip, int(port)))
        tmp = a.status + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"uploaded": s.total_payload_upload,
                       "peers": s.num_peers}, f)
        os.rename(tmp, a.status)
        time.sleep(0.25)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "ltseed":
        _procs = []
        ltseed_main(sys.argv[2:])
    else:
        print("usage: dlkit.py ltseed --ip IP --port N --save DIR "
              "--torrent T [--rate B/s] --status FILE", file=sys.stderr)
        sys.exit(2)
