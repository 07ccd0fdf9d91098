#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# A short run of every libFuzzer target (make fuzz-smoke, part of make
# test): each BUILD/fuzz/fuzz_NAME for SECONDS from its seed corpus
# tests/fuzz/corpus/NAME/ with tests/fuzz/NAME.dict. New inputs go to a
# scratch directory, so the tree does not change; a crash, leak, timeout
# or out-of-memory fails the run and its reproducer is kept in
# BUILD/fuzz/crashes/.
#
#   tests/fuzz/smoke.sh BUILD_DIR [SECONDS]
set -uo pipefail

build=${1:?usage: tests/fuzz/smoke.sh BUILD_DIR [SECONDS]}
secs=${2:-8}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
scratch=$(mktemp -d /tmp/polc-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$build/fuzz/crashes"

# Extra seeds, read only: YAML the front end should know.
extra_frontend=("$repo/policies" "$here/../lint/golden")
shared=${POLC_SHARED_DIR:-}
for d in "$repo/../shared" "$repo/../../shared"; do
	[[ -z "$shared" && -d "$d/lint-cases" ]] && shared=$d
done
[[ -n "$shared" ]] && extra_frontend+=("$shared/lint-cases")

pass=0 fail=0 failed=()
for bin in "$build"/fuzz/fuzz_*; do
	[[ -x "$bin" && -f "$bin" ]] || continue
	name=$(basename "$bin")
	name=${name#fuzz_}
	seeds=("$here/corpus/$name")
	[[ "$name" == frontend || "$name" == lint ]] && seeds+=("${extra_frontend[@]}")
	dict=()
	[[ -f "$here/$name.dict" ]] && dict=(-dict="$here/$name.dict")
	[[ "$name" == lint ]] && dict=(-dict="$here/frontend.dict")
	mkdir -p "$scratch/$name"
	log="$scratch/$name.log"
	"$bin" "${dict[@]}" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$build/fuzz/crashes/$name-" "$scratch/$name" "${seeds[@]}" >"$log" 2>&1
	rc=$?
	runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1)
	if [[ $rc -eq 0 ]]; then
		pass=$((pass + 1))
		echo "PASS  fuzz_$name  ${runs:-?} in ${secs} s"
	else
		fail=$((fail + 1))
		failed+=("fuzz_$name")
		echo "FAIL  fuzz_$name  (exit $rc; reproducer in $build/fuzz/crashes/)"
		grep -m5 -E 'ERROR|SUMMARY|Test unit written' "$log" | sed 's/^/      /'
	fi
done
if [[ $((pass + fail)) -eq 0 ]]; then
	echo "SUMMARY fuzz: 0 passed, 1 failed (no fuzz targets in $build/fuzz)"
	exit 1
fi
echo "SUMMARY fuzz: $pass passed, $fail failed${failed[*]:+ (${failed[*]})}"
[[ $fail -eq 0 ]]
