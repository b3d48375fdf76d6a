#!/usr/bin/env bash
# bench/tracker/run.sh: vtfs-tracker against opentracker, in one run, with
# the same load generators, on loopback (127.0.3.x):
#   1. HTTP announces per second, keep-alive: wrk + announce.lua (random
#      info-hash out of NTORRENTS, random peer id and port, numwant 50);
#   2. UDP announces per second: udpload (BEP 15, WINDOW requests in
#      flight, same randomisation);
#   3. RSS after filling 100,000 torrents x 10 peers over UDP, and peak.
# Each tracker is pinned to CPU 0 and the load generator to CPU 1 (the
# development machine has 2 cores), and runs alone.  Debian's opentracker
# is whitelist-only: every info-hash is written to a whitelist in its chroot
# (read after chroot, so the path is relative to it).  vtfs-tracker runs in
# open mode with the same limits it ships with.
#
# Environment: SECONDS_PER_RUN (10), NTORRENTS (100000), NPEERS (10),
# CONNS (64, wrk connections), WINDOW (64, UDP requests in flight),
# REPS (3: rounds, alternating the trackers; medians are reported),
# VTFS_TRACKER_BIN (default: build/vtfs-tracker, built if missing).
# Needs root (opentracker drops to nobody), wrk, opentracker, cc.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DUR=${SECONDS_PER_RUN:-10}
NT=${NTORRENTS:-100000}
NP=${NPEERS:-10}
CONNS=${CONNS:-64}
WINDOW=${WINDOW:-64}
REPS=${REPS:-3}
IP=127.0.3.1
export SRC_IP=127.0.3.50

for t in wrk opentracker cc taskset python3; do
	command -v $t >/dev/null || { echo "bench: missing $t" >&2; exit 1; }
done
BIN=${VTFS_TRACKER_BIN:-$ROOT/build/vtfs-tracker}
if [[ ! -x $BIN ]]; then
	cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$ROOT/build" -j"$(nproc)" --target vtfs-tracker >/dev/null
fi

WORK=$(mktemp -d /tmp/vtfs-trkbench.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

cc -O2 -o "$WORK/udpload" "$HERE/udpload.c"
chmod 755 "$WORK"
mkdir -m 755 "$WORK/ot"
# Deterministic info-hashes: sha1("vtfs-bench-<i>").
python3 - "$NT" "$WORK" <<'PY'
import hashlib, sys, urllib.parse
n, w = int(sys.argv[1]), sys.argv[2]
with open(w + "/hashes.bin", "wb") as b, open(w + "/hashes.txt", "w") as t, \
        open(w + "/ot/whitelist.txt", "w") as wl:
    for i in range(n):
        h = hashlib.sha1(b"vtfs-bench-%d" % i).digest()
        b.write(h)
        t.write(urllib.parse.quote_from_bytes(h, safe="") + "\n")
        wl.write(h.hex() + "\n")
PY
chmod 644 "$WORK/ot/whitelist.txt"

free_port() {
	python3 -c 'import socket,sys
for _ in range(50):
    t=socket.socket(); t.bind((sys.argv[1],0)); p=t.getsockname()[1]
    u=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
    try:
        u.bind((sys.argv[1],p)); print(p); break
    except OSError: pass
    finally: t.close(); u.close()' "$IP"
}

wait_port() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/$IP/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: nothing on port $1" >&2
	exit 1
}

start_tracker() { # start_tracker NAME PORT -> PID in TPID
	local name=$1 port=$2
	case $name in
	vtfs-tracker)
		taskset -c 0 "$BIN" -f --listen "$IP:$port" --interval 1800 \
			--max-connections 4096 --log-level warn \
			>"$WORK/$name.log" 2>&1 &
		;;
	opentracker)
		taskset -c 0 opentracker -i "$IP" -p "$port" -P "$port" \
			-d "$WORK/ot" -w /whitelist.txt >"$WORK/$name.log" 2>&1 &
		;;
	esac
	TPID=$!
	PIDS+=("$TPID")
	wait_port "$port"
}

stop_tracker() {
	kill "$TPID" 2>/dev/null || true
	wait "$TPID" 2>/dev/null || true
}

hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

declare -A RES
# Throughput: REPS rounds, the two trackers alternating, median reported
# (the machine is shared: single runs are noisy).
for rep in $(seq "$REPS"); do
	for name in vtfs-tracker opentracker; do
		port=$(free_port)
		start_tracker $name "$port"
		out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" --latency \
			-s "$HERE/announce.lua" "http://$IP:$port/announce" \
			-- "$WORK/hashes.txt" 2>&1)
		echo "$out" >"$WORK/wrk-$name-$rep.txt"
		RES[$name.http]+=" $(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
		RES[$name.http_p99]+=" $(awk '$1 == "99%" {print $2}' <<<"$out")"
		RES[$name.http_err]=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
		RES[$name.sample]=$(curl -s "http://$IP:$port/announce?info_hash=$(head -1 "$WORK/hashes.txt")&peer_id=-CK0001-000000000001&port=1" | head -c 60 | tr -c '[:print:]' '.')
		stop_tracker
		port=$(free_port)
		start_tracker $name "$port"
		RES[$name.udp]+=" $(taskset -c 1 "$WORK/udpload" bench "$IP" "$port" "$DUR" \
			"$WORK/hashes.bin" "$WINDOW" | awk '{print $2}')"
		stop_tracker
	done
done
# Memory: NT torrents x NP peers.
for name in vtfs-tracker opentracker; do
	port=$(free_port)
	start_tracker $name "$port"
	RES[$name.rss0]=$(rss "$TPID")
	t0=$(date +%s.%N)
	fill=$(taskset -c 1 "$WORK/udpload" fill "$IP" "$port" "$WORK/hashes.bin" "$NP")
	t1=$(date +%s.%N)
	RES[$name.fill]="$fill in $(python3 -c "print('%.1f' % ($t1 - $t0))")s"
	RES[$name.rss]=$(rss "$TPID")
	RES[$name.hwm]=$(hwm "$TPID")
	stop_tracker
done

printf '\nvtfs-tracker vs opentracker on %s (tracker on CPU 0, load on CPU 1)\n' "$IP"
printf 'HTTP: wrk -t1 -c%s %ss keep-alive; UDP: %s in flight, %ss; %s torrents; median of %s\n\n' \
	"$CONNS" "$DUR" "$WINDOW" "$DUR" "$NT" "$REPS"
printf '%-13s %11s %9s %11s %10s %11s %11s\n' tracker "HTTP ann/s" "HTTP p99" \
	"UDP ann/s" "RSS idle" "RSS filled" "peak RSS"
for name in vtfs-tracker opentracker; do
	printf '%-13s %11s %9s %11s %7s KiB %7s KiB %7s KiB\n' "$name" \
		"$(median <<<"${RES[$name.http]}")" \
		"$(tr ' ' '\n' <<<"${RES[$name.http_p99]}" | grep -v '^$' | sort -V | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
		"$(median <<<"${RES[$name.udp]}")" "${RES[$name.rss0]}" \
		"${RES[$name.rss]}" "${RES[$name.hwm]}"
done
echo
for name in vtfs-tracker opentracker; do
	echo "$name: runs HTTP [${RES[$name.http]} ] UDP [${RES[$name.udp]} ]"
	echo "  fill: ${RES[$name.fill]} (${NP} peers per torrent)"
	echo "  wrk errors: ${RES[$name.http_err]:-none}"
	echo "  sample reply: ${RES[$name.sample]}"
done
