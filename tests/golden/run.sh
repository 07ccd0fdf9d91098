#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Golden tests (the nftables and cproc model): each tests/golden/<case>/
# holds the input (*.yaml, *.json, or a directory input/) and the exact
# expected output of each stage it pins:
#   expected.ir       polc compile --dump=ir
#   expected.dp       polc compile --dump=dp
#   expected.h        polc compile --dump=c (the generated header)
#   expected.dfa      polc compile --dump=dfa (L7 HTTP rule sets; only where present)
#   expected.err      diagnostics (text, no colour) when compilation fails
#   expected.status   exit status (default 0)
# Run from the case directory with relative paths, so output is stable.
#
#   tests/golden/run.sh POLC [CASE...]     UPDATE=1 rewrites the expectations
set -uo pipefail

polc=$(realpath "${1:?usage: run.sh POLC [CASE...]}")
shift
here=$(cd "$(dirname "$0")" && pwd)
cases=("$@")
if [[ ${#cases[@]} -eq 0 ]]; then
	mapfile -t cases < <(find "$here" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
fi

pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

compare() { # name expected actual
	local case=$1 expected=$2 actual=$3
	if [[ "${UPDATE:-0}" == 1 ]]; then
		cp "$actual" "$expected"
		return 0
	fi
	if ! diff -u "$expected" "$actual" >"$tmp/diff"; then
		echo "FAIL $case: $(basename "$expected") differs:"
		head -40 "$tmp/diff" | sed 's/^/    /'
		return 1
	fi
}

for case in "${cases[@]}"; do
	dir="$here/$case"
	[[ -d "$dir" ]] || { echo "FAIL $case: no such case"; fail=$((fail + 1)); continue; }
	cd "$dir" || exit 2
	inputs=()
	[[ -d input ]] && inputs+=(input)
	for f in *.yaml *.yml *.json; do [[ -f "$f" ]] && inputs+=("$f"); done
	want_status=0
	[[ -f expected.status ]] && want_status=$(cat expected.status)
	ok=1

	"$polc" compile --no-color -o "$tmp/art" "${inputs[@]}" >"$tmp/out" 2>"$tmp/err"
	status=$?
	if [[ "${UPDATE:-0}" == 1 && $status -ne 0 ]]; then
		echo "$status" >expected.status
		want_status=$status
	fi
	if [[ $status -ne $want_status ]]; then
		echo "FAIL $case: exit status $status, expected $want_status"
		sed 's/^/    /' "$tmp/err" | head -20
		ok=0
	fi
	if [[ $want_status -ne 0 || -f expected.err ]]; then
		compare "$case" expected.err "$tmp/err" || ok=0
	fi
	for stage in ir dp; do
		[[ -f expected.$stage || ( "${UPDATE:-0}" == 1 && $want_status -eq 0 ) ]] || continue
		"$polc" compile --no-color --dump=$stage -o /dev/null "${inputs[@]}" >"$tmp/$stage" 2>/dev/null
		compare "$case" "expected.$stage" "$tmp/$stage" || ok=0
	done
	if [[ -f expected.dfa ]]; then
		"$polc" compile --no-color --dump=dfa -o /dev/null "${inputs[@]}" >"$tmp/dfa" 2>/dev/null
		compare "$case" expected.dfa "$tmp/dfa" || ok=0
	fi
	if [[ -f expected.h || ( "${UPDATE:-0}" == 1 && $want_status -eq 0 ) ]]; then
		"$polc" compile --no-color --dump=c -o /dev/null "${inputs[@]}" >"$tmp/h" 2>/dev/null
		compare "$case" expected.h "$tmp/h" || ok=0
	fi
	if [[ $ok -eq 1 ]]; then
		pass=$((pass + 1))
		echo "ok   $case"
	else
		fail=$((fail + 1))
	fi
done

echo "golden: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
