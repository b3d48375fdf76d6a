#!/usr/bin/python3
"""Interop test for `vtfs --info --json`.

Torrents made by real tools (mktorrent; python3-libtorrent v1, hybrid v1+v2
with pad files, v2-only) and hand-made hostile torrents are loaded by
`vtfs --info --json`; the info-hash, v2 hash, file list (pads left out),
trackers, private flag and web seeds must match what libtorrent and
transmission-show read from the same file.  v2-only torrents must fail with
exit 1 and a "not supported" message; hostile names must come out safe.

Environment: VTFS_BIN (the vtfs binary).  Needs mktorrent, transmission-show
and python3-libtorrent; exits non-zero when one is missing.  No network.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

results = {"pass": 0, "fail": 0}


def die(msg):
    print("test_info_interop: FATAL: " + msg, file=sys.stderr)
    sys.exit(2)


try:
    import libtorrent as lt
except ImportError:
    die("python3-libtorrent is missing (run scripts/deps.sh)")

VTFS = os.environ.get("VTFS_BIN")
if not VTFS or not os.access(VTFS, os.X_OK):
    die("VTFS_BIN is not set to the vtfs binary")
for tool in ("mktorrent", "transmission-show"):
    if not shutil.which(tool):
        die(tool + " is missing (run scripts/deps.sh)")


def check(cond, what):
    if cond:
        results["pass"] += 1
    else:
        results["fail"] += 1
        print("FAIL: " + what, file=sys.stderr)
    return cond


def run_info(path, json_mode=True):
    cmd = [VTFS, "--info", path] + (["--json"] if json_mode else [])
    return subprocess.run(cmd, capture_output=True, timeout=60)


def vtfs_json(path):
    p = run_info(path)
    if p.returncode != 0:
        check(False, "%s: vtfs --info exit %d: %s" %
              (path, p.returncode, p.stderr.decode(errors="replace")))
        return None
    return json.loads(p.stdout)


def lt_view(path):
    """What libtorrent reads: hashes, files relative to the top folder."""
    ti = lt.torrent_info(path)
    fs = ti.files()
    ih = ti.info_hashes()
    files = []
    multi = fs.num_files() > 1 or fs.file_path(0) != ti.name()
    for i in range(fs.num_files()):
        if fs.file_flags(i) & lt.file_storage.flag_pad_file:
            continue
        p = fs.file_path(i).replace(os.sep, "/")
        if multi:
            assert p.startswith(ti.name() + "/"), p
            p = p[len(ti.name()) + 1:]
        files.append({"path": p, "size": fs.file_size(i)})
    tiers = {}
    for t in ti.trackers():
        tiers.setdefault(t.tier, []).append(t.url)
    return {
        "name": ti.name(),
        "info_hash": str(ih.v1) if ih.has_v1() else None,
        "info_hash_v2": str(ih.v2) if ih.has_v2() else None,
        "piece_length": ti.piece_length(),
        "piece_count": ti.num_pieces(),
        "total_size": ti.total_size(),
        "private": ti.priv(),
        "trackers": [tiers[k] for k in sorted(tiers)],
        "web_seeds": [w["url"] for w in ti.web_seeds()],
        "files": files,
    }


def transmission_hash(path):
    out = subprocess.run(["transmission-show", path], capture_output=True,
                         timeout=60, check=True).stdout.decode()
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Hash:"):
            return line.split()[1]
    return None


def compare(label, path, expect_trackers=None, expect_private=None,
            use_transmission=False):
    v = vtfs_json(path)
    if v is None:
        return None
    ref = lt_view(path)
    for key in ("name", "info_hash", "info_hash_v2", "piece_length",
                "piece_count", "total_size", "private", "files"):
        check(v.get(key) == ref[key], "%s: %s: vtfs %r, libtorrent %r" %
              (label, key, v.get(key), ref[key]))
    check(all(not f["path"].startswith(".pad/") for f in v["files"]),
          label + ": a pad file is shown")
    if use_transmission:
        th = transmission_hash(path)
        check(v["info_hash"] == th, "%s: info_hash %s, transmission-show %s"
              % (label, v["info_hash"], th))
    if expect_trackers is not None:
        check(v["trackers"] == expect_trackers, "%s: trackers %r, want %r"
              % (label, v["trackers"], expect_trackers))
        # libtorrent shuffles the URLs inside a tier (BEP 12).
        check([sorted(t) for t in ref["trackers"]] ==
              [sorted(t) for t in expect_trackers],
              "%s: libtorrent trackers %r" % (label, ref["trackers"]))
    if expect_private is not None:
        check(v["private"] is expect_private, label + ": private flag")
    return v


def write_tree(root, files):
    for rel, size in files:
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(os.urandom(size))


def mktorrent(src, out, *args):
    subprocess.run(["mktorrent", "-l", "15", "-o", out] + list(args) +
                   [src], capture_output=True, timeout=120, check=True)


def lt_create(src, out, flags, piece=16384):
    fs = lt.file_storage()
    lt.add_files(fs, src)
    ct = lt.create_torrent(fs, piece, flags=flags)
    ct.add_tracker("http://127.0.1.1:6969/announce", 0)
    ct.add_tracker("http://127.0.1.2:6969/announce", 1)
    lt.set_piece_hashes(ct, os.path.dirname(src))
    with open(out, "wb") as f:
        f.write(lt.bencode(ct.generate()))


def test_mktorrent(tmp):
    data = os.path.join(tmp, "data")
    write_tree(data, [("single.bin", 100000)])
    single = os.path.join(tmp, "single.torrent")
    mktorrent(os.path.join(data, "single.bin"), single,
              "-a", "http://127.0.1.1:6969/announce")
    v = compare("mktorrent single", single,
                expect_trackers=[["http://127.0.1.1:6969/announce"]],
                expect_private=False, use_transmission=True)
    if v:
        check(v["files"] == [{"path": "single.bin", "size": 100000}],
              "mktorrent single: files %r" % v["files"])

    tree = os.path.join(tmp, "tree")
    layout = [("a.bin", 70000), ("sub/b.bin", 33000), ("sub/empty", 0),
              ("sub/deeper/deepest/c.txt", 5), ("z/empty2", 0),
              ("z/y.bin", 1)]
    write_tree(tree, layout)
    multi = os.path.join(tmp, "multi.torrent")
    tiers = [["http://127.0.1.1:6969/announce"],
             ["http://127.0.1.2:6969/announce", "udp://127.0.1.3:6969"],
             ["http://127.0.1.4:6969/announce"]]
    args = []
    for t in tiers:
        args += ["-a", ",".join(t)]
    mktorrent(tree, multi, "-p", "-c", "comment \u00e9\n2nd line",
              "-w", "http://127.0.1.1/ws", *args)
    v = compare("mktorrent multi", multi, expect_trackers=tiers,
                expect_private=True, use_transmission=True)
    if v:
        want = [{"path": p, "size": s} for p, s in layout]
        check(sorted(v["files"], key=lambda f: f["path"]) ==
              sorted(want, key=lambda f: f["path"]),
              "mktorrent multi: files %r" % v["files"])
        check(v["comment"] == "comment \u00e9\n2nd line",
              "mktorrent multi: comment %r" % v["comment"])
        check(v["web_seeds"] == ["http://127.0.1.1/ws"],
              "mktorrent multi: web seeds %r" % v["web_seeds"])
        check(v["info_hash_v2"] is None, "mktorrent multi: v2 hash")
    # The human form names the same hash and hides nothing it should show.
    p = run_info(multi, json_mode=False)
    out = p.stdout.decode(errors="replace")
    check(p.returncode == 0 and v is not None and v["info_hash"] in out and
          "sub/deeper/deepest/c.txt" in out and "tier 3" in out and
          "private:      yes" in out, "mktorrent multi: human output:\n" +
          out)


def test_libtorrent(tmp):
    tree = os.path.join(tmp, "lt")
    write_tree(tree, [("a.bin", 40000), ("sub/b.bin", 17000),
                      ("sub/c/d.txt", 3), ("sub/empty", 0), ("e.bin", 1)])
    trackers = [["http://127.0.1.1:6969/announce"],
                ["http://127.0.1.2:6969/announce"]]
    v1 = os.path.join(tmp, "v1.torrent")
    lt_create(tree, v1, lt.create_torrent.v1_only)
    v = compare("libtorrent v1", v1, expect_trackers=trackers,
                use_transmission=True)
    if v:
        check(v["info_hash_v2"] is None, "libtorrent v1: v2 hash present")

    hybrid = os.path.join(tmp, "hybrid.torrent")
    lt_create(tree, hybrid, 0)
    ti = lt.torrent_info(hybrid)
    fs = ti.files()
    npads = sum(1 for i in range(fs.num_files())
                if fs.file_flags(i) & lt.file_storage.flag_pad_file)
    check(npads > 0 and ti.info_hashes().has_v2(),
          "libtorrent made no hybrid with pads (pads %d)" % npads)
    # transmission-show 3.00 refuses hybrids: libtorrent is the reference.
    v = compare("libtorrent hybrid", hybrid, expect_trackers=trackers)
    if v:
        check(v["info_hash_v2"] == str(ti.info_hashes().v2),
              "libtorrent hybrid: v2 hash")
        check(len(v["files"]) == 5, "hybrid: %d files" % len(v["files"]))

    # Several pieces per file, pieces of 32 KiB.
    big = os.path.join(tmp, "big")
    write_tree(big, [("x.bin", 300000), ("y.bin", 70001)])
    bigt = os.path.join(tmp, "big.torrent")
    lt_create(big, bigt, 0, piece=32768)
    compare("libtorrent hybrid 32K", bigt)

    v2 = os.path.join(tmp, "v2only.torrent")
    lt_create(tree, v2, lt.create_torrent.v2_only)
    check(not lt.torrent_info(v2).info_hashes().has_v1(),
          "libtorrent v2_only made a v1 part")
    for mode in (True, False):
        p = run_info(v2, json_mode=mode)
        err = p.stderr.decode(errors="replace")
        check(p.returncode == 1 and "not supported" in err and
              "v2only.torrent" in err and p.stdout == b"",
              "v2-only: exit %d stderr %r" % (p.returncode, err))


def hostile_torrent(path, name, files, comment=None):
    npieces = max(1, (sum(s for _, s in files) + 16383) // 16384)
    info = {b"name": name, b"piece length": 16384,
            b"pieces": b"\x01" * 20 * npieces,
            b"files": [{b"length": s, b"path": p} for p, s in files]}
    root = {b"info": info}
    if comment is not None:
        root[b"comment"] = comment
    with open(path, "wb") as f:
        f.write(lt.bencode(root))


def test_hostile(tmp):
    t = os.path.join(tmp, "hostile.torrent")
    hostile_torrent(t, b"../../evil\x1b[2J", [
        ([b"..", b"..", b"etc", b"passwd"], 10),
        ([b"/etc/shadow"], 10),
        ([b"", b".", b"/", b"abs"], 10),
        ([b"a\\b", b"nul\x00x"], 10),
        ([b"bad \xff\xfe utf8"], 10),
        ([b"n" * 300 + b".mkv"], 10),
        ([b"\"quote\"", b"{json}"], 10),
    ], comment=b"evil \x1b]0;title\x07 \xff")
    v = vtfs_json(t)
    want = ["etc/passwd", "_etc_shadow", "_/abs", "a_b/nul_x",
            "bad __ utf8", "n" * 251 + ".mkv", "\"quote\"/{json}"]
    if v:
        check(v["name"] == ".._.._evil_[2J", "hostile name %r" % v["name"])
        check(v["comment"] == "evil \x1b]0;title\x07 _",
              "hostile comment %r" % v["comment"])
        check([f["path"] for f in v["files"]] == want,
              "hostile paths %r" % [f["path"] for f in v["files"]])
        for f in v["files"]:
            parts = f["path"].split("/")
            check(not f["path"].startswith("/") and
                  all(c not in ("", ".", "..") and len(c.encode()) <= 255
                      for c in parts), "unsafe path %r" % f["path"])
    p = run_info(t, json_mode=False)
    check(p.returncode == 0 and b"\x1b" not in p.stdout and
          b"\x07" not in p.stdout and b"evil \\x1b]0;title\\x07 _" in
          p.stdout, "human output leaks an escape byte: %r" % p.stdout)

    # Refused with a clear message: same path after sanitising, and a
    # file that is also a folder.
    for label, files in (
            ("dup", [([b"a/b"], 1), ([b"a_b"], 1)]),
            ("dup-dotdot", [([b"..", b"x"], 1), ([b"x"], 1)]),
            ("file-folder", [([b"d"], 1), ([b"d", b"f"], 1)]),
            ("empty-path", [([b"..", b"."], 1)])):
        t = os.path.join(tmp, label + ".torrent")
        hostile_torrent(t, b"top", files)
        p = run_info(t)
        err = p.stderr.decode(errors="replace")
        check(p.returncode == 1 and p.stdout == b"" and
              (label + ".torrent") in err and err.count("\n") == 1,
              "%s: exit %d stderr %r" % (label, p.returncode, err))


def test_errors(tmp):
    p = subprocess.run([VTFS, "--info"], capture_output=True, timeout=30)
    check(p.returncode == 2, "--info without a file: exit %d" % p.returncode)
    p = subprocess.run([VTFS, "--info", "a", "b"], capture_output=True,
                       timeout=30)
    check(p.returncode == 2, "--info a b: exit %d" % p.returncode)
    for path, words in ((os.path.join(tmp, "missing.torrent"),
                         "No such file"), (tmp, "not a regular file")):
        p = run_info(path)
        err = p.stderr.decode(errors="replace")
        check(p.returncode == 1 and words in err and path in err,
              "%s: exit %d stderr %r" % (path, p.returncode, err))
    junk = os.path.join(tmp, "junk.torrent")
    with open(junk, "wb") as f:
        f.write(b"d4:infod6:lengthi-1e")
    p = run_info(junk)
    check(p.returncode == 1 and b"bencode" in p.stderr,
          "junk: exit %d stderr %r" % (p.returncode, p.stderr))
    big = os.path.join(tmp, "big.torrent")
    with open(big, "wb") as f:
        f.truncate(10 * 1024 * 1024 + 1)
    p = run_info(big)
    check(p.returncode == 1 and b"too big" in p.stderr,
          "oversize: exit %d stderr %r" % (p.returncode, p.stderr))


def main():
    with tempfile.TemporaryDirectory(prefix="vtfs-info-") as tmp:
        for t in (test_mktorrent, test_libtorrent, test_hostile,
                  test_errors):
            before = results["fail"]
            t(tmp)
            print("%-16s %s" % (t.__name__,
                                "ok" if results["fail"] == before
                                else "FAILED"))
    print("test_info_interop: %d checks passed, %d failed" %
          (results["pass"], results["fail"]))
    return 1 if results["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
