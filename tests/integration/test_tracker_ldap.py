"""vtfs-tracker publishing with LDAP: a real slapd (Debian's) started here
on a free loopback port with its own config and database (slapd.conf +
slapadd), users under ou=people, an admin group (groupOfNames).  An LDAP
admin may upload; an LDAP non-admin, a wrong or empty password, an unknown
user and a DN-injection name get 401; with slapd gone, 401 and the tracker
keeps running."""
import base64
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trackerlib import (check, fail, free_port, http, make_torrent,  # noqa
                        need, start, start_tracker, stop, tmpdir, wait_tcp)

need("/usr/sbin/slapd", "/usr/sbin/slapadd", "/usr/sbin/slappasswd")
IP = "127.0.3.1"
d = tmpdir()
os.makedirs(d + "/db")
suffix = "dc=vtfs,dc=test"


def ssha(pw):
    return subprocess.run(["/usr/sbin/slappasswd", "-s", pw],
                          capture_output=True, text=True,
                          check=True).stdout.strip()


open(d + "/slapd.conf", "w").write("""
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile %(d)s/slapd.pid
database mdb
suffix "%(s)s"
rootdn "cn=admin,%(s)s"
rootpw secret
directory %(d)s/db
maxsize 10485760
access to attrs=userPassword by anonymous auth by * none
access to * by * read
""" % {"d": d, "s": suffix})
ldif = """dn: %(s)s
objectClass: dcObject
objectClass: organization
o: vtfs test
dc: vtfs

dn: ou=people,%(s)s
objectClass: organizationalUnit
ou: people

dn: ou=groups,%(s)s
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=people,%(s)s
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: A
userPassword: %(alice)s

dn: uid=bob,ou=people,%(s)s
objectClass: inetOrgPerson
uid: bob
cn: Bob
sn: B
userPassword: %(bob)s

dn: cn=admins,ou=groups,%(s)s
objectClass: groupOfNames
cn: admins
member: uid=alice,ou=people,%(s)s
""" % {"s": suffix, "alice": ssha("alice pw"), "bob": ssha("bob pw")}
open(d + "/data.ldif", "w").write(ldif)
r = subprocess.run(["/usr/sbin/slapadd", "-f", d + "/slapd.conf", "-l",
                    d + "/data.ldif"], capture_output=True, text=True,
                   timeout=60)
if r.returncode != 0:
    fail("slapadd: " + r.stderr)
lport = free_port(IP, udp=False)
slapd = start(["/usr/sbin/slapd", "-d", "0", "-f", d + "/slapd.conf", "-h",
               "ldap://%s:%d/" % (IP, lport)], log=d + "/slapd.log")
wait_tcp(IP, lport, proc=slapd)
print("slapd running on %s:%d" % (IP, lport))

trk, port = start_tracker(IP, [
    "--catalog", d + "/cat", "--ldap-uri", "ldap://%s:%d" % (IP, lport),
    "--ldap-base", "ou=people," + suffix,
    "--ldap-admin-group", "cn=admins,ou=groups," + suffix],
    log=d + "/tracker.log")
base = "http://%s:%d/api/torrents" % (IP, port)
raw = make_torrent(d + "/x.torrent", os.urandom(20000), "ldap test",
                   "http://%s:%d/announce" % (IP, port))


def up(user, pw):
    h = {"Authorization": "Basic " +
         base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()}
    return http("POST", base, body=raw, headers=h)[0]


check(up("bob", "bob pw") == 401, "LDAP user outside the admin group: 401")
time.sleep(0.2)
check("bind as uid=bob" not in open(d + "/tracker.log").read(),
      "bob's bind succeeded (refused for the group, not the password)")
check(up("alice", "wrong") == 401, "LDAP admin, wrong password: 401")
check(up("alice", "") == 401, "empty password (anonymous bind): 401")
check(up("carol", "x") == 401, "unknown LDAP user: 401")
check(up("alice,ou=people", "alice pw") == 401, "DN injection name: 401")
check(up("*", "alice pw") == 401, "wildcard name: 401")
check(os.listdir(d + "/cat") == [], "nothing stored")
check(up("alice", "alice pw") == 201, "LDAP admin upload: 201")
check(os.listdir(d + "/cat") == ["ldap_test.torrent"], "stored")
check(up("alice", "alice pw") == 200, "LDAP admin re-upload: 200")

stop(slapd)
t0 = time.time()
check(up("alice", "alice pw") == 401, "slapd down: 401")
check(time.time() - t0 < 15, "slapd down: answered within the timeout")
check(trk.poll() is None, "tracker alive")
print("PASS")
