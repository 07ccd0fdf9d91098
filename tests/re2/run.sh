#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Differential test of the regex compiler against RE2 (what Envoy runs
# Cilium's HTTP regexes with). Builds re2_diff beside the compiler library
# of BUILD and runs it; skipped when the RE2 headers are missing.
#   tests/re2/run.sh [BUILD [PATTERNS [SEED]]]
set -euo pipefail

BUILD=${1:-build}
PATTERNS=${2:-20000}
SEED=${3:-0x5eed5eed}
cd "$(dirname "$0")/../.."

if [[ ! -f /usr/include/re2/re2.h ]]; then
	echo "SUMMARY re2: skipped (libre2-dev not installed)"
	exit 0
fi
SAN=()
[[ "$BUILD" == build-asan ]] && SAN=(-fsanitize=address,undefined -fno-omit-frame-pointer)
out="$BUILD/tests/re2"
mkdir -p "$out"
g++ -std=c++17 -O2 -Wall -Werror "${SAN[@]}" -c tests/re2/re2_shim.cc -o "$out/re2_shim.o"
gcc -std=c17 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror "${SAN[@]}" -I. -Icompiler -Itests/unit \
	-o "$out/re2_diff" tests/re2/re2_diff.c "$out/re2_shim.o" "$BUILD/libpolc-compiler.a" \
	-lre2 -lstdc++
"$out/re2_diff" "$PATTERNS" "$SEED"
