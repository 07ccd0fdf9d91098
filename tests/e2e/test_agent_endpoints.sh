#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# polc endpoint add/relabel/update/del change enforcement on the live datapath
# without clang (POLC_CLANG points at /bin/false), with real traffic.
set -euo pipefail
source "$(dirname "$0")/../lib/netns.sh"
nt_setup agentep

nt_add_pod x/web --labels app=web --ports http:80/TCP
nt_add_pod x/client --labels app=client
nt_add_pod x/admin --external   # a pod the compiled inventory does not know yet
nt_serve x/web -t 80,81 -u 80
nt_serve x/admin -t 80
nt_inventory >"$NT_TMP/inventory.yaml"
cat >"$NT_TMP/policy.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-in, namespace: x}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: http}]
  - from: [{podSelector: {matchLabels: {role: admin}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: admin-in, namespace: x}
spec:
  podSelector: {matchLabels: {role: admin}}
  policyTypes: [Ingress]
EOF
"$POLC" compile -o "$NT_TMP/p.polc" "$NT_TMP/inventory.yaml" "$NT_TMP/policy.yaml"
nt_on_cleanup "[[ ! -e '$NT_PIN_DIR' ]] || nt_polc unload --pin-dir '$NT_PIN_DIR'"
nt_polc load --pin-dir "$NT_PIN_DIR" "$NT_TMP/p.polc"

fail=0
expect() { # ok|blocked FROM TARGET... : what the probe must see
	local want=$1 from=$2
	shift 2
	if [[ $want == ok ]]; then
		nt_probe "$from" "$@" >/dev/null && echo "  ok    $from -> $* reachable" ||
			{ echo "  FAIL  $from -> $* should be reachable"; fail=1; }
	else
		! nt_probe "$from" -w 300 "$@" >/dev/null && echo "  ok    $from -> $* blocked" ||
			{ echo "  FAIL  $from -> $* should be blocked"; fail=1; }
	fi
}
ep() { POLC_CLANG=/bin/false nt_polc endpoint "$@" --pin-dir "$NT_PIN_DIR"; }
web4=$(nt_target x/web 80 tcp 4)
web6=$(nt_target x/web 80 tcp 6)
web81=$(nt_target x/web 81 tcp 4)
admin4=$(nt_target x/admin 80 tcp 4)

echo "-- compiled state"
expect ok x/client "$web4" "$web6"
expect blocked x/client "$web81"
expect blocked x/admin "$web4"
expect ok x/client "$admin4"   # admin is not an endpoint yet: nothing enforced on it

echo "-- endpoint add: a new label set"
ep add x/admin --label role=admin --ip "$(nt_ip x/admin 4)" --ip "$(nt_ip x/admin 6)" \
	--interface "$(nt_ifname x/admin)"
expect ok x/admin "$web4" "$web81" "$web6"
expect blocked x/client "$admin4"   # admin-in isolates it now

echo "-- endpoint relabel: the label set goes, so does the access"
ep relabel x/admin role=guest
expect blocked x/admin "$web4"
expect ok x/client "$admin4"        # no longer selected by admin-in
ep relabel x/admin role=admin
expect ok x/admin "$web4"

echo "-- endpoint update from a Pod object file"
cat >"$NT_TMP/client.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: client
  namespace: x
  labels: {app: other}
  annotations: {polc.io/interface: $(nt_ifname x/client)}
status:
  podIPs: [{ip: $(nt_ip x/client 4)}, {ip: "$(nt_ip x/client 6)"}]
EOF
ep update "$NT_TMP/client.yaml"
expect blocked x/client "$web4"

echo "-- endpoint del"
ep del x/admin
expect blocked x/admin "$web4"      # unknown address again
expect ok x/client "$admin4"        # and no longer enforced
hooks=$(nt_node_exec "$BUILD_DIR/tests/loader/polc-loadtest" hooks "$(nt_ifname x/admin)" 2>&1 || true)
[[ $hooks != *polc_* ]] || { echo "  FAIL  admin still attached: $hooks"; fail=1; }

echo "-- refusals leave the datapath as it was"
set +e
out=$(ep add x/web --label app=web --ip 198.19.99.99 2>&1); rc=$?
[[ $rc == 1 && $out == *"exists already"* ]] && echo "  ok    adding an existing pod: $out" || { echo "  FAIL  rc=$rc $out"; fail=1; }
out=$(ep add x/ghost --label app=client --ip 198.19.99.98 --interface nosuch0 2>&1); rc=$?
[[ $rc == 3 && $out == *"nosuch0"*"does not exist"* ]] && echo "  ok    missing interface: $out" || { echo "  FAIL  rc=$rc $out"; fail=1; }
out=$(ep add x/aud --label app=web --audit --ip 198.19.99.97 --interface "$(nt_ifname x/admin)" 2>&1); rc=$?
[[ $rc == 3 && $out == *"needs polc compile"* ]] && echo "  ok    audit pod on a program without audit: $out" || { echo "  FAIL  rc=$rc $out"; fail=1; }
set -e
expect blocked x/client "$web4"

echo "-- polc load of the artifact again: the node is the artifact again"
out=$(nt_polc load --pin-dir "$NT_PIN_DIR" "$NT_TMP/p.polc")
[[ $out == swapped* ]] || { echo "  FAIL  $out"; fail=1; }
expect ok x/client "$web4"
out=$(nt_polc load --pin-dir "$NT_PIN_DIR" "$NT_TMP/p.polc")
[[ $out == unchanged* ]] || { echo "  FAIL  $out"; fail=1; }

echo "-- the same artifact with other event flags: changed in place, still unchanged"
out=$(nt_polc load --pin-dir "$NT_PIN_DIR" --events none "$NT_TMP/p.polc")
st=$(nt_polc status --pin-dir "$NT_PIN_DIR")
[[ $out == unchanged* && $st == *"events      none"* ]] && echo "  ok    $out; events none" || { echo "  FAIL  $out / $st"; fail=1; }

exit $fail
