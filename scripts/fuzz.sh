#!/usr/bin/env bash
# Build the libFuzzer targets of tests/fuzz with clang and run each on its
# seed corpus (tests/data/fuzz/<name>/, or tests/data/ for the metainfo
# parser).  FUZZ_SECONDS sets the time per target (default 60).  Exits
# non-zero on the first crash, leak or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
build=build-fuzz

CC=clang cmake -S . -B "$build" -DVTFS_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
	-DVTFS_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

shopt -s nullglob
ran=0
for bin in "$build"/tests/fuzz/fuzz_*; do
	[[ -x $bin ]] || continue
	name=$(basename "$bin")
	seeds=tests/data/fuzz/${name#fuzz_}
	work=$build/corpus-${name#fuzz_}
	mkdir -p "$work"
	dirs=("$work")
	[[ -d $seeds ]] && dirs+=("$seeds")
	echo "fuzz: $name for ${secs}s (seeds: ${dirs[*]:1})"
	"$bin" -max_total_time="$secs" -max_len=1048576 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$build/" "${dirs[@]}" \
		>"$build/$name.log" 2>&1 || {
		tail -n 60 "$build/$name.log"
		echo "fuzz: $name FAILED (log: $build/$name.log)"
		exit 1
	}
	grep -E '^stat::number_of_executed_units' "$build/$name.log" || true
	ran=$((ran + 1))
done
if [[ $ran -eq 0 ]]; then
	echo "fuzz: no fuzz target was built (is clang installed?)"
	exit 1
fi
echo "fuzz: $ran targets ran clean"
