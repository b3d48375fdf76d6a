#!/bin/sh
# tsan_run.sh DIR COMMAND...: run one integration test of a ThreadSanitizer
# build (cmake -DVTFS_TSAN=ON) with the reports of every instrumented
# process it starts (the vtfs daemons, whose exit codes the tests do not
# check) written under DIR, and fail when there is one.
dir=$1
shift
rm -rf "$dir"
mkdir -p "$dir" || exit 2
TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS }halt_on_error=0 log_path=$dir/tsan"
export TSAN_OPTIONS
"$@"
rc=$?
set -- "$dir"/tsan.*
if [ -e "$1" ]; then
	echo "ThreadSanitizer: $# report file(s) in $dir:"
	for f in "$@"; do
		echo "--- $f"
		head -n 40 "$f"
	done
	[ "$rc" -eq 0 ] && rc=1
fi
exit "$rc"
