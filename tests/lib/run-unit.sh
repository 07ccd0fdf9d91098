#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Runs every cmocka unit-test binary BUILD_DIR/tests/unit/test_* (built by
# make from tests/unit/test_*.c), each under a timeout, and prints one line
# per binary and a summary. Exit 1 if any binary fails or times out.
#
#   tests/lib/run-unit.sh BUILD_DIR [GLOB]
#   UNIT_TIMEOUT=120  seconds per binary;  VERBOSE=1  show every binary's output
set -uo pipefail

build=${1:?usage: run-unit.sh BUILD_DIR [GLOB]}
glob=${2:-test_*}
timeout_s=${UNIT_TIMEOUT:-120}
dir="$build/tests/unit"

bins=()
if [[ -d "$dir" ]]; then
	while IFS= read -r -d '' f; do
		bins+=("$f")
	done < <(find "$dir" -maxdepth 1 -type f -name "$glob" ! -name '*.*' -perm -u+x -print0 | sort -z)
fi
if [[ ${#bins[@]} -eq 0 ]]; then
	echo "unit: no test binaries in $dir"
	echo "SUMMARY unit: 0 passed, 0 failed (no unit tests built)"
	exit 0
fi

log=$(mktemp "/tmp/polc-unit.XXXXXX")
trap 'rm -f "$log"' EXIT
pass=0 fail=0 failed=()
t_all=$SECONDS
for b in "${bins[@]}"; do
	name=$(basename "$b")
	t0=${EPOCHREALTIME/./}
	# CMOCKA_MESSAGE_OUTPUT stays the default (stdout); a crash is a failure like any other.
	timeout --kill-after=5 "$timeout_s" "$b" >"$log" 2>&1
	rc=$?
	us=$((${EPOCHREALTIME/./} - t0))
	dt=$(printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000)))
	if [[ $rc -eq 0 ]]; then
		pass=$((pass + 1))
		n=$(grep -cE '^\[       OK \]' "$log" || true)
		printf 'PASS  %-40s %3s cases  %ss\n' "$name" "$n" "$dt"
		[[ -n "${VERBOSE:-}" ]] && sed 's/^/      /' "$log"
	else
		fail=$((fail + 1))
		failed+=("$name")
		why="exit $rc"
		[[ $rc -eq 124 || $rc -eq 137 ]] && why="timed out after ${timeout_s}s"
		[[ $rc -gt 128 && $rc -ne 137 ]] && why="killed by signal $((rc - 128))"
		printf 'FAIL  %-40s (%s)\n' "$name" "$why"
		tail -n 60 "$log" | sed 's/^/      /'
	fi
done
[[ $fail -gt 0 ]] && echo "failed: ${failed[*]}"
echo "SUMMARY unit: $pass passed, $fail failed ($((pass + fail)) binaries) in $((SECONDS - t_all))s"
[[ $fail -eq 0 ]]
