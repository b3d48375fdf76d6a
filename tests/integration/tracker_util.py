"""Helpers for the announce integration tests (imported, not a test).

Real parts only: opentracker (Debian's, whitelist-only) started on
127.0.0.1 on free ports, torrents made with python3-libtorrent, and the
vtfs binary from VTFS_BIN.  Every process is tracked and killed by PID.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

try:
    import libtorrent as lt
except ImportError:
    lt = None

PROCS = []
DIRS = []


class Checks:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
            print("ok   " + what, flush=True)
        else:
            self.failed += 1
            print("FAIL " + what, file=sys.stderr, flush=True)
        return cond

    def finish(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed,
                                            self.failed), flush=True)
        return 1 if self.failed or not self.passed else 0


def die(name, msg):
    print("%s: FATAL: %s" % (name, msg), file=sys.stderr, flush=True)
    cleanup()
    sys.exit(2)


def require(name):
    """Fail loudly when a needed tool is missing."""
    if lt is None:
        die(name, "python3-libtorrent is missing (run scripts/deps.sh)")
    if not shutil.which("opentracker"):
        die(name, "opentracker is missing (run scripts/deps.sh)")
    vtfs = os.environ.get("VTFS_BIN")
    if not vtfs or not os.access(vtfs, os.X_OK):
        die(name, "VTFS_BIN is not set to the vtfs binary")
    return vtfs


def kill_tree(p):
    """Kill p's direct children (vtfs under /usr/bin/time) by PID, then p."""
    try:
        with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        kids = []
    for k in kids:
        try:
            os.kill(k, signal.SIGKILL)
        except OSError:
            pass
    try:
        p.kill()
    except OSError:
        pass
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def cleanup():
    for p in PROCS:
        if p.poll() is None:
            kill_tree(p)
    PROCS.clear()
    for d in DIRS:
        shutil.rmtree(d, ignore_errors=True)
    DIRS.clear()


def workdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    DIRS.append(d)
    return d


def install_signal_cleanup():
    def handler(sig, frame):
        cleanup()
        sys.exit(3)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def free_port(kind=socket.SOCK_STREAM, host="127.0.0.1"):
    s = socket.socket(socket.AF_INET, kind)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_torrent(path, datafile, tiers, private=False):
    """tiers: list of lists of URLs.  Returns the info-hash in hex."""
    fs = lt.file_storage()
    lt.add_files(fs, datafile)
    ct = lt.create_torrent(fs, 16384, flags=lt.create_torrent.v1_only)
    for tier, urls in enumerate(tiers):
        for url in urls:
            ct.add_tracker(url, tier)
    ct.set_priv(private)
    lt.set_piece_hashes(ct, os.path.dirname(datafile))
    with open(path, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    return str(lt.torrent_info(path).info_hashes().v1)


def make_data(workdir, size=100000):
    path = os.path.join(workdir, "data.bin")
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def tracker_ports():
    """Free TCP and UDP ports for opentracker, chosen before the torrents
    that name them (its whitelist holds their info-hashes)."""
    return free_port(), free_port(socket.SOCK_DGRAM)


def start_opentracker(workdir, info_hashes, tcp, udp):
    """Debian's opentracker on 127.0.0.1:tcp (HTTP) and :udp (BEP 15),
    whitelist-only: the whitelist is given relative to the chroot (-d),
    world-readable (it drops to nobody).  Returns once HTTP accepts."""
    trdir = os.path.join(workdir, "opentracker")
    os.makedirs(trdir, exist_ok=True)
    os.chmod(trdir, 0o755)
    wl = os.path.join(trdir, "whitelist.txt")
    with open(wl, "w") as f:
        f.write("".join(h + "\n" for h in info_hashes))
    os.chmod(wl, 0o644)
    log = open(os.path.join(workdir, "opentracker.log"), "w")
    p = subprocess.Popen(["opentracker", "-i", "127.0.0.1", "-p", str(tcp),
                          "-P", str(udp), "-d", trdir, "-w",
                          "/whitelist.txt"], stdout=log,
                         stderr=subprocess.STDOUT)
    PROCS.append(p)
    for _ in range(100):
        if p.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", tcp), 0.2).close()
            return p
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("opentracker did not start on %d/%d" % (tcp, udp))


def spawn_vtfs(vtfs, args):
    """Start vtfs with stdout and stderr in temporary files, under
    /usr/bin/time for its own peak RSS (a child forked from this python
    would count python's memory too)."""
    if not os.access("/usr/bin/time", os.X_OK):
        raise RuntimeError("/usr/bin/time is missing (package time)")
    o, e = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    rss = tempfile.NamedTemporaryFile(delete=False)
    rss.close()
    p = subprocess.Popen(["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name,
                          vtfs] + args, stdout=o, stderr=e)
    p.t0, p.out_f, p.err_f, p.rss_path = time.monotonic(), o, e, rss.name
    PROCS.append(p)
    return p


def finish_vtfs(p, timeout=60):
    """Wait for a spawned vtfs: (rc, stdout, stderr, wall_s, maxrss_kb).
    rc is -999 when it had to be killed after timeout seconds."""
    try:
        rc = p.wait(timeout=max(0.1, p.t0 + timeout - time.monotonic()))
    except subprocess.TimeoutExpired:
        kill_tree(p)
        rc = -999
    wall = time.monotonic() - p.t0
    p.out_f.seek(0)
    p.err_f.seek(0)
    out = p.out_f.read().decode(errors="replace")
    err = p.err_f.read().decode(errors="replace")
    try:
        with open(p.rss_path) as f:
            lines = f.read().split()
        rss = int(lines[-1]) if lines else 0
    except (OSError, ValueError):
        rss = 0
    os.unlink(p.rss_path)
    return rc, out, err, wall, rss


def run_vtfs(vtfs, args, timeout=60):
    return finish_vtfs(spawn_vtfs(vtfs, args), timeout)


def wait_output(p, needle, timeout):
    """Wait until needle shows in p's stdout (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        p.out_f.seek(0)
        if needle in p.out_f.read().decode(errors="replace"):
            return True
        time.sleep(0.02)
    return False


def reports(stdout):
    """The JSON array printed by --json (last line block)."""
    i = stdout.find("[")
    if i < 0:
        return []
    return json.loads(stdout[i:])


def parse_text(stdout):
    """Text reports: a list of dicts {url, kind, ok, line, peers}."""
    res = []
    for line in stdout.splitlines():
        if line.startswith("  peer ") and res:
            res[-1]["peers"].append(line[7:].strip())
            continue
        if not line.startswith("+"):
            continue
        head, _, rest = line.partition(": ")
        url = head.split(" ")[-1]
        kind = "announce"
        if rest.startswith("stopped"):
            kind = "stopped"
        elif rest.startswith("scrape"):
            kind = "scrape"
        res.append({"url": url, "kind": kind,
                    "ok": "error" not in rest.split(":")[0],
                    "line": line, "peers": []})
    return res


def run_main(main):
    """Run a test's main: exit with its status, processes always killed."""
    try:
        sys.exit(main())
    finally:
        cleanup()
