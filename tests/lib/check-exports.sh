#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# libpolc exports exactly its public API: every function declared in
# runtime/include/polc/*.h is in runtime/libpolc.map, and the shared and
# static libraries define those as global symbols and nothing else (the
# loader internals and the compiler stay local).
#   tests/lib/check-exports.sh HEADER_DIR MAP SO ARCHIVE
set -uo pipefail
hdr=${1:?usage: check-exports.sh HEADER_DIR MAP SO ARCHIVE}
map=$2 so=$3 ar=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

grep -ohE '\bpolc_[a-z0-9_]+\(' "$hdr"/*.h | tr -d '(' | sort -u >"$tmp/headers"
sed -n 's/^[[:space:]]*\(polc_[a-z0-9_]*\);$/\1/p' "$map" | sort -u >"$tmp/map"
nm -D --defined-only "$so" | awk '$2 != "A" {print $3}' | sed 's/@.*//' | sort -u >"$tmp/so"
nm "$ar" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort -u >"$tmp/ar"

check() { # what expected actual
	if ! diff -u "$2" "$3" >"$tmp/diff"; then
		echo "FAIL $1:"
		sed 's/^/    /' "$tmp/diff"
		fail=1
	else
		echo "ok   $1 ($(wc -l <"$2") symbols)"
	fi
}
check "the version script lists what the headers declare" "$tmp/headers" "$tmp/map"
check "libpolc.so exports exactly that" "$tmp/map" "$tmp/so"
check "libpolc.a defines exactly that as global" "$tmp/map" "$tmp/ar"
exit $fail
