"""vtfs-tracker catalog and publishing: users added with --add-user,
uploads with good credentials (plain HTTP from loopback, raw body; HTTPS
with a self-signed certificate made here, multipart), bad credentials and
non-admins (401, nothing stored), hostile .torrent files (400, nothing
stored), idempotent re-upload, HTML index (hostile name escaped), JSON,
the .torrent itself, private mode (unknown info-hash refused, catalog and
whitelist accepted), delete, restart keeps the catalog, SIGHUP reloads the
whitelist, and credentials refused over plain HTTP from a non-loopback
address (in a network namespace of our own)."""
import base64
import json
import os
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trackerlib import (announce_http, bencode, check, fail, free_port,  # noqa
                        http, info_hash, make_torrent, need, start, stop,
                        tmpdir, tracker_bin, wait_tcp)

need("openssl")
IP = "127.0.3.1"
d = tmpdir()
cat = d + "/catalog"
users = d + "/users"
wl = d + "/whitelist"


def add_user(name, pw, admin):
    args = [tracker_bin(), "--users", users, "--add-user", name]
    if admin:
        args.append("--admin")
    r = subprocess.run(args, input=pw + "\n", capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 0 and len(r.stdout.strip()) == 32,
          "--add-user %s (passkey printed)" % name)
    return r.stdout.strip()


add_user("root", "s3cret pass", True)
bob_key = add_user("bob", "bobpw", False)
add_user("root", "new root pass", True)     # replaces root
lines = open(users).read().splitlines()
check(len(lines) == 2 and oct(os.stat(users).st_mode & 0o777) == "0o600",
      "users file has 2 users, mode 0600")
check("new root pass" not in open(users).read(), "no clear password stored")
r = subprocess.run([tracker_bin(), "--users", users, "--add-user", "x:y"],
                   input="pw\n", capture_output=True, text=True)
check(r.returncode != 0, "bad user name refused")

subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-keyout", d + "/key.pem", "-out", d + "/cert.pem",
                "-days", "1", "-subj", "/CN=vtfs-test",
                "-addext", "subjectAltName=IP:" + IP],
               check=True, capture_output=True, timeout=60)
ctx = ssl.create_default_context(cafile=d + "/cert.pem")

open(wl, "w").write("# whitelist\n" + "ab" * 20 + "\n")
port = free_port(IP)
tport = free_port(IP, udp=False)
argv = [tracker_bin(), "-f", "--listen", "%s:%d" % (IP, port),
        "--listen-tls", "%s:%d" % (IP, tport), "--tls-cert", d + "/cert.pem",
        "--tls-key", d + "/key.pem", "--catalog", cat, "--users", users,
        "--private", "--whitelist", wl, "--log-level", "debug"]
trk = start(argv, log=d + "/tracker.log")
wait_tcp(IP, port, proc=trk)
wait_tcp(IP, tport, proc=trk)
base = "http://%s:%d" % (IP, port)
tbase = "https://%s:%d" % (IP, tport)


def auth(user, pw):
    return {"Authorization": "Basic " +
            base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()}


def stored():
    return sorted(os.listdir(cat))


ann = "http://%s:%d/announce" % (IP, port)
good = make_torrent(d + "/a.torrent", os.urandom(40000), "Holiday Photos",
                    ann)
ih_good = info_hash(good)
hostile_name = make_torrent(d + "/h.torrent", os.urandom(1000),
                            "<script>alert('x')</script> & \"q\"", ann)

# --- refused uploads store nothing ---
st, body, resp = http("POST", base + "/api/torrents", body=good,
                      headers={"Content-Type": "application/x-bittorrent"})
check(st == 401 and "Basic" in (resp.getheader("WWW-Authenticate") or ""),
      "upload without credentials: 401 + WWW-Authenticate")
st, _, _ = http("POST", base + "/api/torrents", body=good,
                headers=auth("root", "wrong"))
check(st == 401, "upload with a wrong password: 401")
st, _, _ = http("POST", base + "/api/torrents", body=good,
                headers=auth("nobody", "x"))
check(st == 401, "upload by an unknown user: 401")
st, _, _ = http("POST", base + "/api/torrents", body=good,
                headers=auth("bob", "bobpw"))
check(st == 401, "upload by a non-admin: 401")
check(stored() == [], "nothing stored after refused uploads")

hostile = {
    "not bencode": b"this is not a torrent",
    "truncated": good[:len(good) // 2],
    "no info": bencode({"announce": "x"}),
    "bad pieces": bencode({"info": {"name": "x", "length": 10,
                                    "piece length": 16384,
                                    "pieces": b"123"}}),
    "negative length": bencode({"info": {"name": "x", "length": -5,
                                         "piece length": 16384,
                                         "pieces": b"1" * 20}}),
    "name ..": bencode({"info": {"name": "..", "length": 10,
                                 "piece length": 16384,
                                 "pieces": b"1" * 20}}),
    "deep nesting": b"d4:info" + b"l" * 5000 + b"e" * 5000 + b"e",
    "trailing": good + b"x",
    "empty": b"",
}
for what, raw in hostile.items():
    st, body, _ = http("POST", base + "/api/torrents", body=raw,
                       headers=auth("root", "new root pass"))
    check(st == 400 and b"error" in body,
          "hostile torrent (%s): 400 %s" % (what, body[:60]))
check(stored() == [], "nothing stored after hostile uploads")
# An 11 MiB body is refused from its Content-Length, before it is read.
s = socket.create_connection((IP, port), 10)
s.sendall(("POST /api/torrents HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
           "Content-Length: %d\r\n\r\n" % (auth("root", "new root pass")
                                           ["Authorization"], 11 << 20))
          .encode())
s.settimeout(10)
check(s.recv(100).split()[1] == b"413", "11 MiB body: 413")
s.close()

# --- good uploads ---
st, body, _ = http("POST", base + "/api/torrents", body=good,
                   headers=auth("root", "new root pass"))
j = json.loads(body)
check(st == 201 and j["info_hash"] == ih_good.hex() and not j["existed"],
      "upload over plain HTTP from loopback: 201")
name = j["name"]
check(name == "Holiday_Photos" and stored() == [name + ".torrent"],
      "stored under a safe name")
st, body, _ = http("POST", base + "/api/torrents", body=good,
                   headers=auth("root", "new root pass"))
check(st == 200 and json.loads(body)["existed"] and
      stored() == [name + ".torrent"], "re-upload is idempotent")

boundary = "XyZvtfsBoundary"
mp = (("--%s\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\n"
       "hello\r\n--%s\r\nContent-Disposition: form-data; name=\"torrent\"; "
       "filename=\"h.torrent\"\r\nContent-Type: application/x-bittorrent"
       "\r\n\r\n") % (boundary, boundary)).encode() + hostile_name + \
    ("\r\n--%s--\r\n" % boundary).encode()
hdr = auth("root", "new root pass")
hdr["Content-Type"] = "multipart/form-data; boundary=" + boundary
st, body, _ = http("POST", tbase + "/api/torrents", body=mp, headers=hdr,
                   context=ctx)
j2 = json.loads(body)
check(st == 201 and j2["info_hash"] == info_hash(hostile_name).hex(),
      "multipart upload over HTTPS: 201")
check(all(c.isalnum() or c in "._-" for c in j2["name"]),
      "hostile name stored as %s" % j2["name"])
check(open(os.path.join(cat, j2["name"] + ".torrent"), "rb").read() ==
      hostile_name, "stored bytes are the uploaded bytes")

# --- reading the catalog ---
st, body, resp = http("GET", base + "/")
html = body.decode()
check(st == 200 and "text/html" in resp.getheader("Content-Type"),
      "index page served")
check("<script>" not in html and
      "&lt;script&gt;alert(&#39;x&#39;)&lt;_script&gt; &amp; &quot;q&quot;"
      in html, "hostile name HTML-escaped in the index")
check('href="/t/%s.torrent"' % name in html and
      "magnet:?xt=urn:btih:" + ih_good.hex() in html,
      "index links the .torrent and the magnet")
check("Holiday Photos" in html and "39.1 KiB" in html,
      "index shows name and size")
st, body, resp = http("GET", tbase + "/api/torrents", context=ctx)
lst = json.loads(body)
check(st == 200 and len(lst) == 2, "JSON list over HTTPS: 2 torrents")
e = [x for x in lst if x["name"] == name][0]
check(e["size"] == 40000 and e["files"] == 1 and e["title"] ==
      "Holiday Photos" and e["url"] == "/t/%s.torrent" % name and
      e["info_hash"] == ih_good.hex() and e["magnet"].startswith("magnet:"),
      "JSON entry fields")
st, body, resp = http("GET", base + "/t/%s.torrent" % name)
check(st == 200 and body == good and resp.getheader("Content-Type") ==
      "application/x-bittorrent", "GET /t/NAME.torrent returns the file")
for bad in ["/t/../users.torrent", "/t/%2e%2e%2fusers.torrent",
            "/t/.hidden.torrent", "/t/none.torrent"]:
    st, _, _ = http("GET", base + bad)
    check(st == 404, "GET %s: 404" % bad)

# --- private mode ---
st, r = announce_http(IP, port, b"\x42" * 20, b"-PP0001-000000000001", 1234)
check(b"unregistered" in r.get(b"failure reason", b""),
      "private: unknown info-hash refused")
st, r = announce_http(IP, port, ih_good, b"-PP0001-000000000001", 1234,
                      left=0)
check(r.get(b"complete") == 1, "private: catalog torrent tracked")
st, r = announce_http(IP, port, b"\xab" * 20, b"-PP0001-000000000001", 1234)
check(b"peers" in r, "private: whitelisted info-hash tracked")
st, body, _ = http("GET", base + "/api/torrents")
e = [x for x in json.loads(body) if x["name"] == name][0]
check(e["seeders"] == 1, "JSON shows the seeder")
# Passkey path: a known passkey works, an unknown one is refused.
st, r = announce_http(IP, port, ih_good, b"-PP0001-000000000002", 1235,
                      path="/announce/" + bob_key)
check(b"peers" in r, "announce with a valid passkey")
st, r = announce_http(IP, port, ih_good, b"-PP0001-000000000002", 1235,
                      path="/announce/" + "0" * 32)
check(b"unknown passkey" in r.get(b"failure reason", b""),
      "unknown passkey refused")
# SIGHUP reloads the whitelist.
open(wl, "w").write("cd" * 20 + "\n")
trk.send_signal(1)
time.sleep(1)
st, r = announce_http(IP, port, b"\xcd" * 20, b"-PP0001-000000000001", 1234)
check(b"peers" in r, "SIGHUP: new whitelist entry tracked")

# --- delete ---
st, _, _ = http("DELETE", base + "/api/torrents/" + name,
                headers=auth("bob", "bobpw"))
check(st == 401 and name + ".torrent" in stored(),
      "delete by a non-admin: 401")
st, _, _ = http("DELETE", base + "/api/torrents/" + name,
                headers=auth("root", "new root pass"))
check(st == 200 and name + ".torrent" not in stored(), "admin delete")
st, r = announce_http(IP, port, ih_good, b"-PP0001-000000000003", 1236)
check(b"unregistered" in r.get(b"failure reason", b""),
      "deleted torrent no longer tracked")
st, _, _ = http("DELETE", base + "/api/torrents/" + name,
                headers=auth("root", "new root pass"))
check(st == 404, "delete again: 404")

# --- restart keeps the catalog ---
check(stop(trk) == 0, "SIGTERM: exit 0")
trk = start(argv, log=d + "/tracker2.log")
wait_tcp(IP, port, proc=trk)
st, body, _ = http("GET", base + "/api/torrents")
check([x["name"] for x in json.loads(body)] == [j2["name"]],
      "restart: the catalog is still there")
check(stop(trk) == 0, "SIGTERM again: exit 0")

# --- credentials over plain HTTP from a non-loopback address ---
ns = r'''
import os, subprocess, sys, base64
sys.path.insert(0, %r)
from trackerlib import start, wait_tcp, http, check
for c in (["ip", "link", "set", "lo", "up"],
          ["ip", "addr", "add", "192.0.2.1/32", "dev", "lo"]):
    subprocess.run(c, check=True)
hdr = {"Authorization": "Basic " + base64.b64encode(b"root:new root pass").decode()}
for extra, want in (([], 403), (["--allow-plain-auth"], 201)):
    p = start([%r, "-f", "--listen", "192.0.2.1:8000", "--catalog", %r,
               "--users", %r] + extra)
    wait_tcp("192.0.2.1", 8000, proc=p)
    st, body, _ = http("POST", "http://192.0.2.1:8000/api/torrents",
                       body=open(%r, "rb").read(), headers=hdr)
    check(st == want, "plain HTTP from 192.0.2.1 %%s: %%d" %% (extra, st))
    p.terminate(); p.wait(10)
''' % (os.path.dirname(os.path.abspath(__file__)), tracker_bin(),
       d + "/nscat", users, d + "/a.torrent")
r = subprocess.run(["unshare", "--net", sys.executable, "-c", ns],
                   timeout=120)
check(r.returncode == 0, "credentials refused over plain HTTP off loopback")
print("PASS")
