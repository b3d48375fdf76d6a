#!/bin/bash
# bench/mount_rss.sh - peak RSS (VmHWM) of the mount's daemon and the
# throughput of one sequential read of a big file through the mount, with
# NSEEDERS python3-libtorrent seeders on loopback (127.0.15.x).
#
#   bench/mount_rss.sh [VTFS] [EXTRA MOUNT ARGS...]
#   SIZE_MB=1024 PIECE_LOG2=20 NSEEDERS=3 WORKDIR=/tmp/vtfs-rss
#
# Prints: seconds, MiB/s, VmHWM in MiB.  Needs root (FUSE), mktorrent.
set -Eeuo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VTFS=${1:-$HERE/../build/vtfs}
shift || true
SIZE_MB=${SIZE_MB:-1024}
PIECE_LOG2=${PIECE_LOG2:-20}
NSEEDERS=${NSEEDERS:-3}
W=${WORKDIR:-/tmp/vtfs-rss}
pids=()
pid=
cleanup() {
    fusermount3 -u "$W/mnt" 2>/dev/null || true
    # the daemon finishes its resume record after the unmount
    for _ in $(seq 1 100); do
        [[ -n $pid && -d /proc/$pid ]] || break
        sleep 0.1
    done
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$W/cache"
}
trap cleanup EXIT
mkdir -p "$W/seed" "$W/mnt"
if [[ ! -s $W/seed/big.bin ]]; then
    head -c $((SIZE_MB << 20)) /dev/urandom >"$W/seed/big.bin"
fi
rm -f "$W/big.torrent"
mktorrent -l "$PIECE_LOG2" -o "$W/big.torrent" "$W/seed/big.bin" >/dev/null
peers=()
for i in $(seq 1 "$NSEEDERS"); do
    ip=127.0.15.$((10 + i))
    port=$(/usr/bin/python3 -c 'import socket,sys;s=socket.socket();s.bind((sys.argv[1],0));print(s.getsockname()[1])' "$ip")
    coproc SEED { exec /usr/bin/python3 "$HERE/../tests/integration/fskit.py" seed "$ip" "$port" "$W/seed" "$W/big.torrent" 0 2>/dev/null; }
    pids+=("$SEED_PID")
    read -r -t 120 line <&"${SEED[0]}"
    [[ $line == ready* ]] || { echo "seeder $ip did not start" >&2; exit 1; }
    peers+=(--peer "$ip:$port")
done
rm -rf "$W/cache"
"$VTFS" "$W/big.torrent" "$W/mnt" --cache-dir "$W/cache" --listen 127.0.15.2 \
    --no-trackers "${peers[@]}" "$@"
pid=$(/usr/bin/python3 -c 'import json,os,sys
print(json.loads(os.getxattr(sys.argv[1], "user.vtfs.status"))["pid"])' "$W/mnt")
t0=$(date +%s.%N)
dd if="$W/mnt/big.bin" of=/dev/null bs=1M status=none
t1=$(date +%s.%N)
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
/usr/bin/python3 -c 'import sys
t = float(sys.argv[2]) - float(sys.argv[1])
print("read %d MiB in %.2f s: %.1f MiB/s; daemon VmHWM %.1f MiB" %
      (int(sys.argv[3]), t, int(sys.argv[3]) / t, int(sys.argv[4]) / 1024))' \
    "$t0" "$t1" "$SIZE_MB" "$hwm"
