#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# End-to-end tests: runs every tests/e2e/test_*.sh with the build dir as
# its argument (root; tests skip themselves otherwise). Each test builds
# and removes its own namespaces and pin dir.
#   tests/e2e/run.sh [BUILD] [PATTERN]
set -u
BUILD=${1:-build}
PATTERN=${2:-}
DIR=$(cd "$(dirname "$0")" && pwd)
failed=()
for t in "$DIR"/test_*.sh; do
	[[ -n $PATTERN && $t != *$PATTERN* ]] && continue
	echo "== $(basename "$t")"
	if ! timeout 600 bash "$t" "$BUILD"; then
		failed+=("$(basename "$t")")
	fi
done
if [[ ${#failed[@]} -ne 0 ]]; then
	echo "e2e: FAILED: ${failed[*]}"
	exit 1
fi
echo "e2e: all passed"
