#!/usr/bin/python3
"""vtfs --announce against a scripted hostile tracker (HTTP and UDP).

1. One torrent lists every misbehaviour (hostile_tracker.py) plus nothing
   else; `vtfs --announce --json` must report, per tracker, the specific
   error (or the clamped/capped answer), stay within a memory bound (peak
   RSS compared with a run against one good tracker) and not crash (the
   ASan build makes any memory error or leak a non-zero exit).
2. Failover: for every misbehaviour that is an error, a private torrent
   [hostile] [opentracker] run with --session must get its peers from
   opentracker within the request timeout plus 1.5 s.
3. Stop bound: a tracker that accepts "started" but never answers
   "stopped" must not delay exit by more than the 2 s stop bound (+1 s).

Environment: VTFS_BIN.  Needs opentracker and python3-libtorrent.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_tracker as ht  # noqa: E402
import tracker_util as tu  # noqa: E402

NAME = "test_announce_hostile"
TIMEOUT_S = 3
COMMON = ["--timeout", str(TIMEOUT_S), "--udp-retry-base", "200", "--json"]

# kind: (error name or None for an answer, substring of the message)
HTTP_CASES = {
    "html": ("response is not bencode", "<html>"),
    "trunc": ("response is not bencode", "truncated"),
    "fail": ("tracker refused", "go away"),
    "badlen": ("compact peers not a multiple of 6", "7 bytes"),
    "badlen6": ("compact peers6 not a multiple of 18", "17 bytes"),
    "empty": ("empty response", ""),
    "status500": ("HTTP error status", "500"),
    "manynodes": ("response is not bencode", "too many"),
    "big": ("response too big", "1048576"),
    "biglen": ("response too big", "1048576"),
    "gzip": ("response is not bencode", "\\x1f\\x8b"),
    "loop": ("bad redirect", "more than 3 redirects"),
    "ftp": ("bad redirect", "scheme"),
    "slow": ("timed out", "bytes received"),
    "redir": (None, None),
    "int0": (None, None),
    "intbig": (None, None),
    "port0": (None, None),
    "huge": (None, None),
}
UDP_CASES = {
    "badtid": ("timed out", "transaction"),
    "short": ("timed out", "below 8"),
    "error": ("tracker refused", "go away udp"),
    "badpeers": ("timed out", "not a multiple of 6"),
    "wrongaction": ("timed out", "action 2"),
    "junkthengood": (None, None),
    "retry": (None, None),
}


def by_url(reps, kind="announce"):
    return {r["url"]: r for r in reps if r["kind"] == kind}


def main():
    vtfs = tu.require(NAME)
    tu.install_signal_cleanup()
    c = tu.Checks(NAME)
    work = tu.workdir("vtfs-ann-hostile-")
    data = tu.make_data(work)
    http = ht.start_http()
    hport = http.server_address[1]
    udps = {k: ht.UdpTracker(k) for k in UDP_CASES}
    urls = {k: "http://127.0.0.1:%d/%s/announce" % (hport, k)
            for k in HTTP_CASES}
    urls.update({"udp-" + k: "udp://127.0.0.1:%d/announce" % u.port
                 for k, u in udps.items()})
    cases = dict(HTTP_CASES)
    cases.update({"udp-" + k: v for k, v in UDP_CASES.items()})

    # 1. every misbehaviour at once
    t_all = os.path.join(work, "all.torrent")
    tu.make_torrent(t_all, data, [[u] for u in urls.values()])
    t_good = os.path.join(work, "good.torrent")
    ih_good = tu.make_torrent(t_good, data,
                              [[urls["redir"].replace("redir", "ok")]])
    rc, out, err, wall, rss_good = tu.run_vtfs(
        vtfs, ["--announce", t_good, "--listen", "127.0.4.7:7077"] + COMMON,
        30)
    c.check(rc == 0, "baseline run against one good tracker exits 0 (%s)"
            % err[-300:])
    # the query of a real announce (BEP 3, 20, 23), then its "stopped"
    hits = [(q, ip) for k, q, ip in http.hits if k == "ok"]
    first = lambda q, k: q.get(k, [""])[0]  # noqa: E731
    if c.check(len(hits) == 2, "baseline: announce and stopped received"):
        q, ip = hits[0]
        pid = first(q, "peer_id").encode("latin-1")
        c.check(first(q, "info_hash").encode("latin-1") ==
                bytes.fromhex(ih_good), "query: binary info_hash")
        c.check(len(pid) == 20 and pid.startswith(b"-VT0100-"),
                "query: BEP 20 peer_id %r" % pid)
        c.check(first(q, "port") == "7077" and first(q, "compact") == "1" and
                first(q, "event") == "started" and
                first(q, "left") == "100000" and
                first(q, "uploaded") == "0" and
                len(first(q, "key")) == 8 and first(q, "numwant") == "50",
                "query: port, compact, event, left, key, numwant: %s" %
                {k: v for k, v in q.items() if k not in ("info_hash",
                                                         "peer_id")})
        c.check(ip == "127.0.4.7", "query sent from the --listen address")
        q2, _ = hits[1]
        c.check(first(q2, "event") == "stopped" and
                first(q2, "peer_id").encode("latin-1") == pid and
                first(q2, "key") == first(q, "key"),
                "stopped: same peer_id and key")
    rc, out, err, wall, rss = tu.run_vtfs(vtfs, ["--announce", t_all]
                                          + COMMON, 60)
    c.check(rc == 0, "hostile run exits 0: some trackers answered (rc %d, "
            "%s)" % (rc, err[-500:]))
    try:
        reps = by_url(tu.reports(out))
    except ValueError:
        reps = {}
        c.check(False, "hostile run printed JSON: %s" % out[-500:])
    for k, (ename, msg) in cases.items():
        r = reps.get(urls[k])
        if not c.check(r is not None, "%s: reported" % k):
            continue
        if ename is None:
            c.check(r["ok"], "%s: answered: %s" % (k, r))
        else:
            c.check(not r["ok"] and r.get("error") == ename and
                    msg in r.get("message", ""),
                    "%s: error \"%s\" with \"%s\": %s" % (k, ename, msg, r))
        # the log names the tracker and the same error, once per failure
        if ename is not None:
            c.check(("tracker %s: %s" % (urls[k], ename)) in err,
                    "%s: logged with its URL" % k)
    ok = lambda k: reps.get(urls[k], {})  # noqa: E731
    c.check(ok("int0").get("interval") == 60, "interval 0 clamped to 60")
    c.check(ok("intbig").get("interval") == 3600,
            "interval 2^31 clamped to 3600")
    c.check(ok("port0").get("peers") == ["127.0.4.9:7001"],
            "port 0 peer dropped, the good one kept")
    c.check(len(ok("huge").get("peers", [])) == 2000,
            "100000-peer list capped at 2000")
    c.check(ok("redir").get("peers") == ["127.0.4.9:7001"],
            "one redirect to http is followed")
    c.check("interval clamped" in err and "capped" in err and
            "dropped" in err, "clamp, cap and drop are logged")
    # UDP retransmits: base 200 ms, the third connect is answered
    rt = [t for t, p in udps["retry"].received if len(p) == 16]
    c.check(len(rt) >= 3 and 0.5 <= rt[2] - rt[0] <= 1.2,
            "udp retransmits after 200 then 400 ms (sends at %s)"
            % [round(t - rt[0], 3) for t in rt])
    bt = [t for t, p in udps["badtid"].received]
    c.check(4 <= len(bt) <= 5,
            "udp: %d sends within %d s at base 200 ms (0, .2, .6, 1.4, 3.0)"
            % (len(bt), TIMEOUT_S))
    print("peak RSS: %d kB against one good tracker, %d kB against %d "
          "hostile ones" % (rss_good, rss, len(urls)), flush=True)
    c.check(rss - rss_good < 48 * 1024,
            "memory bounded: peak RSS grows by %d kB (< 48 MiB) for 10 MB "
            "bodies, a 64 MiB gzip bomb and 100000 peers" % (rss - rss_good))
    c.check(wall < TIMEOUT_S + 4, "the whole run took %.1f s (timeout %d s)"
            % (wall, TIMEOUT_S))

    # 2. failover from each bad tracker to a working opentracker
    tcp_port, udp_port = tu.tracker_ports()
    ot_url = "http://127.0.0.1:%d/announce" % tcp_port
    torrents = {}
    for k, (ename, _) in cases.items():
        if ename is None:
            continue
        path = os.path.join(work, "fo-%s.torrent" % k)
        torrents[k] = (path, tu.make_torrent(path, data, [[urls[k]],
                                                         [ot_url]],
                                             private=True))
    tu.start_opentracker(work, [h for _, h in torrents.values()], tcp_port,
                         udp_port)
    for k, (path, _) in torrents.items():
        rc, out, err, wall, _ = tu.run_vtfs(
            vtfs, ["--announce", path, "--session", "--wait", "20",
                   "--listen", "127.0.4.8:7008"] + COMMON, 30)
        reps = tu.reports(out) if "[" in out else []
        first = [r for r in reps if r["kind"] == "announce"]
        got = [r for r in first if r["ok"] and r.get("peers")]
        c.check(rc == 0 and len(first) >= 2 and first[0]["url"] == urls[k]
                and not first[0]["ok"] and got and got[0]["url"] == ot_url
                and got[0]["at_ms"] < (TIMEOUT_S + 1.5) * 1000,
                "failover %s -> opentracker: peers after %s ms" %
                (k, got[0]["at_ms"] if got else None))

    # a "tracker id" is sent back with the next announces (BEP 3)
    t_tid = os.path.join(work, "trackerid.torrent")
    tu.make_torrent(t_tid, data, [[urls["redir"].replace("redir",
                                                         "trackerid")]])
    rc, out, err, wall, _ = tu.run_vtfs(vtfs, ["--announce", t_tid,
                                              "--rounds", "2", "--gap", "0"]
                                        + COMMON, 30)
    tq = [q for k, q, _ in http.hits if k == "trackerid"]
    c.check(rc == 0 and len(tq) == 3 and "trackerid" not in tq[0] and
            all(q.get("trackerid") == ["T%01"] for q in tq[1:]) and
            tq[1].get("event") is None and
            tq[2].get("event") == ["stopped"],
            "tracker id echoed in round 2 and stopped, round 2 without "
            "event: %s" % [(q.get("event"), q.get("trackerid")) for q in tq])

    # 3. a tracker that hangs on "stopped" delays exit by the bound only
    t_hs = os.path.join(work, "hangstop.torrent")
    tu.make_torrent(t_hs, data, [[urls["redir"].replace("redir",
                                                        "hangstop")]])
    rc, out, err, wall, _ = tu.run_vtfs(vtfs, ["--announce", t_hs] + COMMON,
                                        30)
    reps = tu.reports(out) if "[" in out else []
    ann = [r for r in reps if r["kind"] == "announce"]
    st = [r for r in reps if r["kind"] == "stopped"]
    c.check(rc == 0 and ann and ann[0]["ok"], "hangstop: announce answered")
    c.check(st and not st[0]["ok"] and st[0]["error"] == "timed out" and
            "stop bound" in st[0]["message"],
            "hangstop: stopped timed out: %s" % st)
    c.check(ann and wall * 1000 - ann[0]["at_ms"] < 3000,
            "hangstop: exit %.0f ms after the answer (bound 2000 ms)"
            % (wall * 1000 - (ann[0]["at_ms"] if ann else 0)))
    http.shutdown()
    for u in udps.values():
        u.close()
    return c.finish()


if __name__ == "__main__":
    tu.run_main(main)
