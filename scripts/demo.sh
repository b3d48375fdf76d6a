#!/usr/bin/env bash
# The main job (README): build vtfs, make a torrent from sample data it
# generates, show what it holds, start vtfs-tracker on loopback, publish
# the torrent to its catalog as an admin, and announce to it.  Run as root
# on Debian 12; installs what is missing.  Everything happens in a
# temporary directory that is removed at the end (DEMO_KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
vtfs=$top/build/vtfs
tracker=$top/build/vtfs-tracker

work=$(mktemp -d /tmp/vtfs-demo.XXXXXX)
tracker_pid=
cleanup() {
	[[ -n $tracker_pid ]] && kill "$tracker_pid" 2>/dev/null && \
		wait "$tracker_pid" 2>/dev/null
	[[ ${DEMO_KEEP:-0} == 1 ]] && { echo "kept $work"; return; }
	rm -rf "$work"
}
trap cleanup EXIT

echo "== sample data in $work/data"
mkdir -p "$work/data/album/disc 1" "$work/data/docs"
head -c $((24 << 20)) /dev/urandom >"$work/data/video.bin"
for i in 1 2 3; do
	head -c $((3 << 20 | i * 4099)) /dev/urandom \
		>"$work/data/album/disc 1/track$i.bin"
done
echo "hello from vtfs" >"$work/data/docs/readme.txt"
: >"$work/data/docs/empty"

# A free loopback port for the tracker (HTTP and UDP share it).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port

echo "== vtfs --create"
"$vtfs" --create "$work/data" --tracker "$url/announce" \
	--tracker "udp://127.0.0.1:$port" --comment "vtfs demo" \
	-o "$work/demo.torrent"
echo
echo "== vtfs --info"
"$vtfs" --info "$work/demo.torrent"

echo
echo "== vtfs-tracker on 127.0.0.1:$port (private: only catalog torrents)"
echo "demo-password" | "$tracker" --users "$work/users" --add-user admin \
	--admin >/dev/null 2>&1
echo "admin user 'admin' added to $work/users"
"$tracker" -f --listen "127.0.0.1:$port" --catalog "$work/catalog" \
	--users "$work/users" --private --interval 60 \
	--log "$work/tracker.log" &
tracker_pid=$!
for _ in $(seq 50); do
	curl -fs "$url/api/torrents" >/dev/null && break
	sleep 0.1
done
echo "publish as admin:"
curl -fsS -u admin:demo-password --data-binary @"$work/demo.torrent" \
	"$url/api/torrents"
echo
echo "the catalog (GET /api/torrents):"
curl -fsS "$url/api/torrents"
echo

echo
echo "== vtfs --announce (HTTP and UDP tiers)"
"$vtfs" --announce "$work/demo.torrent" --listen 127.0.0.2:6881 --scrape
