#!/usr/bin/env bash
# demo-mount.sh: the whole product on loopback in one command.
#   build vtfs (if needed), make a 64 MiB two-file torrent, start opentracker
#   and a python3-libtorrent seeder, mount the torrent with vtfs, read a file
#   through the mount and check its sha256, show `vtfs --status`, unmount.
# Root (FUSE, opentracker), Debian 12 packages of scripts/deps.sh.  Loopback
# only: TRACKER_IP, SEED_IP and VTFS_IP (default 127.0.0.1 .. 127.0.0.3).
# Cleans up every process (by PID) and the mount on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
TRACKER_IP=${TRACKER_IP:-127.0.0.1}
SEED_IP=${SEED_IP:-127.0.0.2}
VTFS_IP=${VTFS_IP:-127.0.0.3}
W=$(mktemp -d /tmp/vtfs-demo.XXXXXX)
PIDS=()

cleanup() {
	if mountpoint -q "$W/mnt" 2>/dev/null; then
		fusermount3 -u "$W/mnt" 2>/dev/null ||
		    fusermount3 -u -z "$W/mnt" 2>/dev/null || true
	fi
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

free_port() { # free_port IP
	/usr/bin/python3 -c 'import socket,sys
s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1"
}

if [[ ! -x $BUILD/vtfs ]]; then
	echo "== building vtfs"
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$BUILD" -j"$(nproc)" >/dev/null
fi
VTFS=$BUILD/vtfs

echo "== data and torrent in $W"
mkdir -p "$W/data/demo" "$W/mnt" "$W/tracker"
head -c $((48 << 20)) /dev/urandom >"$W/data/demo/movie.bin"
head -c $((16 << 20)) /dev/urandom >"$W/data/demo/extra.bin"
TPORT=$(free_port "$TRACKER_IP")
mktorrent -l 20 -a "http://$TRACKER_IP:$TPORT/announce" \
    -o "$W/demo.torrent" "$W/data/demo" >/dev/null
"$VTFS" --info "$W/demo.torrent" | head -3

echo "== opentracker on $TRACKER_IP:$TPORT, seeder on $SEED_IP"
"$VTFS" --info "$W/demo.torrent" --json | /usr/bin/python3 -c \
    'import json,sys; print(json.load(sys.stdin)["info_hash"])' \
    >"$W/tracker/whitelist.txt"
opentracker -i "$TRACKER_IP" -p "$TPORT" -P "$TPORT" -d "$W/tracker" \
    -w /whitelist.txt >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5
SPORT=$(free_port "$SEED_IP")
/usr/bin/python3 "$ROOT/tests/integration/fskit.py" seed "$SEED_IP" "$SPORT" \
    "$W/data" "$W/demo.torrent" >"$W/seed.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q ready "$W/seed.out" && break; sleep 0.1; done

echo "== vtfs $W/demo.torrent $W/mnt"
"$VTFS" --cache-dir "$W/cache" --listen "$VTFS_IP" "$W/demo.torrent" "$W/mnt"
ls -l "$W/mnt/demo"
echo "== sha256 through the mount vs the original"
a=$(sha256sum <"$W/mnt/demo/movie.bin" | cut -d' ' -f1)
b=$(sha256sum <"$W/data/demo/movie.bin" | cut -d' ' -f1)
echo "mount:    $a"
echo "original: $b"
[[ $a == "$b" ]] || { echo "MISMATCH"; exit 1; }
echo "== vtfs --status $W/mnt"
"$VTFS" --status "$W/mnt"
echo "== fusermount3 -u $W/mnt"
fusermount3 -u "$W/mnt"
echo "demo ok"
