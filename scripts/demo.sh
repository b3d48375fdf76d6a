#!/usr/bin/env bash
# The main job (README), on loopback only:
#   build vtfs; make a torrent of generated data (vtfs --create) and show it
#   (vtfs --info); start vtfs-tracker (private, with its catalog) and publish
#   the torrent as an admin; start a python3-libtorrent seeder on 127.0.0.2;
#   mount the torrent straight from the catalog's URL with vtfs; read files
#   through the mount and check their sha256; show vtfs --status; unmount.
# Run as root on Debian 12 (FUSE); installs what is missing.  Every process
# is stopped by PID and the mount removed on exit; the work directory is
# deleted (DEMO_KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

scripts/deps.sh
echo "== building vtfs (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
vtfs=$top/build/vtfs
tracker=$top/build/vtfs-tracker

work=$(mktemp -d /tmp/vtfs-demo.XXXXXX)
pids=()
cleanup() {
	if mountpoint -q "$work/mnt" 2>/dev/null; then
		fusermount3 -u "$work/mnt" 2>/dev/null ||
			fusermount3 -u -z "$work/mnt" 2>/dev/null || true
	fi
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [[ ${DEMO_KEEP:-0} == 1 ]]; then
		echo "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT INT TERM

free_port() {	# free_port IP
	/usr/bin/python3 -c 'import socket, sys
s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$1"
}

echo "== sample data in $work/data"
mkdir -p "$work/data/album/disc 1" "$work/data/docs" "$work/mnt"
head -c $((40 << 20)) /dev/urandom >"$work/data/video.bin"
for i in 1 2 3; do
	head -c $((3 << 20 | i * 4099)) /dev/urandom \
		>"$work/data/album/disc 1/track$i.bin"
done
echo "hello from vtfs" >"$work/data/docs/readme.txt"
: >"$work/data/docs/empty"

port=$(free_port 127.0.0.1)
url=http://127.0.0.1:$port

echo
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
pids+=($!)
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
echo "== a python3-libtorrent seeder on 127.0.0.2"
sport=$(free_port 127.0.0.2)
/usr/bin/python3 tests/integration/fskit.py seed 127.0.0.2 "$sport" \
	"$work" "$work/demo.torrent" >"$work/seed.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	grep -q ready "$work/seed.out" && break
	sleep 0.1
done
"$vtfs" --announce "$work/demo.torrent" --listen 127.0.0.9:6881 |
	grep -E 'ok|peer|error'

echo
echo "== vtfs $url/t/data.torrent $work/mnt   (from the catalog's URL)"
"$vtfs" --cache-dir "$work/cache" --listen 127.0.0.3 \
	"$url/t/data.torrent" "$work/mnt"
ls -lR "$work/mnt"

echo
echo "== sha256 through the mount against the originals"
status=0
while IFS= read -r -d '' f; do
	rel=${f#"$work/data/"}
	a=$(sha256sum <"$work/mnt/data/$rel" | cut -d' ' -f1)
	b=$(sha256sum <"$f" | cut -d' ' -f1)
	if [[ $a == "$b" ]]; then
		echo "ok        $rel"
	else
		echo "MISMATCH  $rel"
		status=1
	fi
done < <(find "$work/data" -type f -print0 | sort -z)
echo "a 64 KiB read at 20 MiB into video.bin:"
dd if="$work/mnt/data/video.bin" bs=64K skip=320 count=1 status=none |
	cmp - <(dd if="$work/data/video.bin" bs=64K skip=320 count=1 \
		status=none) && echo "ok        identical"

echo
echo "== vtfs --status $work/mnt"
"$vtfs" --status "$work/mnt" | head -20

echo
echo "== fusermount3 -u $work/mnt"
fusermount3 -u "$work/mnt"
[[ $status == 0 ]] && echo "demo ok" || echo "demo FAILED"
exit "$status"
