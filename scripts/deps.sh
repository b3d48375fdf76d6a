#!/usr/bin/env bash
# Install the Debian 12 packages vtfs needs to build, test and run its demo,
# when any is missing.  Needs root (or sudo).  Idempotent: does nothing when
# everything is there.
set -euo pipefail

pkgs=(
	# build
	build-essential cmake pkg-config clang libclang-rt-14-dev
	libfuse3-dev fuse3 libcurl4-openssl-dev libssl-dev libuv1-dev
	libmicrohttpd-dev libjansson-dev libldap2-dev libcmocka-dev
	# real peers and tools the tests run against
	opentracker transmission-cli transmission-daemon aria2
	python3-libtorrent mktorrent slapd ldap-utils openssl curl
	iproute2 procps psmisc util-linux xxd time
)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $st == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
