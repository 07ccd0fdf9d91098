#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The loader with real traffic, in tcx and in clsact mode: first load
# attaches and enforces, swaps pass -> drop -> pass change what flows,
# re-applying is a no-op, a verifier-rejected or unresolvable artifact
# leaves the previous policy enforcing, the endpoint set follows the
# artifact (attach new, detach unlisted), conntrack is the same map across
# swaps, and unload removes every link, filter and pin.
#   test_loader_swap.sh BUILD
set -u
# shellcheck source=tests/e2e/loader_lib.sh
. "$(dirname "$0")/loader_lib.sh"
trap loader_cleanup EXIT

topology_up || exit 1

# Policy 9 denies everything to the pod (ingress); the pass fixture allows the rest.
mkart pass pass --ep vh0
mkart drop drop --ep vh0
mkart broken broken --ep vh0
mkart missing pass --ep vh0 --ep nosuch0
mkart both pass --ep vh0 --ep vh1:9:0:1 --deny 9
mkart only1 pass --ep vh1

run_mode() {
	local mode=$1
	echo "-- attach mode $mode"

	apply --mode "$mode" "$ART/pass.art"
	check "first load succeeds${ERR:+: $ERR}" test "$RC" -eq 0
	check "outcome loaded" test "$(field outcome "$OUT")" = loaded
	check "mode is $mode" test "$(field mode "$OUT")" = "$mode"
	check "vh0 attached with $mode" attached_polc vh0 "$mode"
	check "vh1 not attached" detached_polc vh1
	expect_reach 0 "pass generation"
	expect_reach 1 "not an endpoint"
	local ct gen0
	ct=$(field ct_map_id "$OUT")
	gen0=$(field gen_prog_id "$OUT")
	check "slot 0 holds the reported generation" test "$(lt slot0 --pin-dir "$PIN")" = "$gen0"

	apply "$ART/drop.art"
	check "swap to drop succeeds${ERR:+: $ERR}" test "$RC" -eq 0
	check "outcome swapped" test "$(field outcome "$OUT")" = swapped
	check "conntrack map kept (id $ct)" test "$(field ct_map_id "$OUT")" = "$ct"
	expect_blocked 0 "drop generation"
	local rev
	rev=$(field revision "$OUT")
	check "the drop generation judged the last packet" test "$(lt ctrev --pin-dir "$PIN" vh0)" = "${rev:8}"
	check "one generation pinned" test "$(entries "$PIN/gen")" -eq 1
	check "old generation program gone" bash -c "! bpftool prog show id $gen0 >/dev/null 2>&1"

	local gen1
	gen1=$(field gen_prog_id "$OUT")
	apply "$ART/drop.art"
	check "re-apply succeeds" test "$RC" -eq 0
	check "outcome unchanged" test "$(field outcome "$OUT")" = unchanged
	check "same program still live" test "$(lt slot0 --pin-dir "$PIN")" = "$gen1"

	apply "$ART/pass.art"
	check "outcome swapped back" test "$(field outcome "$OUT")" = swapped
	expect_reach 0 "pass generation again"
	local live
	live=$(lt slot0 --pin-dir "$PIN")

	apply "$ART/broken.art"
	check "verifier rejection fails the apply" test "$RC" -eq 3
	check "error quotes the verifier" grep -q "verifier rejected polc_gen" <<<"$ERR"
	check "error shows the verifier's reason" grep -q "map_value_or_null" <<<"$ERR"
	check "previous generation still live" test "$(lt slot0 --pin-dir "$PIN")" = "$live"
	check "no staging leftovers" test "$(entries "$PIN/staging")" -eq 0
	expect_reach 0 "previous generation enforcing after rejection"

	apply "$ART/missing.art"
	check "missing interface fails the apply" test "$RC" -eq 3
	check "error names the interface and pod" grep -q "interface nosuch0 of endpoint default/pod-nosuch0 does not exist" <<<"$ERR"
	check "previous generation still live" test "$(lt slot0 --pin-dir "$PIN")" = "$live"
	expect_reach 0 "previous generation enforcing after missing interface"

	apply "$ART/both.art"
	check "adding an endpoint succeeds${ERR:+: $ERR}" test "$RC" -eq 0
	check "one interface attached" test "$(field attached "$OUT")" = 1
	check "vh1 attached" attached_polc vh1 "$mode"
	expect_reach 0 "pod0 allowed"
	expect_blocked 1 "pod1 denied by policy 9"

	apply "$ART/only1.art"
	check "removing an endpoint succeeds${ERR:+: $ERR}" test "$RC" -eq 0
	check "one interface detached" test "$(field detached "$OUT")" = 1
	check "vh0 detached" detached_polc vh0
	check "vh0 link pins gone" bash -c "! compgen -G '$PIN/links/$(ifindex vh0)_*' >/dev/null"
	expect_reach 0 "no longer an endpoint"
	expect_reach 1 "pass generation on pod1"

	if [[ $mode == tcx ]]; then
		apply --mode clsact "$ART/only1.art"
		check "changing attach mode is refused" test "$RC" -eq 3
		check "error says to unload first" grep -q "unload it first" <<<"$ERR"
	fi

	local live_gen
	live_gen=$(lt slot0 --pin-dir "$PIN")
	lt unload --pin-dir "$PIN"
	check "unload succeeds" test $? -eq 0
	check "pin dir removed" test ! -e "$PIN"
	check "vh0 clean" detached_polc vh0
	check "vh1 clean" detached_polc vh1
	check "generation program freed" bash -c "! bpftool prog show id $live_gen >/dev/null 2>&1"
	check "no tcx link of polc left" bash -c "! bpftool link show 2>/dev/null | grep -q polc_"
	expect_reach 0 "after unload"
	expect_reach 1 "after unload"
	lt unload --pin-dir "$PIN"
	check "unloading nothing succeeds" test $? -eq 0
}

run_mode tcx
run_mode clsact
finish
