#!/usr/bin/env bash
# The main job (README): build vtfs, make a torrent from sample data it
# generates, and show what the torrent holds.  Run as root on Debian 12;
# installs what is missing.  Everything happens in a temporary directory
# that is removed at the end (DEMO_KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
vtfs=$top/build/vtfs

work=$(mktemp -d /tmp/vtfs-demo.XXXXXX)
cleanup() {
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

echo "== vtfs --create"
"$vtfs" --create "$work/data" --tracker http://127.0.0.1:6969/announce \
	--tracker udp://127.0.0.1:6969 --comment "vtfs demo" \
	-o "$work/demo.torrent"
echo
echo "== vtfs --info"
"$vtfs" --info "$work/demo.torrent"
