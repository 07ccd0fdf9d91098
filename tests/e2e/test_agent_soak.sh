#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Soak: continuous TCP and UDP traffic, allowed and denied, IPv4 and IPv6,
# with long-lived TCP connections, while the datapath is swapped between two
# policy generations SOAK_SWAPS times (default 1000). Allowed packets lost,
# denied packets delivered and TCP connections reset must all be 0.
set -euo pipefail
source "$(dirname "$0")/../lib/netns.sh"
nt_setup agentsoak
swaps=${SOAK_SWAPS:-1000}
soak=$(nt_tools_dir)/soak
[[ -x $soak ]] || nt_die "no $soak (run make)"

nt_add_pod x/server --labels app=server
nt_add_pod x/client --labels app=client
nt_inventory >"$NT_TMP/inventory.yaml"

# Both generations allow client -> server TCP 8080 and UDP 5353 and nothing
# else to the server; the client's egress is isolated too (to the server on
# all four ports). B adds policies and rules around them, so that its rule
# ids, policy ids and tables differ: every swap is a real one, and every
# established flow is judged again under the new revision.
cat >"$NT_TMP/a.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server-in, namespace: x}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{protocol: TCP, port: 8080}, {protocol: UDP, port: 5353}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client-out, namespace: x}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: server}}}]
    ports: [{protocol: TCP, port: 8080, endPort: 8081}, {protocol: UDP, port: 5353, endPort: 5354}]
EOF
cat "$NT_TMP/a.yaml" >"$NT_TMP/b.yaml"
cat >>"$NT_TMP/b.yaml" <<'EOF'
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: aaa-server-admin, namespace: x}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - from: [{podSelector: {matchLabels: {role: admin}}}]
    ports: [{protocol: TCP, port: 9000}]
  - from: [{ipBlock: {cidr: 198.19.0.0/16}}]
    ports: [{protocol: UDP, port: 5353}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client-dns, namespace: x}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - ports: [{protocol: UDP, port: 53}]
EOF
"$POLC" compile -o "$NT_TMP/a.polc" "$NT_TMP/inventory.yaml" "$NT_TMP/a.yaml"
"$POLC" compile -o "$NT_TMP/b.polc" "$NT_TMP/inventory.yaml" "$NT_TMP/b.yaml"
nt_on_cleanup "[[ ! -e '$NT_PIN_DIR' ]] || nt_polc unload --pin-dir '$NT_PIN_DIR'"
nt_polc load --pin-dir "$NT_PIN_DIR" "$NT_TMP/a.polc"

ready=$NT_TMP/soak.ready
# nsenter execs: $! is soak itself, which reports when signalled.
nsenter --net="/run/netns/$(nt_netns x/server)" -- "$soak" server -t 8080,8081 -u 5353,5354 -r "$ready" -l 1200 \
	>"$NT_TMP/server.out" 2>&1 &
server=$!
NT_PIDS+=("$server")
for _ in $(seq 100); do [[ -s $ready ]] && break; sleep 0.05; done
[[ -s $ready ]] || nt_die "soak server not ready"

s4=$(nt_ip x/server 4)
s6=$(nt_ip x/server 6)
nsenter --net="/run/netns/$(nt_netns x/client)" -- "$soak" client -d 1200 \
	"long=$s4:8080" "long=$s4:8080" "long=[$s6]:8080" "long=[$s6]:8080" \
	"new=$s4:8080" "new=[$s6]:8080" "udp=$s4:5353" "udp=[$s6]:5353" \
	"deny-tcp=$s4:8081" "deny-tcp=[$s6]:8081" "deny-udp=$s4:5354" "deny-udp=[$s6]:5354" \
	>"$NT_TMP/client.out" 2>&1 &
client=$!
NT_PIDS+=("$client")
sleep 1

echo "-- $swaps swaps under traffic"
t0=$SECONDS
failed_swaps=0
for ((i = 1; i <= swaps; i++)); do
	art=$NT_TMP/b.polc
	((i % 2 == 0)) && art=$NT_TMP/a.polc
	out=$(nt_polc load --pin-dir "$NT_PIN_DIR" "$art" 2>&1) || true
	[[ $out == swapped* ]] || { failed_swaps=$((failed_swaps + 1)); echo "swap $i: $out"; }
	((i % 250 == 0)) && echo "   $i swaps, $((SECONDS - t0)) s"
done
dt=$((SECONDS - t0))
sleep 1
kill -TERM "$client"
wait "$client" && client_rc=0 || client_rc=$?
kill -TERM "$server"
wait "$server" || true

echo "-- traffic during the swaps (per flow)"
cat "$NT_TMP/client.out"
denied_at_server=$(awk '$1 == "udp" && $2 == 5354 {print $4}' "$NT_TMP/server.out")
allowed_at_server=$(awk '$1 == "udp" && $2 == 5353 {print $4}' "$NT_TMP/server.out")
total=$(grep '^TOTAL' "$NT_TMP/client.out")
echo "-- figures"
echo "swaps: $swaps in ${dt}s, $failed_swaps failed"
echo "server: UDP 5353 (allowed) received ${allowed_at_server:-?}, UDP 5354 (denied) received ${denied_at_server:-?}"
echo "$total"
nt_polc status --pin-dir "$NT_PIN_DIR" | sed -n '1,5p'

fail=0
[[ $failed_swaps == 0 ]] || { echo "FAIL: $failed_swaps swaps failed"; fail=1; }
[[ $client_rc == 0 ]] || { echo "FAIL: the traffic saw losses, deliveries of denied packets or resets"; fail=1; }
[[ ${denied_at_server:-x} == 0 ]] || { echo "FAIL: denied UDP reached the server"; fail=1; }
[[ $total == *"allowed_lost=0 denied_delivered=0 tcp_resets=0"* ]] || fail=1
exit $fail
