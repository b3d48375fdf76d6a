"""Shared kit of the seeding tests (test_seed_limits, test_seed_swarm; not
a test): vtfs --seed processes, log waits, python3-libtorrent leechers that
dial one given peer and nothing else, and the parsing of vtfs's end-of-run
summaries.  Builds on dlkit (processes, temp dirs, cleanup)."""
import os
import re
import time

import dlkit as k

import libtorrent as lt


def start_seed(work, tor, path, ip, extra=(), tag="seed"):
    """vtfs --seed on ip (a free port); returns (proc, port, log path)."""
    port = k.free_port(ip)
    logp = os.path.join(work, "%s-%s.log" % (tag, ip))
    p = k.spawn([k.VTFS, "--seed", tor, "--path", path, "--listen",
                 "%s:%d" % (ip, port)] + list(extra), logp)
    return p, port, logp


def read(logp):
    with open(logp, errors="replace") as f:
        return f.read()


def wait_log(logp, text, p, secs):
    """The log once it holds text (None after secs or once p exited)."""
    deadline = time.time() + secs
    while time.time() < deadline:
        s = read(logp)
        if text in s:
            return s
        if p.poll() is not None:
            break
        time.sleep(0.1)
    s = read(logp)
    return s if text in s else None


def wait_exit(p, secs):
    try:
        return p.wait(timeout=secs)
    except Exception:
        return None


def lt_session(ip):
    return lt.session({
        "listen_interfaces": "%s:%d" % (ip, k.free_port(ip)),
        "outgoing_interfaces": ip,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
        "enable_natpmp": False, "enable_ip_notifier": False,
        "dht_bootstrap_nodes": "", "enable_incoming_utp": False,
        "enable_outgoing_utp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification,
    })


def lt_add(ses, tor, save, peer):
    """Leech tor from peer (ip, port) only: no tracker, no other source."""
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(tor)
    p.save_path = save
    p.flags &= ~lt.torrent_flags.auto_managed
    p.flags |= lt.torrent_flags.paused
    h = ses.add_torrent(p)
    h.replace_trackers([])
    h.resume()
    h.connect_peer(peer)
    return h


def sent_bytes(out):
    """'sent X (N bytes)' of a vtfs summary (the last one), or None."""
    m = re.findall(r"sent [^(]*\((\d+) bytes\)", out)
    return int(m[-1]) if m else None


def reset_leecher(ip, port, ih, src_ip, nreq=256, secs=10):
    """A raw leecher from src_ip: handshake, interested, nreq requests of
    16 KiB once unchoked (pieces of 256 KiB assumed), then a close with RST (SO_LINGER 0) while the
    seeder is still sending.  True if it got as far as the RST."""
    import socket
    import struct
    s = socket.socket()
    s.settimeout(secs)
    try:
        s.bind((src_ip, 0))
        s.connect((ip, port))
        s.sendall(b"\x13BitTorrent protocol" + bytes(8) + bytes.fromhex(ih) +
                  b"-VTRST0-" + os.urandom(6).hex().encode())
        s.sendall(struct.pack(">IB", 1, 2))             # interested
        buf = b""
        deadline = time.time() + secs
        unchoked = False
        while not unchoked and time.time() < deadline:
            b = s.recv(65536)
            if not b:
                return False
            buf += b
            if len(buf) >= 68:
                # after the handshake: messages, length-prefixed
                msgs, off = buf[68:], 0
                while off + 5 <= len(msgs):
                    n = struct.unpack(">I", msgs[off:off + 4])[0]
                    if n and msgs[off + 4] == 1:
                        unchoked = True
                    off += 4 + n
        if not unchoked:
            return False
        s.sendall(b"".join(struct.pack(">IBIII", 13, 6, i // 16, (i % 16)
                                       * 16384, 16384)
                           for i in range(nreq)))
        s.recv(65536)                                   # it is sending
        # FIN first (the seeder's side goes to CLOSE_WAIT), then RST:
        # its next write then fails with EPIPE.
        s.shutdown(socket.SHUT_WR)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        return True
    except OSError:
        return False
    finally:
        s.close()
