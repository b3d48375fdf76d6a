#!/usr/bin/python3
"""Helpers for the mount's integration tests (test_mount*.py).

Also runnable as a seeder: `fskit.py seed IP PORT SAVE TORRENT [RATE]`
seeds TORRENT from SAVE with python3-libtorrent bound to IP:PORT (upload
capped at RATE bytes/s when given), until killed.  Loopback only.
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port(ip):
    """A free TCP port on ip (also free for UDP, for opentracker)."""
    for _ in range(50):
        s = socket.socket()
        s.bind((ip, 0))
        port = s.getsockname()[1]
        s.close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind((ip, port))
        except OSError:
            continue
        finally:
            u.close()
        return port
    raise RuntimeError("no free port on " + ip)


# PASS/FAIL counts of a test's checks.
results = {"pass": 0, "fail": 0}


def check(name, ok, detail=""):
    results["pass" if ok else "fail"] += 1
    print("%s %s%s" % ("PASS" if ok else "FAIL", name,
                       (": " + detail) if detail and not ok else ""),
          flush=True)
    return ok


def sha256(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                return h.hexdigest()
            h.update(b)


def wait_for(pred, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


class Procs:
    """Processes and mounts to clean up, by PID and path."""

    def __init__(self):
        self.pids = []
        self.mounts = []

    def spawn(self, argv, **kw):
        p = subprocess.Popen(argv, **kw)
        self.pids.append(p)
        return p

    def kill(self, p, sig=signal.SIGKILL):
        try:
            p.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def unmount(self, mnt):
        for args in (["fusermount3", "-u", "-q", mnt],
                     ["fusermount3", "-u", "-z", "-q", mnt]):
            if not is_mounted(mnt):
                return
            subprocess.run(args, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=20)

    def cleanup(self):
        for m in self.mounts:
            self.unmount(m)
        for p in self.pids:
            if p.poll() is None:
                self.kill(p)


def is_mounted(mnt):
    mnt = os.path.realpath(mnt)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            if line.split()[4].replace("\\040", " ") == mnt:
                return True
    return False


def start_tracker(procs, ip, workdir, hashes, port=0):
    """opentracker (Debian: whitelist-only, -w relative to the -d chroot)."""
    tdir = os.path.join(workdir, "tracker")
    os.makedirs(tdir, exist_ok=True)
    with open(os.path.join(tdir, "whitelist.txt"), "w") as f:
        for h in hashes:
            f.write(h + "\n")
    port = port or free_port(ip)
    p = procs.spawn(["opentracker", "-i", ip, "-p", str(port), "-P",
                     str(port), "-d", tdir, "-w", "/whitelist.txt"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up():
        try:
            socket.create_connection((ip, port), timeout=0.2).close()
            return True
        except OSError:
            return False
    if not wait_for(up, 10):
        raise RuntimeError("opentracker did not start")
    return p, "http://%s:%d/announce" % (ip, port)


def start_seeder(procs, ip, port, save, torrent, rate=0):
    p = procs.spawn(["/usr/bin/python3", os.path.join(HERE, "fskit.py"),
                     "seed", ip, str(port), save, torrent, str(rate)],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = p.stdout.readline()
    if not line.startswith(b"ready"):
        raise RuntimeError("seeder on %s:%d did not start" % (ip, port))
    return p


def start_aria2_seeder(procs, ip, port, save, torrent):
    """aria2c seeding torrent from save on ip:port (no DHT, LPD, PEX)."""
    p = procs.spawn([
        "aria2c", "--no-conf", "--dir=" + save, "--bt-seed-unverified=true",
        "--seed-ratio=0.0", "--check-integrity=false",
        "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
        "--enable-peer-exchange=false", "--disable-ipv6=true",
        "--interface=" + ip, "--listen-port=%d" % port,
        "--file-allocation=none", "--auto-save-interval=0",
        "--bt-save-metadata=false", "--follow-torrent=false",
        "--summary-interval=0", "--console-log-level=error",
        "--bt-tracker-connect-timeout=1", "--bt-tracker-timeout=1",
        torrent], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up():
        try:
            socket.create_connection((ip, port), timeout=0.2).close()
            return True
        except OSError:
            return False
    if not wait_for(up, 15):
        raise RuntimeError("aria2c did not listen on %s:%d" % (ip, port))
    return p


def vtfs_status(mnt):
    v = os.getxattr(mnt, "user.vtfs.status")
    return json.loads(v)


def read_at(path, off, size):
    """size bytes of path from off (fewer at EOF), by pread."""
    fd = os.open(path, os.O_RDONLY)
    try:
        out = b""
        while len(out) < size:
            b = os.pread(fd, size - len(out), off + len(out))
            if not b:
                break
            out += b
        return out
    finally:
        os.close(fd)


def unmount_and_wait(mnt, timeout=15):
    """fusermount3 -u; True once the mount's daemon has exited."""
    pid = vtfs_status(mnt)["pid"]
    subprocess.run(["fusermount3", "-u", mnt], check=False)
    gone = wait_for(lambda: not os.path.exists("/proc/%d" % pid), timeout)
    if not gone:
        print("daemon %d still alive %ds after fusermount3 -u; mounted: %s"
              % (pid, timeout, is_mounted(mnt)))
        if shutil.which("gdb"):
            subprocess.run(["gdb", "-batch", "-p", str(pid), "-ex",
                            "thread apply all bt"], timeout=60)
    return gone


def seed_main(ip, port, save, torrent, rate):
    import libtorrent as lt
    s = lt.session({
        "listen_interfaces": "%s:%d" % (ip, port),
        "outgoing_interfaces": ip,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
        "enable_natpmp": False, "enable_ip_notifier": False,
        "enable_incoming_utp": False, "enable_outgoing_utp": False,
        "upload_rate_limit": rate,
        "unchoke_slots_limit": 64,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.tracker_notification |
        lt.alert.category_t.error_notification,
    })
    # Loopback peers are "local": unlimited unless put in the global class.
    f = lt.ip_filter()
    f.add_rule("0.0.0.0", "255.255.255.255",
               1 << lt.session.global_peer_class_id)
    s.set_peer_class_filter(f)
    ti = lt.torrent_info(torrent)
    atp = lt.add_torrent_params()
    atp.ti = ti
    atp.save_path = save
    atp.flags |= lt.torrent_flags.seed_mode
    atp.flags &= ~lt.torrent_flags.auto_managed
    h = s.add_torrent(atp)
    h.resume()
    # Be in the tracker's list before anyone asks it (opentracker's
    # interval is long): wait for the first reply, 10 s at most.
    end = time.monotonic() + 10
    while ti.trackers() and time.monotonic() < end:
        if any(isinstance(a, lt.tracker_reply_alert)
               for a in s.pop_alerts()):
            break
        s.wait_for_alert(200)
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    while True:
        time.sleep(0.5)
        s.pop_alerts()


if __name__ == "__main__":
    if len(sys.argv) >= 6 and sys.argv[1] == "seed":
        seed_main(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5],
                  int(sys.argv[6]) if len(sys.argv) > 6 else 0)
    else:
        sys.exit("usage: fskit.py seed IP PORT SAVE TORRENT [RATE]")
