#!/usr/bin/env bash
# The test command (README, .ci/run): install what is missing, build with
# ASan+UBSan and -Werror, run the fuzzers, then every unit and integration
# test through ctest.  Run as root on Debian 12 (tests mount FUSE and
# install packages).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build-test -DVTFS_SANITIZE=ON -DVTFS_WERROR=ON \
	-DCMAKE_BUILD_TYPE=Debug
cmake --build build-test -j"$(nproc)"
scripts/fuzz.sh
cd build-test
ctest --output-on-failure
