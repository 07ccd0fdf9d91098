#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# End-to-end runner: every tests/e2e/test_*.sh, each self-contained (it
# sources tests/lib/netns.sh, builds its own namespaces and cleans up), each
# under a timeout. Prints PASS/FAIL/SKIP per test and a summary; exit 1 on
# any failure. Exit 77 from a test means "skipped" (no root, missing kernel
# feature); with CI=true a skip is a failure. After every test the runner
# checks that it left no namespace or bpffs pin behind (and removes what it
# left, which is named with the test's run id).
#
#   tests/e2e/run.sh BUILD_DIR [GLOB...]     GLOB matches test names (test_foo)
#   E2E_TIMEOUT=300 seconds per test;  VERBOSE=1 show every test's output
#
# A test gets: BUILD_DIR, POLC (the polc binary), NT_TOOLS (serve, probe),
# NT_RUN_ID (its own; derived from the caller's NT_RUN_ID if set), REPO.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$here/../.." && pwd)
build=${1:?usage: tests/e2e/run.sh BUILD_DIR [GLOB...]}
shift
BUILD_DIR=$(cd "$build" 2>/dev/null && pwd) || { echo "e2e: no build directory $build" >&2; exit 1; }
export BUILD_DIR REPO
export POLC=${POLC:-$BUILD_DIR/polc}
export NT_TOOLS=${NT_TOOLS:-$BUILD_DIR/tests/tools}
timeout_s=${E2E_TIMEOUT:-300}
is_ci() { [[ "${CI:-}" =~ ^(1|true|yes)$ ]]; }

tests=()
for t in "$here"/test_*.sh; do
	[[ -f "$t" ]] || continue
	name=$(basename "$t" .sh)
	if [[ $# -gt 0 ]]; then
		match=0
		for g in "$@"; do
			# shellcheck disable=SC2053
			[[ "$name" == $g || "$name" == test_$g ]] && match=1
		done
		[[ $match == 1 ]] || continue
	fi
	tests+=("$t")
done
if [[ ${#tests[@]} -eq 0 ]]; then
	echo "e2e: no tests${*:+ matching $*}"
	echo "SUMMARY e2e: 0 passed, 1 failed (no tests found)"
	exit 1
fi

log=$(mktemp "/tmp/polc-e2e.XXXXXX")
trap 'rm -f "$log"' EXIT
pass=0 fail=0 skip=0 failed=() skipped=()
t_all=$SECONDS
i=0
for t in "${tests[@]}"; do
	i=$((i + 1))
	name=$(basename "$t" .sh)
	run_id="${NT_RUN_ID:-e$$}x$i"
	t0=${EPOCHREALTIME/./}
	NT_RUN_ID=$run_id timeout --kill-after=10 "$timeout_s" bash "$t" >"$log" 2>&1
	rc=$?
	us=$((${EPOCHREALTIME/./} - t0))
	dt=$(printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000)))

	# Leftovers carry the run id in their names (netns.sh nt_setup).
	left=$( { ip netns list 2>/dev/null | awk '{print $1}'; compgen -G '/sys/fs/bpf/polc-*' | xargs -r -n1 basename; } |
		grep -E "^polc-[a-z0-9-]*-$run_id-[0-9]+" | sed -E "s/^(polc-[a-z0-9-]*-$run_id-[0-9]+).*/\1/" | sort -u)
	leak=""
	if [[ -n "$left" ]]; then
		leak="left behind: ${left//$'\n'/ }"
		for p in $left; do
			bash "$REPO/tests/lib/netns.sh" destroy "$p" >/dev/null 2>&1
		done
	fi

	status=PASS
	why=""
	if [[ $rc -eq 77 ]]; then
		status=SKIP
		why=$(grep -m1 '^SKIP' "$log" | sed 's/^SKIP: *//')
		is_ci && { status=FAIL; why="skipped under CI: $why"; }
	elif [[ $rc -eq 124 || $rc -eq 137 ]]; then
		status=FAIL
		why="timed out after ${timeout_s}s"
	elif [[ $rc -ne 0 ]]; then
		status=FAIL
		why="exit $rc"
	fi
	if [[ -n "$leak" ]]; then
		status=FAIL
		why="${why:+$why; }$leak"
	fi
	case $status in
	PASS) pass=$((pass + 1)) ;;
	SKIP) skip=$((skip + 1)); skipped+=("$name") ;;
	FAIL) fail=$((fail + 1)); failed+=("$name") ;;
	esac
	printf '%-4s  %-44s %7ss%s\n' "$status" "$name" "$dt" "${why:+  ($why)}"
	if [[ $status == FAIL || -n "${VERBOSE:-}" ]]; then
		tail -n 80 "$log" | sed 's/^/      /'
	fi
done
[[ $fail -gt 0 ]] && echo "failed: ${failed[*]}"
[[ $skip -gt 0 ]] && echo "skipped: ${skipped[*]}"
echo "SUMMARY e2e: $pass passed, $fail failed, $skip skipped (${#tests[@]} tests) in $((SECONDS - t_all))s"
[[ $fail -eq 0 ]]
