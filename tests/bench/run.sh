#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# make bench: every benchmark binary in BUILD/tests/bench (root: they run
# BPF_PROG_TEST_RUN in network namespaces of their own).
#   tests/bench/run.sh BUILD_DIR
set -euo pipefail

build=${1:?usage: run.sh BUILD_DIR}
status=0
for bench in "$build"/tests/bench/*; do
	[[ -f "$bench" && -x "$bench" ]] || continue
	echo "== $(basename "$bench")"
	"$bench" || status=1
done
exit $status
