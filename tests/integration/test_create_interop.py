#!/usr/bin/python3
"""Interop of `vtfs --create` with real clients.

Torrents made by vtfs must load in python3-libtorrent (lt.torrent_info),
in transmission-show and in `vtfs --info --json` with the info-hash vtfs
printed and the file list we expect (single file, nested multi-file, empty files, private, several
tiers, web seeds); libtorrent must verify every piece against the data
(a recheck ends in the seeding state, and a corrupted copy does not).  Error
cases (missing path, empty dir, bad URL, bad piece size, existing output,
unreadable file, a file changing during hashing, SIGINT) must exit non-zero
and leave no file behind.

Network: none except libtorrent's session, which listens on 127.0.2.1 (this
test's loopback range) and whose trackers and web seeds point at a closed
port on 127.0.2.1.
"""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib

import libtorrent as lt

VTFS = os.environ.get("VTFS_BIN")
LOOP = "127.0.2.1"
TRACKER = f"http://{LOOP}:1/announce"
failures = []
checks = [0]


def check(cond, what):
    checks[0] += 1
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)
    return cond


def need(tool):
    if not shutil.which(tool):
        sys.exit(f"test_create_interop: {tool} is missing")


def write(path, size, seed):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rnd = random.Random(seed)
    with open(path, "wb") as f:
        f.write(rnd.randbytes(size))


def make_tree(root, files):
    """files: [(relative path, size)]; contents depend on the path."""
    for rel, size in files:
        path = os.path.join(root, rel)
        write(path, size, zlib.crc32(path.encode()))


def expected_files(path, name):
    """[(path, size)] in vtfs order: names sorted by bytes, depth first."""
    if os.path.isfile(path):
        return [(name, os.path.getsize(path))]
    out = []

    def walk(d, rel):
        for n in sorted(os.listdir(os.fsencode(d))):
            full = os.path.join(os.fsencode(d), n)
            r = rel + [n.decode()]
            if os.path.islink(full):
                continue
            if os.path.isdir(full):
                walk(full, r)
            elif os.path.isfile(full):
                out.append(("/".join([name] + r), os.path.getsize(full)))
    walk(path, [])
    return out


def run_vtfs(args, cwd=None, timeout=120, user=None):
    cmd = [VTFS] + args
    if user:
        cmd = ["setpriv", "--reuid", str(user), "--regid", str(user),
               "--clear-groups"] + cmd
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def lt_files(ti):
    fs = ti.files()
    return [(fs.file_path(i).replace(os.sep, "/"), fs.file_size(i))
            for i in range(fs.num_files())]


def transmission(path):
    p = subprocess.run(["transmission-show", path], capture_output=True,
                       text=True, timeout=60)
    if p.returncode != 0:
        return None
    info = {"tiers": [], "webseeds": [], "files": []}
    section = None
    for line in p.stdout.splitlines():
        s = line.strip()
        if line and not line.startswith(" "):
            section = s
            continue
        if not s:
            continue
        if section == "GENERAL":
            k, _, v = s.partition(": ")
            info[k] = v
        elif section == "TRACKERS":
            if s.startswith("Tier #"):
                info["tiers"].append([])
            else:
                info["tiers"][-1].append(s)
        elif section == "WEBSEEDS":
            info["webseeds"].append(s)
        elif section == "FILES":
            info["files"].append(s.rsplit(" (", 1)[0])
    return info


def lt_verifies(torrent, save_path, timeout=60):
    """Add to a session without seed mode: the recheck must find it all."""
    ses = lt.session({
        "listen_interfaces": f"{LOOP}:0",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
        "enable_natpmp": False,
        "alert_mask": lt.alert.category_t.status_notification,
    })
    try:
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent)
        atp.save_path = save_path
        atp.flags &= ~lt.torrent_flags.seed_mode
        atp.flags &= ~lt.torrent_flags.auto_managed
        atp.flags &= ~lt.torrent_flags.paused
        h = ses.add_torrent(atp)
        deadline = time.monotonic() + timeout
        checked = False
        while not checked and time.monotonic() < deadline:
            ses.wait_for_alert(100)
            for a in ses.pop_alerts():
                checked |= isinstance(a, lt.torrent_checked_alert)
        if not checked:
            print(f"lt_verifies: no torrent_checked_alert in {timeout} s",
                  file=sys.stderr)
            return False
        # The state follows the alert closely; give it a moment.
        for _ in range(40):
            st = h.status()
            if st.state == lt.torrent_status.seeding:
                break
            time.sleep(0.05)
        return (st.state == lt.torrent_status.seeding and
                st.num_pieces == atp.ti.num_pieces())
    finally:
        del ses


def create_ok(tmp, label, path, extra, want_tiers=None, want_seeds=(),
              private=False):
    """Make a torrent of path and check it in libtorrent and transmission."""
    out = os.path.join(tmp, "out", label + ".torrent")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    p = run_vtfs(["--create", path, "-o", out] + extra)
    if not check(p.returncode == 0, f"{label}: vtfs failed: {p.stderr}"):
        return
    m = re.search(r"^info_hash: ([0-9a-f]{40})$", p.stdout, re.M)
    if not check(m, f"{label}: no info_hash line in {p.stdout!r}"):
        return
    ih = m.group(1)
    name = os.path.basename(path.rstrip("/"))
    want = expected_files(path, name)

    ti = lt.torrent_info(out)
    check(str(ti.info_hash()) == ih, f"{label}: libtorrent hash "
          f"{ti.info_hash()} != {ih}")
    got = lt_files(ti)
    check(got == want, f"{label}: libtorrent files {got} != {want}")
    check(ti.priv() == private, f"{label}: libtorrent private {ti.priv()}")
    tiers = {}
    for t in ti.trackers():
        tiers.setdefault(t.tier, []).append(t.url)
    got_tiers = [tiers[k] for k in sorted(tiers)]
    check(got_tiers == (want_tiers or []),
          f"{label}: libtorrent tiers {got_tiers}")
    seeds = [w["url"] for w in ti.web_seeds()]
    check(seeds == list(want_seeds), f"{label}: libtorrent web seeds {seeds}")

    tr = transmission(out)
    if check(tr is not None, f"{label}: transmission-show failed"):
        check(tr.get("Hash") == ih, f"{label}: transmission hash "
              f"{tr.get('Hash')} != {ih}")
        names = [w[0] for w in want]
        check(sorted(tr["files"]) == sorted(names),
              f"{label}: transmission files {tr['files']} != {names}")
        check(("Private" in tr.get("Privacy", "")) == private,
              f"{label}: transmission privacy {tr.get('Privacy')}")
        check(tr["tiers"] == (want_tiers or []),
              f"{label}: transmission tiers {tr['tiers']}")
        check([s.rstrip("/") for s in tr["webseeds"]] ==
              [s.rstrip("/") for s in want_seeds],
              f"{label}: transmission web seeds {tr['webseeds']}")

    check_vtfs_info(label, out, ih, path, want, want_tiers, want_seeds,
                    private)
    check(lt_verifies(out, os.path.dirname(os.path.abspath(path))),
          f"{label}: libtorrent did not verify every piece")
    return out


def check_vtfs_info(label, out, ih, path, want, want_tiers, want_seeds,
                    private):
    """vtfs's own reader (metainfo) agrees with what vtfs wrote."""
    p = run_vtfs(["--info", out, "--json"])
    if not check(p.returncode == 0, f"{label}: vtfs --info: {p.stderr}"):
        return
    j = json.loads(p.stdout)
    check(j["info_hash"] == ih, f"{label}: vtfs --info hash {j['info_hash']}")
    multi = os.path.isdir(path)
    files = [(f["path"], f["size"]) for f in j["files"]]
    rel = [(n.split("/", 1)[1] if multi else n, size) for n, size in want]
    check(files == rel, f"{label}: vtfs --info files {files} != {rel}")
    check(j["private"] == private, f"{label}: vtfs --info private")
    check(j["trackers"] == (want_tiers or []),
          f"{label}: vtfs --info trackers {j['trackers']}")
    check(j["web_seeds"] == list(want_seeds),
          f"{label}: vtfs --info web seeds {j['web_seeds']}")


def expect_fail(tmp, label, args, cwd=None, user=None, outdir=None):
    outdir = outdir or os.path.join(tmp, "fail")
    os.makedirs(outdir, exist_ok=True)
    before = sorted(os.listdir(outdir))
    p = run_vtfs(args, cwd=cwd, user=user)
    check(p.returncode != 0, f"{label}: exit 0")
    check(p.stderr.startswith("vtfs: "), f"{label}: message {p.stderr!r}")
    after = sorted(os.listdir(outdir))
    check(before == after, f"{label}: files left: {set(after) - set(before)}")
    return p


def main():
    if not VTFS:
        sys.exit("test_create_interop: VTFS_BIN is not set")
    need("transmission-show")
    need("setpriv")
    tmp = tempfile.mkdtemp(prefix="vtfs-create-it.")
    os.chmod(tmp, 0o755)
    try:
        run_all(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        sys.exit(f"test_create_interop: {len(failures)} failure(s)")
    print(f"test_create_interop: all {checks[0]} checks passed")


def run_all(tmp):
    d = os.path.join(tmp, "data")
    # single file, odd size: the last piece is short; big enough to be
    # hashed through mmap (FILEHASH_MMAP_MIN is 4 MiB)
    write(f"{d}/single.bin", 6_000_003, 1)
    create_ok(tmp, "single", f"{d}/single.bin", ["--tracker", TRACKER],
              want_tiers=[[TRACKER]])

    # nested multi-file, hidden files, sizes that make pieces span files
    # (b/c/big.bin is mapped, the others are read: pieces mix both)
    t = f"{d}/tree"
    make_tree(t, [("a/z.bin", 40_000), ("a.txt", 17), (".hidden", 5_000),
                  ("b/c/d/deep.bin", 300_000), ("b/c/e.bin", 16_384),
                  ("b/c/big.bin", 4_500_001), ("Z-upper", 999)])
    os.makedirs(f"{t}/emptydir/inner", exist_ok=True)
    os.symlink("a.txt", f"{t}/link")
    create_ok(tmp, "tree", t, ["--tracker", TRACKER, "--piece-size", "16K"],
              want_tiers=[[TRACKER]])

    # empty files between non-empty ones
    e = f"{d}/empties"
    make_tree(e, [("0-empty", 0), ("1-data", 70_000), ("2-empty", 0),
                  ("3-data", 1), ("sub/4-empty", 0)])
    create_ok(tmp, "empties", e, ["--tracker", TRACKER],
              want_tiers=[[TRACKER]])

    # private, several tiers, web seeds, comment, name-less date
    tiers = [TRACKER, f"udp://{LOOP}:1", f"https://{LOOP}:1/a?x=1"]
    args = []
    for u in tiers:
        args += ["--tracker", u]
    create_ok(tmp, "private", t, ["--private", "--tracker", TRACKER],
              want_tiers=[[TRACKER]], private=True)
    create_ok(tmp, "tiers", t, args + ["--no-date", "--comment", "c"],
              want_tiers=[[u] for u in tiers])
    seeds = [f"http://{LOOP}:1/pub/", f"https://{LOOP}:1/mirror/"]
    create_ok(tmp, "webseeds", t, ["--tracker", TRACKER, "--webseed",
              seeds[0], "--webseed", seeds[1]], want_tiers=[[TRACKER]],
              want_seeds=seeds)

    check_negative_control(tmp, t)
    check_default_output(tmp, t)
    check_errors(tmp, d)


def check_negative_control(tmp, tree):
    """A corrupted copy must fail libtorrent's check: the check can fail."""
    out = os.path.join(tmp, "out", "tree.torrent")
    bad = os.path.join(tmp, "corrupt")
    shutil.copytree(tree, os.path.join(bad, "tree"), symlinks=True)
    with open(os.path.join(bad, "tree", "b", "c", "d", "deep.bin"),
              "r+b") as f:
        f.seek(150_000)
        b = f.read(1)
        f.seek(150_000)
        f.write(bytes([b[0] ^ 1]))
    check(not lt_verifies(out, bad, timeout=20),
          "negative control: a corrupted copy verified")


def check_default_output(tmp, tree):
    """`vtfs --create dir --tracker URL`, as written: dir.torrent in cwd."""
    cwd = os.path.join(tmp, "cwd")
    os.makedirs(cwd)
    p = run_vtfs(["--create", tree, "--tracker", TRACKER], cwd=cwd)
    check(p.returncode == 0, f"default output: {p.stderr}")
    check(os.listdir(cwd) == ["tree.torrent"],
          f"default output: {os.listdir(cwd)}")
    # a second run must not replace it, --force may
    p = run_vtfs(["--create", tree, "--tracker", TRACKER], cwd=cwd)
    check(p.returncode != 0 and "exists" in p.stderr,
          f"existing output: {p.returncode} {p.stderr}")
    p = run_vtfs(["--create", tree, "--tracker", TRACKER, "--force"],
                 cwd=cwd)
    check(p.returncode == 0, f"--force: {p.stderr}")
    check(os.listdir(cwd) == ["tree.torrent"], f"--force: {os.listdir(cwd)}")


def check_errors(tmp, d):
    fail = os.path.join(tmp, "fail")
    o = os.path.join(fail, "x.torrent")
    os.makedirs(fail, exist_ok=True)
    os.chmod(fail, 0o777)
    os.makedirs(f"{d}/empty/a/b", exist_ok=True)
    single = f"{d}/single.bin"

    expect_fail(tmp, "missing path", ["--create", f"{d}/nope", "--tracker",
                TRACKER, "-o", o])
    expect_fail(tmp, "no path", ["--create"])
    expect_fail(tmp, "empty dir", ["--create", f"{d}/empty", "--tracker",
                TRACKER, "-o", o])
    for url in ["ftp://h/a", "http://", "udp://h", "not a url", "h/a"]:
        expect_fail(tmp, f"bad URL {url}", ["--create", single,
                    "--tracker", url, "-o", o])
    expect_fail(tmp, "bad web seed", ["--create", single, "--webseed",
                f"udp://{LOOP}:1", "-o", o])
    for ps in ["3000", "8K", "256M", "1X", "-1"]:
        expect_fail(tmp, f"piece size {ps}", ["--create", single,
                    "--piece-size", ps, "-o", o])
    expect_fail(tmp, "stray argument", ["--create", single, "extra", "-o",
                o])
    with open(o, "wb") as f:
        f.write(b"keep")
    expect_fail(tmp, "output exists", ["--create", single, "-o", o])
    with open(o, "rb") as f:
        check(f.read() == b"keep", "output exists: it was replaced")
    os.unlink(o)

    # unreadable file, as an unprivileged user (root reads anything)
    u = f"{d}/unreadable"
    write(f"{u}/ok", 10, 13)
    write(f"{u}/secret", 10, 14)
    os.chmod(f"{u}/secret", 0)
    p = expect_fail(tmp, "unreadable file", ["--create", u, "-o", o],
                    user=65534)
    check("secret" in p.stderr, f"unreadable: message {p.stderr!r}")

    check_changing(tmp, d, o)
    check_truncated(tmp, d, o)
    check_sigint(tmp, d, o)


def check_changing(tmp, d, o):
    """A file appended to while vtfs hashes: error, no torrent."""
    c = f"{d}/changing"
    os.makedirs(c)
    sparse(f"{c}/a-big", 3 << 30)   # no disk used; takes time to hash
    write(f"{c}/b-growing", 1000, 15)
    stop = threading.Event()

    def grow():
        with open(f"{c}/b-growing", "ab") as f:
            for _ in range(100_000):
                if stop.is_set():
                    break
                f.write(b"x")
                f.flush()
                time.sleep(0.001)
    t = threading.Thread(target=grow)
    t.start()
    try:
        p = expect_fail(tmp, "file changing", ["--create", c, "-o", o])
        check("changed" in p.stderr or "shrank" in p.stderr,
              f"file changing: message {p.stderr!r}")
    finally:
        stop.set()
        t.join()


def interrupted(label, path, o, act, wait=0.3):
    """Run vtfs --create on a big sparse file of path, call act() after
    wait seconds of hashing; return (exit status, stderr).  No file may be
    left in o's directory."""
    fail = os.path.dirname(o)
    before = sorted(os.listdir(fail))
    p = subprocess.Popen([VTFS, "--create", path, "-o", o],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        time.sleep(wait)
        check(p.poll() is None, f"{label}: vtfs ended too early")
        act(p)
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    check(sorted(os.listdir(fail)) == before, f"{label}: files left")
    os.unlink(path)
    return p.returncode, err


def sparse(path, size):
    with open(path, "wb") as f:
        f.truncate(size)


def check_truncated(tmp, d, o):
    """A big (mapped) file truncated while vtfs hashes it: an error, not a
    SIGBUS death."""
    big = f"{d}/shrinking.bin"
    sparse(big, 6 << 30)
    rc, err = interrupted("truncated", big, o,
                          lambda p: os.truncate(big, 1 << 20))
    check(rc == 1, f"truncated: exit {rc} {err!r}")
    check("shrank" in err or "changed" in err, f"truncated: message {err!r}")


def check_sigint(tmp, d, o):
    """SIGINT while hashing: exit 130, nothing written."""
    big = f"{d}/huge.bin"
    sparse(big, 64 << 30)   # hashing it all would take half a minute
    rc, err = interrupted("SIGINT", big, o,
                          lambda p: p.send_signal(signal.SIGINT), wait=1.0)
    check(rc == 130, f"SIGINT: exit {rc}")
    check("interrupted" in err, f"SIGINT: message {err!r}")


if __name__ == "__main__":
    main()
