#!/usr/bin/python3
"""BEP 12 failover: tier 1 a closed port, tier 2 a server that accepts and
never answers, tier 3 a working opentracker (all on 127.0.0.1, free ports).

`vtfs --announce T --session` announces as a download would and stops at
the first peers; the time of that answer (at_ms, measured from the start of
the command) must stay within the stated bound:

  public torrent (tiers announce in parallel):         < 1000 ms
  private torrent (BEP 27, one tracker at a time),
    HTTP: closed (refused at once) + hang (timeout T): < T + 1000 ms
    UDP:  closed (no ICMP on an unconnected socket,
          so a timeout) + black hole (timeout T):      < 2 T + 1000 ms

and for the private torrent the order must be tier 1, tier 2, tier 3, with
nothing sent to tier 3 before tier 2 gave up (one tracker at a time).  The
UDP black hole counts the retransmits (base 200 ms: sends at 0, 0.2, 0.6,
1.4 s within T = 2 s).

Environment: VTFS_BIN.  Needs opentracker and python3-libtorrent.
"""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_tracker as ht  # noqa: E402
import tracker_util as tu  # noqa: E402

NAME = "test_announce_failover"
T = 2  # s, --timeout of one request


def session(vtfs, torrent, addr):
    args = ["--announce", torrent, "--session", "--wait", "30", "--timeout",
            str(T), "--udp-retry-base", "200", "--json", "--listen", addr]
    rc, out, err, wall, _ = tu.run_vtfs(vtfs, args, 60)
    reps = tu.reports(out) if "[" in out else []
    return rc, [r for r in reps if r["kind"] == "announce"], err, wall


def main():
    vtfs = tu.require(NAME)
    tu.install_signal_cleanup()
    c = tu.Checks(NAME)
    work = tu.workdir("vtfs-ann-fo-")
    data = tu.make_data(work)
    hang = ht.Hang()
    hole = ht.UdpTracker("blackhole")
    tcp, udp = tu.tracker_ports()
    closed_tcp = ht.closed_port()
    closed_udp = ht.closed_port(socket.SOCK_DGRAM)
    http_tiers = [["http://127.0.0.1:%d/announce" % closed_tcp],
                  ["http://127.0.0.1:%d/announce" % hang.port],
                  ["http://127.0.0.1:%d/announce" % tcp]]
    udp_tiers = [["udp://127.0.0.1:%d/announce" % closed_udp],
                 ["udp://127.0.0.1:%d/announce" % hole.port],
                 ["udp://127.0.0.1:%d/announce" % udp]]
    tors, hashes = {}, []
    for name, tiers, priv in (("pub-http", http_tiers, False),
                              ("priv-http", http_tiers, True),
                              ("pub-udp", udp_tiers, False),
                              ("priv-udp", udp_tiers, True)):
        path = os.path.join(work, name + ".torrent")
        hashes.append(tu.make_torrent(path, data, tiers, private=priv))
        tors[name] = path
    tu.start_opentracker(work, hashes, tcp, udp)

    measured = {}
    bounds = {"pub-http": 1000, "pub-udp": 1000,
              "priv-http": T * 1000 + 1000, "priv-udp": 2 * T * 1000 + 1000}
    for i, name in enumerate(("pub-http", "priv-http", "pub-udp",
                              "priv-udp")):
        addr = "127.0.4.%d:%d" % (20 + i, 7020 + i)
        n_hang, n_hole = len(hang.conns), len(hole.received)
        rc, reps, err, wall = session(vtfs, tors[name], addr)
        got = [r for r in reps if r["ok"] and r.get("peers")]
        at = got[0]["at_ms"] if got else None
        measured[name] = at
        c.check(rc == 0 and got and got[0]["tier"] == 3 and
                addr in got[0]["peers"],
                "%s: peers from tier 3 (rc %d, %s)" % (name, rc, err[-300:]))
        c.check(at is not None and at < bounds[name],
                "%s: first peers after %s ms (bound %d ms)" %
                (name, at, bounds[name]))
        if name.startswith("priv"):
            tiers = [r["tier"] for r in reps]
            c.check(tiers[:3] == [1, 2, 3],
                    "%s: one tracker at a time, tiers in order: %s" %
                    (name, tiers))
            c.check(len(reps) >= 3 and
                    reps[1]["at_ms"] >= T * 1000 * (2 if "udp" in name
                                                     else 1) - 100,
                    "%s: tier 3 tried only after tier 2 timed out (%s)" %
                    (name, [(r["tier"], r["at_ms"]) for r in reps]))
            c.check(len(reps) >= 2 and reps[1].get("error") == "timed out",
                    "%s: tier 2 failed with a timeout" % name)
        if name == "priv-http":
            c.check(reps and reps[0].get("error") == "cannot connect",
                    "priv-http: tier 1 refused at once (%s ms)" %
                    (reps[0]["ms"] if reps else None))
            c.check(len(hang.conns) > n_hang,
                    "priv-http: the hanging server was connected to")
        if name == "priv-udp":
            sends = [p for _, p in hole.received[n_hole:]]
            c.check(3 <= len(sends) <= 5 and all(len(p) == 16 and
                                                p[:8] == bytes.fromhex(
                                                    "0000041727101980")
                                                for p in sends),
                    "priv-udp: %d BEP 15 connect sends to the black hole "
                    "in %d s at base 200 ms" % (len(sends), T))
    print("failover measured (ms to first peers): %s" % measured, flush=True)
    hang.close()
    hole.close()
    return c.finish()


if __name__ == "__main__":
    tu.run_main(main)
