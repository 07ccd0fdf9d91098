#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# polc test runs the compiled artifact itself: the shop's assertions pass
# on the policies and in the kernel (BPF_PROG_TEST_RUN on the artifact,
# loaded in a private network namespace); a wrong assertion fails on
# both; and given an artifact compiled from the old policies, polc test
# fails exactly where the artifact disagrees with the new policies and the
# assertions, and says so. Nothing is left in the caller's namespace.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
shop="$here/../lint/golden/shop"
tmp=$(mktemp -d /tmp/polc-test-e2e.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$shop"

fail() { echo "FAIL: $*"; exit 1; }
expect_status() { # want cmd...
	local want=$1 rc=0
	shift
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [[ $rc != "$want" ]]; then
		cat "$tmp/out" "$tmp/err"
		fail "$* exited $rc, expected $want"
	fi
}

# 1. The assertions hold for the new policies, in the kernel too.
expect_status 0 "$POLC" test assertions.txt inventory.yaml new
grep -q '^polc test: 12 assertions: 12 passed, 0 failed; 18 flows, 18 run in the kernel (the artifact compiled from the inputs)$' "$tmp/out" ||
	{ cat "$tmp/out"; fail "summary"; }
echo "ok: 12 assertions hold on the policies and on the artifact in the kernel"

# 2. Wrong assertions fail on both.
expect_status 1 "$POLC" test wrong.txt inventory.yaml new
grep -q 'policies: allow, kernel: allow (expected deny)' "$tmp/out" || fail "wrong.txt:1 should fail on both"
grep -q 'policies: deny, kernel: deny (expected allow)' "$tmp/out" || fail "wrong.txt:2 should fail on both"
if grep -q 'DISAGREES' "$tmp/out"; then fail "the compiled artifact disagrees with its own policies"; fi
echo "ok: wrong assertions fail on the policies and in the kernel"

# 3. The old artifact under the new policies: polc test fails where the
#    artifact and the assertions disagree, and names the kernel side.
"$POLC" compile -o "$tmp/old.polc" inventory.yaml old
expect_status 1 "$POLC" test --artifact "$tmp/old.polc" assertions.txt inventory.yaml new
grep -q '^FAIL  assertions.txt:5: shop/web -> shop/db tcp/5432 allow' "$tmp/out" || { cat "$tmp/out"; fail "line 5"; }
grep -q 'policies: allow, kernel: deny (expected allow)' "$tmp/out" || fail "kernel verdict of line 5"
grep -q 'THE ARTIFACT DISAGREES WITH THE POLICIES' "$tmp/out" || fail "the disagreement is not called out"
grep -q 'kernel, ingress of shop/db: deny' "$tmp/out" || fail "the deciding kernel side"
grep -q '^ok    assertions.txt:2: ' "$tmp/out" || fail "an assertion both agree on should still pass"
echo "ok: the old artifact fails where it disagrees with the assertions"

# 4. The same assertions, JSON, say which verdict came from the kernel.
expect_status 0 "$POLC" test --format json assertions.txt inventory.yaml new
/usr/bin/python3 - "$tmp/out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["kernel"] and r["passed"] == 12 and r["failed"] == 0, r
kernel = [f for a in r["assertions"] for f in a["flows"] if f["kernel"]["verdict"]]
assert len(kernel) >= 10, len(kernel)
assert all(f["kernel"]["verdict"] == f["policies"]["verdict"] for f in kernel)
PY
echo "ok: JSON report"

# 5. Nothing of the private namespace leaks into ours.
for i in lxc-web lxc-api lxc-db; do
	if ip link show "$i" >/dev/null 2>&1; then fail "interface $i left in the caller's namespace"; fi
done
if ip -o link show | grep 'polc-tb-' >/dev/null; then fail "veth peers left behind"; fi
echo "ok: no interface left behind"
