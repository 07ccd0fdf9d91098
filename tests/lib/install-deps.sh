#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Install the Debian packages polc needs to build, run and test, when any
# is missing. A no-op (and no root needed) when everything is present.
#   --quiet   print nothing when there is nothing to do
set -euo pipefail

PACKAGES=(
	# build
	gcc make pkg-config clang llvm flex bison
	libbpf-dev libyaml-dev libelf-dev zlib1g-dev libcmocka-dev
	# run and inspect
	bpftool iproute2
	# tests: harness, traffic tools, L7 peers
	python3 python3-yaml curl dnsutils dnsmasq-base socat iputils-ping
	# tests: RE2 as the reference for L7 regexes (tests/re2)
	g++ libre2-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
	[[ "${1:-}" == "--quiet" ]] || echo "polc: all build and test dependencies are installed"
	exit 0
fi

echo "polc: installing missing packages: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
	echo "polc: need root to install packages (run: sudo $0)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "polc: dependencies installed"
