#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The conformance harness checks itself, without polc: drops put at polc's
# hook by hand are seen exactly where they are (and a wrong expectation is
# reported). With CONFORMANCE_NO_POLICY=1 also every case of the shared data
# parses, fills its placeholders and overrides and probes cleanly with
# nothing loaded (make test-conformance parses and runs them all anyway).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run=(/usr/bin/python3 "$here/../conformance/run.py" --build "$BUILD_DIR")

rc=0
"${run[@]}" --self-check || rc=$?
[[ $rc == 77 ]] && exit 77
[[ $rc == 0 ]] || { echo "FAIL: --self-check exited $rc"; exit 1; }
[[ ${CONFORMANCE_NO_POLICY:-0} == 1 ]] || exit 0
work=$(mktemp -d /tmp/polc-conf-np.XXXXXX)
trap 'rm -rf "$work"' EXIT
rc=0
"${run[@]}" --no-policy --workdir "$work/steps" >"$work/log" 2>&1 || rc=$?
grep -E '^(FAIL|run.py|SKIP:)' "$work/log" || true
tail -n 2 "$work/log"
[[ $rc == 77 ]] && exit 77
[[ $rc == 0 ]] || { echo "FAIL: --no-policy exited $rc"; exit 1; }
