#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The loader when things go wrong: a failed first load leaves nothing; a
# loader killed at any point leaves a policy enforcing and the next apply
# cleans up (leftover staging, a generation made live but never moved to
# gen/, stray links, random SIGKILLs); concurrent loaders serialise;
# vanished interfaces detach cleanly; missing privileges, a pin dir off
# bpffs and an incompatible pinned map layout are refused clearly.
#   test_loader_recovery.sh BUILD
set -u
# shellcheck source=tests/e2e/loader_lib.sh
. "$(dirname "$0")/loader_lib.sh"
trap loader_cleanup EXIT

topology_up || exit 1
mkart pass pass --ep vh0
mkart drop drop --ep vh0
mkart broken broken --ep vh0
mkart both pass --ep vh0 --ep vh1
mkart only0 pass --ep vh0

echo "-- a failed first load leaves nothing"
apply "$ART/broken.art"
check "rejected" test "$RC" -eq 3
check "no pin dir left" test ! -e "$PIN"
check "vh0 not attached" detached_polc vh0
expect_reach 0 "nothing loaded"

echo "-- leftovers of a killed loader are removed"
apply "$ART/pass.art"
check "load${ERR:+: $ERR}" test "$RC" -eq 0
live=$(lt slot0 --pin-dir "$PIN")
mkdir -p "$PIN/staging/00000000deadbeef-1"
bpftool map create "$PIN/staging/00000000deadbeef-1/polc_policy" type hash key 4 value 4 entries 1 name polc_policy
mkdir -p "$PIN/gen/00000000deadbeef-2"
apply "$ART/pass.art"
check "re-apply${ERR:+: $ERR}" test "$RC" -eq 0
check "unchanged" test "$(field outcome "$OUT")" = unchanged
check "staging leftover removed" test "$(entries "$PIN/staging")" -eq 0
check "stale gen dir removed" test "$(entry "$PIN/gen")" = "$(field revision "$OUT")-$live"

echo "-- killed after the switch, before the generation left staging/"
name=$(entry "$PIN/gen")
mv "$PIN/gen/$name" "$PIN/staging/$name"
apply "$ART/pass.art"
check "re-apply${ERR:+: $ERR}" test "$RC" -eq 0
check "recognised as the live generation: unchanged" test "$(field outcome "$OUT")" = unchanged
check "moved back to gen/" test -d "$PIN/gen/$name"
check "staging empty" test "$(entries "$PIN/staging")" -eq 0
check "program untouched" test "$(lt slot0 --pin-dir "$PIN")" = "$live"

echo "-- an attachment missing after a crash is repaired"
rm "$PIN/links/$(ifindex vh0)_to_pod"
check "to_pod gone (simulated)" bash -c "! grep -q 'tcx_egress=polc_to_pod' <<<\"\$(nsenter --net=/run/netns/$NS_HOST $TOOL hooks vh0)\""
apply "$ART/pass.art"
check "unchanged, with a repair" test "$(field outcome "$OUT")/$(field attached "$OUT")" = unchanged/1
check "vh0 attached again" attached_polc vh0 tcx

echo "-- stray links without a record are detached"
apply "$ART/both.art"
check "vh1 attached" attached_polc vh1 tcx
bpftool map delete pinned "$PIN/shared/polc_attach" key "$(ifindex vh1)" 0 0 0
apply "$ART/only0.art"
check "apply${ERR:+: $ERR}" test "$RC" -eq 0
check "vh1 detached" detached_polc vh1
check "vh1 links unpinned" bash -c "! compgen -G '$PIN/links/$(ifindex vh1)_*' >/dev/null"

echo "-- an interface that vanished is detached without error"
apply "$ART/both.art"
ip -n "$NS_HOST" link del vh1
apply "$ART/only0.art"
check "apply${ERR:+: $ERR}" test "$RC" -eq 0
check "detached 1, no failures" test "$(field detached "$OUT")/$(field detach_failed "$OUT")" = 1/0
check "only vh0 links left" test "$(entries "$PIN/links")" -eq 2

echo "-- SIGKILL at random points"
# A swap takes a few milliseconds: kill within 0..9 ms of starting it.
consistent=1
killed=0
for i in $(seq 30); do
	art=$ART/pass.art; [[ $((i % 2)) == 0 ]] && art=$ART/drop.art
	# Not through in_host: a backgrounded function is a subshell, and killing
	# it would leave the loader running. nsenter execs the tool: same pid.
	nsenter --net=/run/netns/"$NS_HOST" "$TOOL" apply --pin-dir "$PIN" "$art" >/dev/null 2>&1 &
	pid=$!
	sleep "0.00$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[[ $? == 137 ]] && killed=$((killed + 1))
	# Something is always live, and pinned where the next apply will find it.
	live_pinned || consistent=0
done
echo "       ($killed of 30 applies killed before they finished)"
check "a pinned generation stayed live through every kill" test "$consistent" -eq 1
apply "$ART/drop.art"
check "next apply succeeds${ERR:+: $ERR}" test "$RC" -eq 0
check "exactly one generation pinned" test "$(entries "$PIN/gen")" -eq 1
check "staging empty" test "$(entries "$PIN/staging")" -eq 0
check "pinned generation is the live one" test "$(entry "$PIN/gen" | sed 's/.*-//')" = "$(lt slot0 --pin-dir "$PIN")"
check "vh0 attached" attached_polc vh0 tcx
expect_blocked 0 "drop generation after recovery"

echo "-- concurrent loaders serialise"
in_host "$TOOL" apply --pin-dir "$PIN" "$ART/pass.art" >"$ART/c1" 2>&1 &
p1=$!
in_host "$TOOL" apply --pin-dir "$PIN" "$ART/drop.art" >"$ART/c2" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
check "both succeed ($(cat "$ART/c1" "$ART/c2" | tr '\n' ' '))" test "$r1/$r2" = 0/0
check "exactly one generation pinned" test "$(entries "$PIN/gen")" -eq 1
check "pinned generation is the live one" test "$(entry "$PIN/gen" | sed 's/.*-//')" = "$(lt slot0 --pin-dir "$PIN")"

echo "-- refusals"
OUT=$(in_host setpriv --reuid=65534 --regid=65534 --clear-groups "$TOOL" apply --pin-dir "$PIN" "$ART/pass.art" 2>&1)
RC=$?
check "unprivileged apply refused" test "$RC" -eq 3
check "error says what is needed ($OUT)" grep -q "needs root, or CAP_BPF and CAP_NET_ADMIN" <<<"$OUT"
check "datapath untouched" attached_polc vh0 tcx

OFF=$(mktemp -d "/tmp/$TAG-off.XXXXXX")
OUT=$(lt apply --pin-dir "$OFF/pins" "$ART/pass.art" 2>&1)
check "pin dir off bpffs refused ($OUT)" grep -q "not on a BPF filesystem" <<<"$OUT"
rm -rf "$OFF"

PIN2=$PIN-layout
mkdir -p "$PIN2/shared"
bpftool map create "$PIN2/shared/polc_ct" type lru_hash key 48 value 24 entries 262144 name polc_ct
OUT=$(lt apply --pin-dir "$PIN2" "$ART/pass.art" 2>&1)
RC=$?
check "incompatible pinned layout refused" test "$RC" -eq 3
check "error says to unload first ($OUT)" grep -q "another layout.*polc unload first" <<<"$OUT"
check "incompatible map left alone" test -e "$PIN2/shared/polc_ct"
check "nothing else created" test "$(entry "$PIN2/shared")" = polc_ct
check "live datapath untouched" attached_polc vh0 tcx
lt unload --pin-dir "$PIN2"
check "an incompatible datapath still unloads" test ! -e "$PIN2"

lt unload --pin-dir "$PIN"
check "final unload" test ! -e "$PIN"

echo "-- unload removes only what polc pinned"
apply "$ART/pass.art"
bpftool map create "$PIN/shared/foreign" type hash key 4 value 4 entries 1 name foreign
mkdir "$PIN/gen/not-a-generation"
lt unload --pin-dir "$PIN"
check "foreign pin kept" test -e "$PIN/shared/foreign"
check "foreign dir kept" test -d "$PIN/gen/not-a-generation"
check "polc's pins gone" test "$(find "$PIN" -mindepth 2 | sort | tr '\n' ' ')" = "$PIN/gen/not-a-generation $PIN/shared/foreign "
check "vh0 detached" detached_polc vh0
rm -rf "$PIN"
OUT=$(lt apply --pin-dir /sys/fs/bpf "$ART/pass.art" 2>&1)
check "the bpffs root is refused as pin dir ($OUT)" grep -q "root of a BPF filesystem" <<<"$OUT"

echo "-- unload of a datapath whose record map has another layout"
apply --mode clsact "$ART/pass.art"
check "clsact load${ERR:+: $ERR}" test "$RC" -eq 0
rm "$PIN/shared/polc_attach"
bpftool map create "$PIN/shared/polc_attach" type hash key 4 value 8 entries 16 name polc_attach
bpftool map update pinned "$PIN/shared/polc_attach" key "$(ifindex vh0)" 0 0 0 value 1 0 0 0 0 0 0 0
lt unload --pin-dir "$PIN"
check "unload succeeds" test ! -e "$PIN"
check "vh0 clsact filters removed" detached_polc vh0
expect_reach 0 "after unload"
finish
