#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# polc lint, trace, diff and test from the command line (make test-lint):
#
#   cases     every row of <shared>/lint-cases/INDEX.tsv gives its verdict,
#             line and field path (check_cases.py)
#   hostile   generated hostile input: a clear error in < 1 s and < 64 MiB
#             (hostile.py)
#   formats   JSON has exactly the fields file, line, column, severity, code,
#             path, message, hint; SARIF has the 2.1.0 shape with real
#             regions; github annotations parse (check_formats.py)
#   golden    tests/lint/golden/<case>/NAME.cmd: the arguments of one polc
#             run (from the case directory); NAME.out is its exact stdout,
#             NAME.err its exact stderr (when the file exists), NAME.status
#             its exit status (default 0). UPDATE=1 rewrites .out (and
#             existing .err) from what polc prints.
#
#   tests/lint/run.sh POLC [golden CASE/NAME...]
set -uo pipefail

polc=$(realpath "${1:?usage: tests/lint/run.sh POLC [CASE/NAME...]}")
shift
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
fail=0
summary=()

stage() { # name command...
	local name=$1
	shift
	echo "== $name"
	if "$@"; then
		summary+=("$name: ok")
	else
		summary+=("$name: FAILED")
		fail=1
	fi
}

golden() {
	local pass=0 bad=0 tmp cmds=()
	tmp=$(mktemp -d)
	if [[ $# -gt 0 ]]; then
		for c in "$@"; do cmds+=("$here/golden/$c.cmd"); done
	else
		mapfile -t cmds < <(find "$here/golden" -name '*.cmd' | sort)
	fi
	for cmd in "${cmds[@]}"; do
		local dir name want_status status
		dir=$(dirname "$cmd")
		name=$(basename "$cmd" .cmd)
		want_status=0
		[[ -f "$dir/$name.status" ]] && want_status=$(<"$dir/$name.status")
		(cd "$dir" && NO_COLOR=1 eval "\"$polc\" $(<"$cmd")" >"$tmp/out" 2>"$tmp/err")
		status=$?
		if [[ "${UPDATE:-}" == 1 ]]; then
			cp "$tmp/out" "$dir/$name.out"
			[[ -f "$dir/$name.err" ]] && cp "$tmp/err" "$dir/$name.err"
		fi
		local why=""
		if [[ $status != "$want_status" ]]; then
			why="exit status $status, expected $want_status"
		elif ! diff -u "$dir/$name.out" "$tmp/out" >"$tmp/diff" 2>&1; then
			why="stdout differs"
		elif [[ -f "$dir/$name.err" ]] && ! diff -u "$dir/$name.err" "$tmp/err" >"$tmp/diff" 2>&1; then
			why="stderr differs"
		fi
		local rel=${cmd#"$here/golden/"}
		if [[ -z "$why" ]]; then
			pass=$((pass + 1))
			echo "ok   ${rel%.cmd}"
		else
			bad=$((bad + 1))
			echo "FAIL ${rel%.cmd}: $why"
			[[ -s "$tmp/diff" ]] && head -40 "$tmp/diff" | sed 's/^/     /'
			[[ $status != "$want_status" ]] && head -5 "$tmp/err" | sed 's/^/     stderr: /'
		fi
		: >"$tmp/diff"
	done
	rm -rf "$tmp"
	echo "SUMMARY lint-golden: $pass passed, $bad failed"
	[[ $bad == 0 ]]
}

# Under ASan/UBSan time and memory say nothing about polc: bounds reported, not enforced.
# grep reads everything: with pipefail, grep -q quitting early can fail ldd with SIGPIPE.
if ldd "$polc" 2>/dev/null | grep 'libasan' >/dev/null; then
	export POLC_LIMITS_RELAXED=1
	echo "(sanitizer build: the 1 s / 64 MiB bounds are checked by the normal build only)"
fi

if [[ $# -gt 0 ]]; then
	golden "$@"
	exit $?
fi
stage cases "$py" "$here/check_cases.py" "$polc"
stage hostile "$py" "$here/hostile.py" "$polc"
stage formats "$py" "$here/check_formats.py" "$polc" "$here/golden"
stage golden golden
for s in "${summary[@]}"; do echo "  $s"; done
if [[ $fail == 0 ]]; then
	echo "SUMMARY lint: all stages passed"
else
	echo "SUMMARY lint: some stages failed"
fi
exit $fail
