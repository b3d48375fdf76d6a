#!/usr/bin/env bash
# Storage-layer throughput (hasher verify+write, recheck, reads) on this
# machine.  Builds bench/hasher_bench.c against the libraries of a plain
# build (build/, made if missing) and runs it in a temp dir.
#   bench/hasher.sh [MiB [piece KiB [threads]]]    (defaults 1024 1024 all)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f build/CMakeCache.txt ]] || cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target vtfs_bt vtfs_base >/dev/null
tmp=$(mktemp -d /tmp/vtfs-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -std=c17 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Isrc \
	bench/hasher_bench.c build/libvtfs_bt.a build/libvtfs_base.a \
	$(pkg-config --cflags --libs libuv) -lcrypto -lpthread \
	-o "$tmp/hasher_bench"
"$tmp/hasher_bench" "$tmp/cache" "$@"
