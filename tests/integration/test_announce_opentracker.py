#!/usr/bin/python3
"""vtfs --announce against a real opentracker, over HTTP and over UDP.

opentracker (Debian, whitelist-only) runs on 127.0.0.1 on free TCP and UDP
ports.  Two torrents: one with only the HTTP announce URL, one with only the
UDP one.  For each, client A (source 127.0.4.1, port 7001) and client B
(127.0.4.2, port 7002) announce in two rounds:

    A round 1 -> B round 1 (must list A) -> A round 2 (must list B)
    -> A stops -> B round 2 -> B stops

Then client C (127.0.4.3) announces with --scrape: the tracker must count
only C (A and B sent "stopped"), and scrape over the same transport must
answer.  B's UDP round 2 must reuse the connection id (BEP 15, 60 s).

Environment: VTFS_BIN.  Needs opentracker and python3-libtorrent.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracker_util as tu  # noqa: E402

NAME = "test_announce_opentracker"


def main():
    vtfs = tu.require(NAME)
    tu.install_signal_cleanup()
    c = tu.Checks(NAME)
    work = tu.workdir("vtfs-ann-ot-")
    data = tu.make_data(work)
    tcp, udp = tu.tracker_ports()
    urls = {"http": "http://127.0.0.1:%d/announce" % tcp,
            "udp": "udp://127.0.0.1:%d/announce" % udp}
    torrents, hashes = {}, []
    for kind, url in urls.items():
        path = os.path.join(work, kind + ".torrent")
        hashes.append(tu.make_torrent(path, data, [[url]]))
        torrents[kind] = path
    tu.start_opentracker(work, hashes, tcp, udp)

    common = ["--timeout", "5", "--udp-retry-base", "500"]
    for kind in ("http", "udp"):
        t = torrents[kind]
        a = tu.spawn_vtfs(vtfs, ["--announce", t, "--listen",
                                 "127.0.4.1:7001", "--rounds", "2",
                                 "--gap", "2500"] + common)
        c.check(tu.wait_output(a, ": ok:", 10),
                "%s: A's first announce answered" % kind)
        b = tu.spawn_vtfs(vtfs, ["--announce", t, "--listen",
                                 "127.0.4.2:7002", "--rounds", "2",
                                 "--gap", "5000", "--log-level", "debug"]
                          + common)
        ra, oa, ea, _, _ = tu.finish_vtfs(a, 30)
        rb, ob, eb, _, _ = tu.finish_vtfs(b, 30)
        c.check(ra == 0, "%s: A exits 0 (got %d: %s)" % (kind, ra, ea[-300:]))
        c.check(rb == 0, "%s: B exits 0 (got %d: %s)" % (kind, rb, eb[-300:]))
        repa = [r for r in tu.parse_text(oa) if r["kind"] == "announce"]
        repb = [r for r in tu.parse_text(ob) if r["kind"] == "announce"]
        c.check(len(repa) == 2 and all(r["ok"] for r in repa),
                "%s: A: two answered rounds: %s" % (kind, oa))
        c.check(len(repb) == 2 and all(r["ok"] for r in repb),
                "%s: B: two answered rounds: %s" % (kind, ob))
        c.check(len(repb) >= 1 and "127.0.4.1:7001" in repb[0]["peers"],
                "%s: B's first announce lists A (127.0.4.1:7001)" % kind)
        c.check(len(repa) == 2 and "127.0.4.2:7002" in repa[1]["peers"],
                "%s: A's second announce lists B (127.0.4.2:7002)" % kind)
        c.check(all(r["url"] == urls[kind] for r in repa + repb),
                "%s: every report names the tracker URL" % kind)
        for who, out in (("A", oa), ("B", ob)):
            st = [r for r in tu.parse_text(out) if r["kind"] == "stopped"]
            c.check(len(st) == 1 and st[0]["ok"],
                    "%s: %s sent stopped and it was accepted" % (kind, who))
        if kind == "udp":
            c.check("connection id reused" in eb,
                    "udp: B's second round reused the connection id")
        # C: only C is in the swarm now (A and B stopped).
        rc, oc, ec, _, _ = tu.run_vtfs(vtfs, ["--announce", t, "--listen",
                                              "127.0.4.3:7003", "--scrape",
                                              "--json"] + common, 30)
        c.check(rc == 0, "%s: C exits 0 (%s)" % (kind, ec[-300:]))
        reps = tu.reports(oc)
        ann = [r for r in reps if r["kind"] == "announce"]
        scr = [r for r in reps if r["kind"] == "scrape"]
        c.check(len(ann) == 1 and ann[0]["ok"] and
                ann[0]["peers"] == ["127.0.4.3:7003"] and
                ann[0]["leechers"] == 1 and ann[0]["seeders"] == 0,
                "%s: after A and B stopped the tracker lists only C: %s"
                % (kind, ann))
        c.check(len(scr) == 1 and scr[0]["ok"] and
                scr[0]["leechers"] == 1 and scr[0]["seeders"] == 0,
                "%s: scrape answered: %s" % (kind, scr))
        c.check(ann and 60 <= ann[0]["interval"] <= 3600,
                "%s: interval within the clamp" % kind)
    return c.finish()


if __name__ == "__main__":
    tu.run_main(main)
